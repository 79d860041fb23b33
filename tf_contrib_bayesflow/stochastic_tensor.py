"""Stochastic tensors: the legacy `tf.contrib.bayesflow.stochastic_tensor` module.

A `StochasticTensor` wraps a distribution and one value drawn from it (a sample, or the mean),
behaves as that value wherever TensorFlow expects a tensor, and knows the score-function term
(`loss`) that `stochastic_graph.surrogate_loss` adds for it. Which value is drawn is set by a
*value type* (`SampleValue`, `MeanValue`), given explicitly or taken from the innermost
`with value_type(...)` block of the current thread.

The value is created once, at construction: in `tf.compat.v1` graph mode it is one op (re-drawn by
each `Session.run`), inside `tf.function` one draw per call, in eager mode one concrete draw.

Registration (the legacy `STOCHASTIC_TENSOR_COLLECTION`): in graph mode into the default graph's
collection; inside `tf.function` into the graph being traced; in eager mode into no graph
collection, only a weak registry that forgets a stochastic tensor when it is garbage-collected
(see `_internal/registry.py`).

The pre-0.12 (TF 0.11) forms are accepted too, each warning once with its 0.12+ spelling:
`StochasticTensor(dist_cls, **dist_args)` (a distribution class plus its keyword arguments, with
`input_dict` and `clone`), `SampleValue(n=...)`, `SampleAndReshapeValue(n)`, and the generated
`<Name>Tensor` classes (`NormalTensor(loc=..., scale=...)`, ...), one for every distribution class
of `tf_contrib_bayesflow.distributions`, created on first access.
"""
import abc
import contextlib
import threading
from typing import Any, Callable, Dict, Iterator, Optional

import numpy as np
import tensorflow as tf

from tf_contrib_bayesflow import distributions as legacy_distributions
from tf_contrib_bayesflow import stochastic_gradient_estimators
from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions
from tf_contrib_bayesflow._internal import graph_walk
from tf_contrib_bayesflow._internal import registry

__all__ = [
    "BaseStochasticTensor",
    "MeanValue",
    "ObservedStochasticTensor",
    "SampleAndReshapeValue",
    "SampleValue",
    "StochasticTensor",
    "get_current_value_type",
    "value_type",
]

STOCHASTIC_TENSOR_COLLECTION = "_stochastic_tensor_collection_"

_NEAREST_IN_TFP = None  # TFP has no stochastic tensors; see migration_guide/stochastic_tensor.md


def _warn_pre_0_12(form: str, in_tfp: str, spelling: str) -> None:
    """Warns once, at the user's line, that `form` is a TF 0.11 spelling; names the 0.12+ one."""
    deprecation.warn_from_user_code(
        f"stochastic_tensor.{form} (TF 0.11 form)",
        f"{in_tfp}; with this package, write {spelling}",
    )


class BaseStochasticTensor(metaclass=abc.ABCMeta):
    """Abstract base: an object standing for a tensor that carries a surrogate-loss term.

    Subclasses create their value first and call `BaseStochasticTensor.__init__` last; it
    registers the object (so registration order is construction order).

    Any instance converts to its `value()` wherever a tensor is expected (`tf.convert_to_tensor`,
    every TF op, distribution constructors, Keras layers). As in legacy there are no operator
    overloads: `tensor + st` works, `st + 1.` does not.
    """

    def __init__(self):
        if not isinstance(self, StochasticTensor):
            deprecation.warn_once("stochastic_tensor.BaseStochasticTensor", _NEAREST_IN_TFP)
        registry.register(STOCHASTIC_TENSOR_COLLECTION, self)

    @property
    @abc.abstractmethod
    def name(self) -> str:
        pass

    @property
    @abc.abstractmethod
    def dtype(self) -> tf.DType:
        pass

    @property
    @abc.abstractmethod
    def graph(self) -> Optional[tf.Graph]:
        pass

    @abc.abstractmethod
    def value(self, name: Optional[str] = None) -> tf.Tensor:
        pass

    @abc.abstractmethod
    def loss(self, sample_loss: Any) -> Optional[tf.Tensor]:
        """The term to add to the surrogate loss for `sample_loss` (already stop-gradiented),
        or None."""

    @property
    def shape(self) -> tf.TensorShape:
        """The static shape of `value()` (lets Keras layers accept a stochastic tensor)."""
        return self.value().shape

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # Keras 3 converts array-like layer inputs; eager values convert, symbolic ones raise as
        # a symbolic tf.Tensor does.
        return np.asarray(self.value(), dtype=dtype)

    def _score_log_prob(self) -> Optional[tf.Tensor]:
        """`log p(value)` when this tensor contributes a score-function term, else None (DiCE)."""
        return None


def _tensor_conversion(
    v: BaseStochasticTensor, dtype: Any = None, name: Optional[str] = None, as_ref: bool = False
) -> tf.Tensor:
    del name
    if dtype is not None and not tf.as_dtype(dtype).is_compatible_with(v.dtype):
        raise ValueError(
            f"Incompatible type conversion requested to type '{tf.as_dtype(dtype).name}' for "
            f"variable of type '{tf.as_dtype(v.dtype).name}'"
        )
    if as_ref:
        raise ValueError(f"{v}: Ref type is not supported.")
    return v.value()


tf.register_tensor_conversion_function(BaseStochasticTensor, _tensor_conversion)


def _registered_graph(stochastic_tensor: Any) -> Optional[tf.Graph]:
    if not isinstance(stochastic_tensor, BaseStochasticTensor):
        return None
    try:
        return stochastic_tensor.graph
    except AttributeError:
        return None


def _registered_stochastic_tensors() -> list:
    """The stochastic tensors visible from the current context, in construction order."""
    return registry.entries(STOCHASTIC_TENSOR_COLLECTION, graph_of=_registered_graph)


# ---------------------------------------------------------------------------- value types


class _StochasticValueType:
    """Base of the value types; the hooks let a type react to types pushed above it."""

    def pushed_above(self, unused_value_type: "_StochasticValueType") -> None:
        pass

    def popped_above(self, unused_value_type: "_StochasticValueType") -> None:
        pass

    def declare_inputs(self, unused_stochastic_tensor: Any, unused_inputs_dict: Any) -> None:
        pass

    @property
    def stop_gradient(self) -> bool:
        raise NotImplementedError("value types define `stop_gradient`")


class MeanValue(_StochasticValueType):
    """Value type: the stochastic tensor's value is the distribution's mean.

    The mean is kept differentiable unless `stop_gradient=True`, which also makes the tensor
    contribute a score-function term evaluated at the mean.
    """

    def __init__(self, stop_gradient: bool = False):
        deprecation.warn_once("stochastic_tensor.MeanValue", "tfd.Distribution.mean")
        checks.check_python_bool(stop_gradient, "stop_gradient")
        self._stop_gradient = stop_gradient

    @property
    def stop_gradient(self) -> bool:
        return self._stop_gradient

    def __repr__(self) -> str:
        return f"MeanValue(stop_gradient={self._stop_gradient})"

    def _draw(self, dist: Any) -> tf.Tensor:
        return dist.mean()


def _check_n(n: Any) -> None:
    """`n` of the TF 0.11 value types: a non-negative Python int or an integer tensor."""
    if tf.is_tensor(n):
        if not n.dtype.is_integer:
            raise TypeError(f"n must be an integer, got a {n.dtype.name} tensor: {n!r}")
        return
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(
            f"n must be a Python int or an integer tensor, got {type(n).__name__}: {n!r}"
        )
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")


def _check_sample_shape(shape: Any) -> None:
    """`shape` of `SampleValue`: an int, a tuple or list of ints, or an integer tensor."""
    if tf.is_tensor(shape):
        if not shape.dtype.is_integer:
            raise TypeError(
                f"shape must be an integer sample shape, got a {shape.dtype.name} tensor: {shape!r}"
            )
        return
    if isinstance(shape, np.ndarray):
        dims = shape.reshape(-1).tolist()
    else:
        dims = list(shape) if isinstance(shape, (list, tuple, tf.TensorShape)) else [shape]
    for dim in dims:
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise TypeError(
                "shape must be an int, a tuple or list of ints, or an integer tensor, got "
                f"{type(shape).__name__}: {shape!r}"
            )
        if dim < 0:
            raise ValueError(f"shape must not have negative dimensions, got {shape!r}")


class SampleValue(_StochasticValueType):
    """Value type: the stochastic tensor's value is `dist.sample(shape)`.

    `shape=()` draws one sample with no extra dimension; an int `k` adds a leading dimension of
    size `k` (so `SampleValue(1)` has shape `[1] + batch + event`); a tuple or an int32 tensor is
    a sample shape.

    The TF 0.11 keyword `n` (`SampleValue(n=k)`: `k` draws, always with the leading dimension) is
    the same as `shape=k`; it warns once and may not be combined with `shape`.

    Raises:
      TypeError: `shape` is not an int, a tuple or list of ints or an integer tensor; both
        `shape` and `n`; `stop_gradient` is not a Python bool.
      ValueError: `shape` has a negative dimension.
    """

    def __init__(self, shape: Any = (), stop_gradient: bool = False, *, n: Any = None):
        deprecation.warn_once(
            "stochastic_tensor.SampleValue", "tfd.Distribution.sample (tfp.layers.DistributionLambda)"
        )
        if n is not None:
            _warn_pre_0_12("SampleValue(n=...)", "tfd.Distribution.sample(n)", "SampleValue(n)")
            if not (isinstance(shape, tuple) and shape == ()):
                raise TypeError(
                    f"SampleValue got both shape={shape!r} and the TF 0.11 keyword n={n!r}; "
                    "pass only shape (SampleValue(n) is SampleValue(shape=n))."
                )
            _check_n(n)
            shape = n
        _check_sample_shape(shape)
        checks.check_python_bool(stop_gradient, "stop_gradient")
        self._shape = shape
        self._stop_gradient = stop_gradient

    @property
    def shape(self) -> Any:
        return self._shape

    @property
    def stop_gradient(self) -> bool:
        return self._stop_gradient

    def __repr__(self) -> str:
        return f"SampleValue(shape={self._shape!r}, stop_gradient={self._stop_gradient})"

    def _draw(self, dist: Any) -> tf.Tensor:
        return dist.sample(self._shape)


def _merge_first_two_dims(samples: tf.Tensor) -> tf.Tensor:
    """`[n, d0, d1, ...] -> [n * d0, d1, ...]` (a rank-1 tensor is unchanged), static shape kept."""
    merged = tf.reshape(samples, tf.concat([[-1], tf.shape(samples)[2:]], axis=0))
    if samples.shape.rank is not None:
        merged.set_shape(
            tf.TensorShape([samples.shape[:2].num_elements()]).concatenate(samples.shape[2:])
        )
    return merged


class SampleAndReshapeValue(_StochasticValueType):
    """TF 0.11 value type: `n` draws with the sample dimension merged into the next one.

    ```none
    n == 1:  value = dist.sample()                         shape batch + event
    else:    value = reshape(dist.sample(n), [-1] + s[2:])  s = [n] + batch + event,
                                                            so shape [n * s[1]] + s[2:]
    ```

    The merged value stands for a larger batch (usually the first batch dimension). A
    score-function term needs `log_prob(value)`, which lines up with the distribution only when
    the merged dimension is not a batch dimension of size > 1; `loss` raises `ValueError`
    otherwise (legacy failed there too, inside TensorFlow).

    Args:
      n: number of draws, a non-negative Python int or an integer tensor. Default 1.
      stop_gradient: whether the value is wrapped in `stop_gradient`. Default False.

    Raises:
      TypeError: `n` is not an integer. ValueError: `n` is negative.
    """

    def __init__(self, n: Any = 1, stop_gradient: bool = False):
        _warn_pre_0_12(
            "SampleAndReshapeValue",
            "tfd.Distribution.sample(n) and tf.reshape",
            "SampleValue(n) and merge the first two dimensions with tf.reshape",
        )
        _check_n(n)
        checks.check_python_bool(stop_gradient, "stop_gradient")
        self._n = n
        self._stop_gradient = stop_gradient

    @property
    def n(self) -> Any:
        return self._n

    @property
    def stop_gradient(self) -> bool:
        return self._stop_gradient

    def __repr__(self) -> str:
        return f"SampleAndReshapeValue(n={self._n!r}, stop_gradient={self._stop_gradient})"

    def _draw(self, dist: Any) -> tf.Tensor:
        if not tf.is_tensor(self._n) and self._n == 1:
            return dist.sample()
        return _merge_first_two_dims(dist.sample(self._n))


_VALUE_TYPES = (MeanValue, SampleValue, SampleAndReshapeValue)
_SAMPLE_VALUE_TYPES = (SampleValue, SampleAndReshapeValue)


def _default_value_type() -> SampleValue:
    """`SampleValue()` built without the deprecation warning (the user did not ask for it)."""
    default = SampleValue.__new__(SampleValue)
    default._shape, default._stop_gradient = (), False
    return default


class NoValueTypeSetError(ValueError):
    """Raised by `get_current_value_type` outside every `value_type` block."""


_thread_state = threading.local()


def _value_type_stack() -> list:
    stack = getattr(_thread_state, "stack", None)
    if stack is None:
        stack = _thread_state.stack = []
    return stack


@contextlib.contextmanager
def _value_type_block(dist_value_type: _StochasticValueType) -> Iterator[_StochasticValueType]:
    if not isinstance(dist_value_type, _StochasticValueType):
        raise TypeError(
            "dist_value_type must be a Distribution Value Type (MeanValue or SampleValue), got "
            f"{type(dist_value_type).__name__}: {dist_value_type!r}"
        )
    stack = _value_type_stack()
    if stack:
        stack[-1].pushed_above(dist_value_type)
    stack.append(dist_value_type)
    # Departure: legacy popped without try/finally, so an exception inside the block left its
    # value type on the thread's stack for every later StochasticTensor.
    try:
        yield dist_value_type
    finally:
        stack.pop()
        if stack:
            stack[-1].popped_above(dist_value_type)


@deprecation.legacy("stochastic_tensor.value_type", _NEAREST_IN_TFP)
@contextlib.contextmanager
def value_type(dist_value_type: _StochasticValueType) -> Iterator[_StochasticValueType]:
    """Context manager setting the value type of stochastic tensors built inside it.

    The types form a per-thread stack; the innermost block wins. The stack is unwound even when
    the block raises (legacy left the entry behind).

    Args:
      dist_value_type: a `MeanValue` or `SampleValue` instance.

    Yields:
      `dist_value_type`.

    Raises:
      TypeError: on entry, when `dist_value_type` is not a value type.
    """
    with _value_type_block(dist_value_type) as entered:
        yield entered


def _current_value_type() -> _StochasticValueType:
    stack = _value_type_stack()
    if not stack:
        raise NoValueTypeSetError(
            f"No value type currently set for this thread ({threading.current_thread().ident}). "
            " Did you forget to wrap 'with stochastic_graph.value_type(...)'?"
        )
    return stack[-1]


@deprecation.legacy("stochastic_tensor.get_current_value_type", _NEAREST_IN_TFP)
def get_current_value_type() -> _StochasticValueType:
    """The value type of the innermost `value_type` block of this thread.

    Raises:
      NoValueTypeSetError: (a `ValueError`) outside every block.
    """
    return _current_value_type()


# ---------------------------------------------------------------------------- stochastic tensors


def _is_distribution_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, distributions.DISTRIBUTION_TYPES)


def _check_distribution_class(dist_cls: Any) -> None:
    if not _is_distribution_class(dist_cls):
        raise TypeError(
            "dist must be an instance of Distribution, or (TF 0.11 form) a Distribution "
            f"subclass followed by its keyword arguments; got the class {dist_cls!r}"
        )


def _check_no_dist_args(owner: str, dist: Any, dist_args: Dict[str, Any]) -> None:
    if dist_args:
        raise TypeError(
            f"{owner} got unexpected keyword arguments {sorted(dist_args)}: distribution "
            "arguments are accepted only after a distribution class (TF 0.11 form, "
            f"{owner}(Normal, ..., loc=..., scale=...)), not after an instance "
            f"({type(dist).__name__})."
        )


def _check_name(name: Any) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {type(name).__name__}: {name!r}")


def _resolve_value_type(dist_value_type: Optional[_StochasticValueType]) -> _StochasticValueType:
    """The explicit value type, else the current block's, else `SampleValue()`."""
    if dist_value_type is not None:
        # Entering the block validates the type and runs the push/pop hooks, as legacy.
        with _value_type_block(dist_value_type):
            value_type_ = _current_value_type()
    else:
        try:
            value_type_ = _current_value_type()
        except NoValueTypeSetError:
            # TF 0.11 defaulted to SampleAndReshapeValue(), whose value (n == 1: `sample()`)
            # is the same as SampleValue()'s.
            value_type_ = _default_value_type()
    if not isinstance(value_type_, _VALUE_TYPES):
        raise TypeError(f"Unrecognized Distribution Value Type: {value_type_!r}")
    return value_type_


class StochasticTensor(BaseStochasticTensor):
    """A distribution together with one value drawn from it, usable as that value.

    ```none
    value = dist.sample(shape)   (SampleValue)  or  dist.mean()  (MeanValue)
    value = stop(value)          if the value type asks for it, or for a sample of a
                                 distribution that is not fully reparameterized
    loss(l) = loss_fn(self, value, l)   when the value carries no pathwise gradient
            = None                      otherwise (reparameterized sample, plain mean,
                                        or loss_fn=None)
    ```

    TF 0.11 form: `StochasticTensor(dist_cls, name=None, dist_value_type=None, loss_fn=...,
    **dist_args)` builds `dist_cls(**dist_args)` inside the tensor's name scope (default
    'StochasticTensor' even for `name=None`), calls the value type's `declare_inputs(self,
    dist_args)`, and gives the tensor `input_dict` and `clone`. With the distribution classes of
    `tf_contrib_bayesflow.distributions`, the TF 1.0 keywords (`mu=`, `sigma=`, `p=`) work.

    Args:
      dist: a `tfp.distributions` or `tf.compat.v1.distributions` distribution instance; or
        (TF 0.11 form) a distribution class, built from `dist_args`.
      name: name scope; `.name` is the (made-unique) scope string. Default 'StochasticTensor'.
      dist_value_type: `MeanValue`, `SampleValue` or `SampleAndReshapeValue`. Default: the
        current `value_type` block's, else `SampleValue()`.
      loss_fn: callable `(st, value, loss) -> surrogate term`, or None for no term. Default
        `stochastic_gradient_estimators.score_function`.
      **dist_args: TF 0.11 form only: the keyword arguments of `dist`, the class.

    Raises:
      TypeError: `dist` is neither a distribution nor a distribution class, `dist_args` come
        with an instance, `dist_value_type` is not a value type (or an unknown one), `loss_fn`
        is neither None nor callable.
    """

    # Set by the TF 0.11 form only.
    _dist_cls: Optional[type] = None
    _dist_args: Optional[Dict[str, Any]] = None

    def __init__(
        self,
        dist: Any,
        name: Optional[str] = "StochasticTensor",
        dist_value_type: Optional[_StochasticValueType] = None,
        loss_fn: Optional[Callable] = stochastic_gradient_estimators.score_function,
        **dist_args: Any,
    ):
        deprecation.warn_from_user_code("stochastic_tensor.StochasticTensor", _NEAREST_IN_TFP)
        if isinstance(dist, type):
            _check_distribution_class(dist)
            _warn_pre_0_12(
                "StochasticTensor(dist_cls, **dist_args)",
                "distribution instances",
                "StochasticTensor(dist_cls(**dist_args))",
            )
            self._build(dist, dist_args, name, dist_value_type, loss_fn)
            return
        distributions.check_distribution(dist, "dist")
        _check_no_dist_args("StochasticTensor", dist, dist_args)
        self._build(dist, None, name, dist_value_type, loss_fn)

    def _build(
        self,
        dist: Any,
        dist_args: Optional[Dict[str, Any]],
        name: Optional[str],
        dist_value_type: Optional[_StochasticValueType],
        loss_fn: Optional[Callable],
    ) -> None:
        """Builds the tensor from a distribution instance, or from a class when `dist_args` is
        a dict (TF 0.11 form)."""
        _check_name(name)
        self._value_type = _resolve_value_type(dist_value_type)
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(
                f"loss_fn must be callable (or None), got {type(loss_fn).__name__}: {loss_fn!r}"
            )
        self._loss_fn = loss_fn
        from_class = dist_args is not None
        # Legacy: the TF 0.11 form's scope defaulted to 'StochasticTensor' even for name=None;
        # the instance form's name=None is the root scope.
        scope_args = (name, "StochasticTensor") if from_class else (name,)
        with tf.compat.v1.name_scope(*scope_args) as scope:
            self._name = scope
            if from_class:
                self._dist_cls, self._dist_args = dist, dist_args
                dist = dist(**dist_args)
                self._value_type.declare_inputs(self, dist_args)
            self._dist = dist
            self._value = self._create_value()
        super().__init__()

    def _create_value(self) -> tf.Tensor:
        vt, dist = self._value_type, self._dist
        value = vt._draw(dist)
        if vt.stop_gradient:
            return tf.stop_gradient(value)
        if isinstance(vt, MeanValue) or distributions.is_reparameterized(dist):
            return value
        # Legacy: samples of a distribution that is not reparameterized carry no gradient.
        return tf.stop_gradient(value)

    @property
    def value_type(self) -> _StochasticValueType:
        return self._value_type

    @property
    def distribution(self) -> Any:
        return self._dist

    @property
    def input_dict(self) -> Dict[str, Any]:
        """TF 0.11 form only: the keyword arguments the distribution class was called with."""
        if self._dist_args is None:
            raise AttributeError(
                "input_dict exists only for a StochasticTensor built from a distribution class "
                "(TF 0.11 form); read .distribution.parameters instead"
            )
        return self._dist_args

    def clone(self, name: Optional[str] = None, **dist_args: Any) -> "StochasticTensor":
        """TF 0.11 form only: a new `StochasticTensor(dist_cls, name=name, **dist_args)`.

        It uses the same distribution class with the new `dist_args` only, the default
        `loss_fn` and the value type of the current context (not this tensor's).

        Raises:
          TypeError: this tensor was built from a distribution instance.
        """
        if self._dist_cls is None:
            raise TypeError(
                "clone() needs a StochasticTensor built from a distribution class (TF 0.11 "
                "form); build StochasticTensor(new_distribution) instead"
            )
        return StochasticTensor(self._dist_cls, name=name, **dist_args)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> tf.DType:
        return self._dist.dtype

    @property
    def graph(self) -> Optional[tf.Graph]:
        """The graph of the value, or None for an eager value."""
        return self._value.graph if graph_walk.is_graph_tensor(self._value) else None

    def value(self, name: str = "value") -> tf.Tensor:
        """The value created at construction (the same tensor on every call; `name` unused)."""
        del name
        return self._value

    def entropy(self, name: str = "entropy") -> tf.Tensor:
        return self._dist.entropy(name=name)

    def mean(self, name: str = "mean") -> tf.Tensor:
        return self._dist.mean(name=name)

    def _charges_score(self) -> bool:
        """Whether this tensor contributes a score-function term (legacy `loss` rules)."""
        if self._loss_fn is None:
            return False
        vt = self._value_type
        if distributions.is_reparameterized(self._dist) and not vt.stop_gradient:
            return False
        return vt.stop_gradient or isinstance(vt, _SAMPLE_VALUE_TYPES)

    def _check_scorable(self) -> None:
        """Raises unless `log_prob(value)` lines up with the distribution's batch and event.

        Only a `SampleAndReshapeValue` value can fail: its draws are merged into the first
        dimension of the batch (or event).
        """
        if not isinstance(self._value_type, SampleAndReshapeValue):
            return
        dist, shape = self._dist, self._value.shape
        batch, event = dist.batch_shape, dist.event_shape
        if None in (shape.rank, batch.rank, event.rank):
            return
        split = shape.rank - event.rank
        lines_up = split >= 0 and shape[split:].is_compatible_with(event)
        if lines_up:
            try:
                tf.broadcast_static_shape(shape[:split], batch)
            except ValueError:
                lines_up = False
        if not lines_up:
            raise ValueError(
                f"{self._value_type!r} merged its draws into the first dimension of batch "
                f"shape {batch} + event shape {event}, so log_prob of the value (shape {shape}) "
                "does not line up with the distribution and gives no score-function term "
                "(legacy failed here too). Use SampleValue(n), or loss_fn=None."
            )

    def loss(self, final_loss: Any, name: str = "Loss") -> Optional[tf.Tensor]:
        """`loss_fn(self, value, final_loss)`, or None when this tensor needs no score term.

        Args:
          final_loss: the stop-gradiented downstream loss (a tensor or a list; passed through
            unconverted).
          name: name scope inside this tensor's scope. Default 'Loss'.

        Raises:
          ValueError: a `SampleAndReshapeValue` value whose `log_prob` does not line up with
            the distribution's batch shape.
        """
        if not self._charges_score():
            return None
        self._check_scorable()
        with tf.compat.v1.name_scope(self._name):
            with tf.compat.v1.name_scope(name):
                return self._loss_fn(self, self._value, final_loss)

    def _score_log_prob(self) -> Optional[tf.Tensor]:
        if not self._charges_score():
            return None
        self._check_scorable()
        with tf.compat.v1.name_scope(self._name):
            return self._dist.log_prob(self._value)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} '{self._name}' value={self._value!r} "
            f"distribution={self._dist!r}>"
        )


def _check_observed_shape(shape: tf.TensorShape, expected: tf.TensorShape) -> None:
    if shape.is_compatible_with(expected) or shape.rank is None or expected.rank is None:
        return
    if shape.rank < expected.rank:
        raise ValueError(
            f"Rank of observed value ({shape.rank}) must be >= rank of a sample from the "
            f"distribution ({expected.rank})."
        )
    # Extra leading dimensions are sample dimensions; the trailing ones must match. (A scalar
    # sample, rank 0, matches anything: no [-0:] slicing.)
    trailing = shape[shape.rank - expected.rank:]
    if not trailing.is_compatible_with(expected):
        raise ValueError(
            f"Shape of observed value {shape} is incompatible with the shape of a sample from "
            f"the distribution {expected}."
        )


class ObservedStochasticTensor(StochasticTensor):
    """A stochastic tensor whose value is an observation, not a draw; it adds no loss term.

    The observation may have extra leading (sample) dimensions; its trailing dimensions must be
    compatible with `batch_shape + event_shape` of `dist`, and its dtype must equal `dist.dtype`.

    TF 0.11 form: `ObservedStochasticTensor(dist_cls, value, name=None, **dist_args)` builds
    `dist_cls(**dist_args)` inside the tensor's name scope.

    Args:
      dist: a distribution instance, or (TF 0.11 form) a distribution class.
      value: the observed value (converted to a tensor, then wrapped in `tf.identity`).
      name: name scope. Default 'ObservedStochasticTensor'.
      **dist_args: TF 0.11 form only: the keyword arguments of `dist`, the class.

    Raises:
      TypeError: `dist` is neither a distribution nor a distribution class, or `dist_args` come
        with an instance.
      ValueError: `value` has a smaller rank, incompatible trailing dimensions, or another dtype.
    """

    def __init__(self, dist: Any, value: Any, name: Optional[str] = None, **dist_args: Any):
        deprecation.warn_from_user_code(
            "stochastic_tensor.ObservedStochasticTensor", _NEAREST_IN_TFP
        )
        from_class = isinstance(dist, type)
        if from_class:
            _check_distribution_class(dist)
            _warn_pre_0_12(
                "ObservedStochasticTensor(dist_cls, value, **dist_args)",
                "distribution instances",
                "ObservedStochasticTensor(dist_cls(**dist_args), value)",
            )
        else:
            distributions.check_distribution(dist, "dist")
            _check_no_dist_args("ObservedStochasticTensor", dist, dist_args)
        _check_name(name)
        with tf.compat.v1.name_scope(name, "ObservedStochasticTensor") as scope:
            self._name = scope
            if from_class:
                self._dist_cls, self._dist_args = dist, dist_args
                dist = dist(**dist_args)
            self._dist = dist
            value = tf.convert_to_tensor(value, name="value")
            _check_observed_shape(value.shape, dist.batch_shape.concatenate(dist.event_shape))
            if value.dtype != dist.dtype:
                raise ValueError(
                    f"Type of observed value ({value.dtype.name}) does not match type of "
                    f"distribution ({tf.as_dtype(dist.dtype).name})."
                )
            self._value = tf.identity(value)
        # Legacy: neither a value type nor a loss_fn is set (see `value_type`).
        self._loss_fn = None
        BaseStochasticTensor.__init__(self)

    @property
    def value_type(self) -> _StochasticValueType:
        # Legacy: an observed tensor has no value type; reading it was an AttributeError.
        raise AttributeError("ObservedStochasticTensor has no value_type: its value is observed")

    def loss(self, final_loss: Any, name: Optional[str] = None) -> None:
        """Always None: an observation contributes no surrogate-loss term."""
        del final_loss, name
        return None

    def _charges_score(self) -> bool:
        return False


# ---------------------------------------------------------------- TF 0.11 `<Name>Tensor` classes

_WRAPPER_SUFFIX = "Tensor"
_wrappers: Dict[str, type] = {}


def _wrapped_distribution_classes() -> Dict[str, type]:
    """`<Name>Tensor` -> `<Name>`, for every distribution class of our `distributions`."""
    classes = {}
    for name in legacy_distributions.__all__:
        cls = getattr(legacy_distributions, name)
        if _is_distribution_class(cls) and cls is not legacy_distributions.Distribution:
            classes[f"{name}{_WRAPPER_SUFFIX}"] = cls
    return classes


def _make_wrapper(wrapper_name: str, dist_cls: type) -> type:
    dist_name = dist_cls.__name__
    score_function = stochastic_gradient_estimators.score_function

    def __init__(
        self,
        name: Optional[str] = None,
        dist_value_type: Optional[_StochasticValueType] = None,
        loss_fn: Optional[Callable] = score_function,
        **dist_args: Any,
    ):
        _warn_pre_0_12(
            wrapper_name, "distribution instances", f"StochasticTensor({dist_name}(**dist_args))"
        )
        self._build(dist_cls, dist_args, name, dist_value_type, loss_fn)

    __init__.__qualname__ = f"{wrapper_name}.__init__"
    return type(
        wrapper_name,
        (StochasticTensor,),
        {
            "__init__": __init__,
            "__module__": __name__,
            "__qualname__": wrapper_name,
            "__doc__": (
                f"TF 0.11 `{wrapper_name}(name=None, dist_value_type=None, loss_fn=score_function,"
                f" **dist_args)`: `StochasticTensor(distributions.{dist_name}, ...)`.\n\n"
                f"A `StochasticTensor` whose distribution is `{dist_name}(**dist_args)` (legacy "
                "keywords accepted), built inside its name scope; see `StochasticTensor`."
            ),
        },
    )


def __getattr__(attribute: str) -> type:
    """Creates the TF 0.11 `<Name>Tensor` class on first access (one class per name)."""
    dist_cls = _wrapped_distribution_classes().get(attribute)
    if dist_cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
    # setdefault: two threads racing here still end up sharing one class.
    return _wrappers.setdefault(attribute, _make_wrapper(attribute, dist_cls))


def __dir__() -> list:
    return sorted(set(globals()) | set(_wrapped_distribution_classes()))
