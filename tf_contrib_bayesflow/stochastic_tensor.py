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
"""
import abc
import contextlib
import threading
from typing import Any, Callable, Iterator, Optional

import numpy as np
import tensorflow as tf

from tf_contrib_bayesflow import stochastic_gradient_estimators
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions
from tf_contrib_bayesflow._internal import graph_walk
from tf_contrib_bayesflow._internal import registry

__all__ = [
    "BaseStochasticTensor",
    "MeanValue",
    "ObservedStochasticTensor",
    "SampleValue",
    "StochasticTensor",
    "get_current_value_type",
    "value_type",
]

STOCHASTIC_TENSOR_COLLECTION = "_stochastic_tensor_collection_"

_NEAREST_IN_TFP = None  # TFP has no stochastic tensors; see migration_guide/stochastic_tensor.md


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
        self._stop_gradient = stop_gradient

    @property
    def stop_gradient(self) -> bool:
        return self._stop_gradient

    def __repr__(self) -> str:
        return f"MeanValue(stop_gradient={self._stop_gradient})"


class SampleValue(_StochasticValueType):
    """Value type: the stochastic tensor's value is `dist.sample(shape)`.

    `shape=()` draws one sample with no extra dimension; an int `k` adds a leading dimension of
    size `k` (so `SampleValue(1)` has shape `[1] + batch + event`); a tuple or an int32 tensor is
    a sample shape.
    """

    def __init__(self, shape: Any = (), stop_gradient: bool = False):
        deprecation.warn_once(
            "stochastic_tensor.SampleValue", "tfd.Distribution.sample (tfp.layers.DistributionLambda)"
        )
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

    Args:
      dist: a `tfp.distributions` or `tf.compat.v1.distributions` distribution instance.
      name: name scope; `.name` is the (made-unique) scope string. Default 'StochasticTensor'.
      dist_value_type: `MeanValue` or `SampleValue`. Default: the current `value_type` block's,
        else `SampleValue()`.
      loss_fn: callable `(st, value, loss) -> surrogate term`, or None for no term. Default
        `stochastic_gradient_estimators.score_function`.

    Raises:
      TypeError: `dist` is not a distribution, `dist_value_type` is not a value type (or an
        unknown one), `loss_fn` is neither None nor callable.
    """

    def __init__(
        self,
        dist: Any,
        name: Optional[str] = "StochasticTensor",
        dist_value_type: Optional[_StochasticValueType] = None,
        loss_fn: Optional[Callable] = stochastic_gradient_estimators.score_function,
    ):
        deprecation.warn_once("stochastic_tensor.StochasticTensor", _NEAREST_IN_TFP)
        distributions.check_distribution(dist, "dist")
        if dist_value_type is not None:
            # Entering the block validates the type and runs the push/pop hooks, as legacy.
            with _value_type_block(dist_value_type):
                self._value_type = _current_value_type()
        else:
            try:
                self._value_type = _current_value_type()
            except NoValueTypeSetError:
                self._value_type = _default_value_type()
        if not isinstance(self._value_type, (MeanValue, SampleValue)):
            raise TypeError(f"Unrecognized Distribution Value Type: {self._value_type!r}")
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(
                f"loss_fn must be callable (or None), got {type(loss_fn).__name__}: {loss_fn!r}"
            )
        self._loss_fn = loss_fn
        self._dist = dist
        with tf.compat.v1.name_scope(name) as scope:
            self._name = scope
            self._value = self._create_value()
        super().__init__()

    def _create_value(self) -> tf.Tensor:
        vt, dist = self._value_type, self._dist
        if isinstance(vt, MeanValue):
            value = dist.mean()
        else:
            value = dist.sample(vt.shape)
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
        return vt.stop_gradient or isinstance(vt, SampleValue)

    def loss(self, final_loss: Any, name: str = "Loss") -> Optional[tf.Tensor]:
        """`loss_fn(self, value, final_loss)`, or None when this tensor needs no score term.

        Args:
          final_loss: the stop-gradiented downstream loss (a tensor or a list; passed through
            unconverted).
          name: name scope inside this tensor's scope. Default 'Loss'.
        """
        if not self._charges_score():
            return None
        with tf.compat.v1.name_scope(self._name):
            with tf.compat.v1.name_scope(name):
                return self._loss_fn(self, self._value, final_loss)

    def _score_log_prob(self) -> Optional[tf.Tensor]:
        if not self._charges_score():
            return None
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

    Args:
      dist: a distribution instance.
      value: the observed value (converted to a tensor, then wrapped in `tf.identity`).
      name: name scope. Default 'ObservedStochasticTensor'.

    Raises:
      TypeError: `dist` is not a distribution.
      ValueError: `value` has a smaller rank, incompatible trailing dimensions, or another dtype.
    """

    def __init__(self, dist: Any, value: Any, name: Optional[str] = None):
        deprecation.warn_once("stochastic_tensor.ObservedStochasticTensor", _NEAREST_IN_TFP)
        distributions.check_distribution(dist, "dist")
        self._dist = dist
        with tf.compat.v1.name_scope(name, "ObservedStochasticTensor") as scope:
            self._name = scope
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
