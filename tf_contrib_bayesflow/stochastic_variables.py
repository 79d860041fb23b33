"""Stochastic variables: the legacy `tf.contrib.bayesflow.stochastic_variables` module.

A `tf.compat.v1.variable_scope` custom getter that turns every `get_variable` call inside the
scope into a `StochasticTensor`: it creates one trainable variable per parameter of a
distribution class (`<name>_loc`, `<name>_scale` for a Normal), builds the distribution from
them, wraps it in a `StochasticTensor` (one draw, as the current value type says) and, given a
prior, registers it for `variational_inference.elbo`. This is how legacy code built mean-field
Bayesian layers:

```python
getter = make_stochastic_variable_getter(NormalWithSoftplusScale, prior=tfd.Normal(0., 1.))
with tf.compat.v1.variable_scope("layer", custom_getter=getter):
    w = tf.compat.v1.get_variable("w", [3, 1])      # a StochasticTensor
```

Regimes (the getter works wherever TensorFlow's `get_variable` does):

* `tf.compat.v1` graph mode: exactly legacy.
* inside `tf.function`: the variables are created when the function is first traced (TF's rule
  for variables in functions); later traces get them back by name (the parameters are requested
  with `reuse=AUTO_REUSE` there); every call draws a new sample.
* eager: TensorFlow's `get_variable` creates a new variable on every call unless a variable
  store is active, so wrap the model in `tf.compat.v1.make_template`: the variables are then
  created once and each call returns a new `StochasticTensor` with a fresh draw. `elbo` cannot
  walk eager tensors: pass it the `{stochastic tensor: prior}` mapping.

See migration_guide/stochastic_variables.md.
"""
import collections.abc
import functools
from typing import Any, Callable, Dict, Mapping, Optional

import tensorflow as tf

from tf_contrib_bayesflow import distributions as contrib_distributions
from tf_contrib_bayesflow import stochastic_tensor as st_lib
from tf_contrib_bayesflow import variational_inference
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions as dist_util

__all__ = ["get_stochastic_variable", "make_stochastic_variable_getter"]

_IN_TFP = (
    "tfp.experimental.vi.build_factored_surrogate_posterior, or "
    "tfd.Normal(loc=tf.Variable(...), scale=tfp.util.TransformedVariable(..., tfb.Softplus()))"
)


def _default_dist_cls() -> type:
    """The class used when `dist_cls` is None: a Normal whose scale is softplus(raw scale)."""
    return contrib_distributions.NormalWithSoftplusScale


def _check_arguments(
    dist_cls: Any, dist_kwargs: Any, param_initializers: Any, prior: Any
) -> None:
    if dist_cls is not None and not callable(dist_cls):
        raise TypeError(
            "dist_cls must be a distribution class (or None for NormalWithSoftplusScale), got "
            f"{type(dist_cls).__name__}: {dist_cls!r}"
        )
    for arg_name, value in (
        ("dist_kwargs", dist_kwargs), ("param_initializers", param_initializers)
    ):
        if value is not None and not isinstance(value, collections.abc.Mapping):
            raise TypeError(
                f"{arg_name} must be None or a dict, got {type(value).__name__}: {value!r}"
            )
    if prior is not None and not (dist_util.is_distribution(prior) or callable(prior)):
        raise TypeError(
            "prior must be a Distribution or a callable (shape, dtype) -> Distribution, got "
            f"{type(prior).__name__}: {prior!r}"
        )


def _check_shape(shape: Any) -> None:
    try:
        tf.TensorShape(shape)
    except (TypeError, ValueError) as error:
        raise type(error)(f"shape must be a variable shape, got {shape!r}: {error}") from None


def _param_static_shapes(dist_cls: Any, shape: Any) -> Dict[str, tf.TensorShape]:
    static_shapes = getattr(dist_cls, "param_static_shapes", None)
    if static_shapes is None:
        # Legacy: an AttributeError (there, from the attribute lookup itself).
        raise AttributeError(
            f"dist_cls {dist_cls!r} has no param_static_shapes, so the parameter shapes for "
            f"shape={shape} are unknown; pass a distribution class such as "
            "NormalWithSoftplusScale, or param_initializers with constant values and no shape"
        )
    return dict(static_shapes(shape))


def _create_parameters(
    getter: Callable, name: str, shape: Any, dist_cls: Any,
    param_initializers: Mapping[str, Any], kwargs: Dict[str, Any],
) -> Dict[str, Any]:
    param_shapes = _param_static_shapes(dist_cls, shape) if shape is not None else {}
    names = list(param_shapes) + [p for p in param_initializers if p not in param_shapes]
    caller_initializer = kwargs.pop("initializer", None)
    parameters = {}
    for index, param in enumerate(names):
        initializer = param_initializers.get(param)
        if tf.inside_function() and isinstance(initializer, (tf.Tensor, tf.Variable)):
            # Departure: TensorFlow would fail deep inside variable creation ("Tensor.op is
            # undefined").
            raise TypeError(
                f"param_initializers[{param!r}] is a Tensor, which cannot initialize a variable "
                "created inside tf.function; pass a NumPy array, a Python number or list, or a "
                "callable initializer"
            )
        if initializer is None and index == 0:
            # Legacy: only the first parameter visited falls back to the initializer given to
            # get_variable. Departure: legacy visited a set (an order that changed between
            # runs); here the first is the class's first parameter (loc for a Normal).
            initializer = caller_initializer
        # A constant initializer carries its own shape.
        param_shape = (
            param_shapes.get(param) if initializer is None or callable(initializer) else None
        )
        parameters[param] = _call_getter(
            getter, f"{name}_{param}", param_shape, initializer, kwargs
        )
    return parameters


def _call_getter(
    getter: Callable, name: str, shape: Any, initializer: Any, kwargs: Dict[str, Any]
) -> Any:
    if tf.inside_function():
        # Departure (tf.function only): TensorFlow traces a function again after a trace that
        # created variables, and the later trace must get them back by name. Whether plain
        # get_variable allows that depended on the process's earlier variable-scope use (a
        # fresh process failed); reusing by name, as TF 2 eager scopes do, always works.
        kwargs = dict(kwargs, reuse=tf.compat.v1.AUTO_REUSE)
    try:
        return getter(name, shape=shape, initializer=initializer, **kwargs)
    except AttributeError as error:
        if "Tensor.op is undefined" not in str(error):
            raise
        # Departure: TensorFlow's own (obscure) report of a name clash between an eager
        # get_variable and a variable a tf.function created under the same name.
        raise ValueError(
            f"Variable {name} already exists: it was created inside a tf.function, and "
            "TensorFlow cannot share it with eager get_variable calls. Use another scope "
            "name, or build the model in one regime."
        ) from error


def _resolved_prior(prior: Any, value: tf.Tensor) -> Any:
    if dist_util.is_distribution(prior):
        return prior
    if not value.shape.is_fully_defined():
        raise ValueError(
            "A callable prior needs the stochastic variable's shape to be fully defined, got "
            f"{value.shape}; pass a Distribution as prior instead"
        )
    return prior(value.shape, value.dtype)


def _get_stochastic_variable(
    getter: Callable,
    name: str,
    shape: Any = None,
    dist_cls: Any = None,
    dist_kwargs: Optional[Mapping[str, Any]] = None,
    param_initializers: Optional[Mapping[str, Any]] = None,
    prior: Any = None,
    **kwargs: Any,
) -> st_lib.StochasticTensor:
    """`get_stochastic_variable` without the deprecation warning."""
    dist_util.check_callable(getter, "getter")
    _check_arguments(dist_cls, dist_kwargs, param_initializers, prior)
    if shape is not None:
        _check_shape(shape)
    if dist_cls is None:
        # Departure: TF 1.0-1.4 had no default (None failed); TF 0.12 defaulted to
        # NormalWithSoftplusSigma. The default here is its TF 1.1+ name, NormalWithSoftplusScale.
        dist_cls = _default_dist_cls()
    parameters = _create_parameters(
        getter, name, shape, dist_cls, param_initializers or {}, kwargs
    )
    # Departure: legacy updated the caller's dist_kwargs in place (a dict shared by every call
    # of a getter from make_stochastic_variable_getter); a copy is updated here.
    dist_kwargs = dict(dist_kwargs or {})
    dist_kwargs.update(parameters)
    stochastic = st_lib.StochasticTensor(dist_cls(**dist_kwargs))
    if prior is not None:
        variational_inference._register_prior(
            stochastic, _resolved_prior(prior, stochastic.value())
        )
    return stochastic


@deprecation.legacy("stochastic_variables.get_stochastic_variable", _IN_TFP)
def get_stochastic_variable(
    getter: Callable,
    name: str,
    shape: Any = None,
    dist_cls: Any = None,
    dist_kwargs: Optional[Mapping[str, Any]] = None,
    param_initializers: Optional[Mapping[str, Any]] = None,
    prior: Any = None,
    **kwargs: Any,
) -> st_lib.StochasticTensor:
    """Custom getter: creates a distribution's parameter variables and returns a StochasticTensor.

    ```none
    theta_k = getter("<name>_<k>", shape=param_static_shapes(shape)[k], ...)  for each param k
    q       = dist_cls(**dist_kwargs, **{k: theta_k})
    result  = StochasticTensor(q)            (its prior registered when `prior` is given)
    ```

    Use it through `make_stochastic_variable_getter` as the `custom_getter` of a
    `tf.compat.v1.variable_scope`; `get_variable(name, shape, ...)` inside the scope then
    returns the stochastic tensor. The parameters are named `<name>_<param>` (so
    `<scope>/<name>_loc` and `<scope>/<name>_scale` for the default class) and receive every
    other `get_variable` keyword (dtype, trainable, regularizer, ...).

    Args:
      getter: the wrapped getter TensorFlow passes to a custom getter.
      name: the requested variable's name.
      shape: the requested variable's shape: the shape of one draw. None is allowed when every
        parameter has a constant initializer (its value gives the shape).
      dist_cls: the distribution class, taking unconstrained parameters and providing
        `param_static_shapes`. Default None: `NormalWithSoftplusScale` (a Normal whose scale
        is `softplus` of its raw parameter).
      dist_kwargs: further constructor keywords of `dist_cls` (not modified).
      param_initializers: `{param name: initializer}`; a callable initializer gets the
        parameter's shape, a constant value sets both shape and value. A parameter without one
        uses `get_variable`'s default, except that the first parameter (e.g. `loc`) takes the
        `initializer` passed to `get_variable`, if any.
      prior: None, a distribution, or a callable `(shape, dtype) -> distribution` called with
        the value's (fully defined) static shape; it is registered with `register_prior`.
      **kwargs: the remaining `get_variable` keywords, passed to `getter`.

    Returns:
      A `StochasticTensor` over `dist_cls(**dist_kwargs, **parameters)`.

    Raises:
      TypeError: `dist_cls` not callable; `dist_kwargs` or `param_initializers` not a dict, or
        a tensor initializer inside `tf.function`; `prior` neither a distribution nor a
        callable, or a callable returning something else.
      AttributeError: `shape` given and `dist_cls` has no `param_static_shapes`.
      ValueError: a callable prior and a value shape that is not fully defined; an eager
        request of a variable name a `tf.function` created; TensorFlow's errors for existing
        variables or missing shapes.
    """
    return _get_stochastic_variable(
        getter, name, shape=shape, dist_cls=dist_cls, dist_kwargs=dist_kwargs,
        param_initializers=param_initializers, prior=prior, **kwargs,
    )


@deprecation.legacy("stochastic_variables.make_stochastic_variable_getter", _IN_TFP)
def make_stochastic_variable_getter(
    dist_cls: Any,
    dist_kwargs: Optional[Mapping[str, Any]] = None,
    param_initializers: Optional[Mapping[str, Any]] = None,
    prior: Any = None,
) -> Callable[..., st_lib.StochasticTensor]:
    """A custom getter for `variable_scope` that returns stochastic variables (see above).

    Args:
      dist_cls: the distribution class (required, as legacy; None means
        `NormalWithSoftplusScale`).
      dist_kwargs, param_initializers, prior: as in `get_stochastic_variable`, shared by every
        variable the getter creates.

    Returns:
      `functools.partial` of the getter with these arguments bound.

    Raises:
      TypeError: bad arguments (checked here, before any variable exists).
    """
    _check_arguments(dist_cls, dist_kwargs, param_initializers, prior)
    return functools.partial(
        _get_stochastic_variable, dist_cls=dist_cls, dist_kwargs=dist_kwargs,
        param_initializers=param_initializers, prior=prior,
    )
