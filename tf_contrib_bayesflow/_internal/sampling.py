"""Sample resolution and axis-0 sample statistics shared by the estimator modules."""
from typing import Any

import numpy as np
import tensorflow as tf

from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import distributions


def _check_sample_count(n: Any) -> None:
    if isinstance(n, (bool, np.bool_)) or not (
        isinstance(n, (int, np.integer)) or tf.is_tensor(n)
    ):
        raise TypeError(f"n must be an integer or an integer Tensor, got {type(n).__name__}: {n!r}")
    if tf.is_tensor(n) and not n.dtype.is_integer:
        raise TypeError(f"n must be an integer Tensor, got dtype {n.dtype.name}")
    # A constant tensor is read statically (no op); other tensors are checked by the sampler.
    value = tf.get_static_value(n) if tf.is_tensor(n) else n
    if value is not None and np.any(np.asarray(value) <= 0):
        raise ValueError(f"n must be positive, got {value}")


def get_samples(
    dist: Any, z: Any, n: Any, seed: Any, dist_name: str = "dist", match_dtype: bool = False
) -> tf.Tensor:
    """Returns `z` as a tensor, or `n` fresh draws of `dist`; exactly one of them must be given.

    `z` needs a non-empty sample axis 0. With `match_dtype` (for callers that evaluate
    `dist.log_prob(z)`), a Python or NumPy `z` is converted to a floating `dist`'s dtype and a
    tensor `z` must already have it.
    """
    if (n is None) == (z is None):
        raise ValueError(
            'Must specify exactly one of arguments "n" and "z".  Found: '
            f"n = {n}, z = {z}"
        )
    if n is not None:
        with tf.name_scope("get_samples"):
            distributions.check_distribution(dist, dist_name)
            _check_sample_count(n)
            return dist.sample(n, seed=seed)
    dtype = checks.floating_dtype(dist) if match_dtype else None
    # Departure: legacy passed any `z` on; a scalar or empty one gave a TF shape error or a
    # NaN mean, and one of another dtype a TF error deep inside `log_prob`. A Python or
    # NumPy `z` that goes to `log_prob` takes the distribution's dtype (legacy: float32).
    checks.check_sample_axis(z, "z")
    if not isinstance(z, tf.Tensor):
        # A tensor is used as it is: converting it is a no-op that costs microseconds in eager.
        with tf.name_scope("get_samples"):
            z = tf.convert_to_tensor(z, dtype_hint=dtype, name="z")
    if dtype is not None:
        checks.check_same_dtype(z, dtype, "z", dist_name)
    return z


def log_p_and_log_q(log_p: Any, q: Any, z: tf.Tensor, q_name: str) -> tuple:
    """`(log_p(z), q.log_prob(z))`, evaluated in this order; `log_p(z)` must have `q`'s dtype."""
    log_p_z = log_p(z)
    log_q_z = q.log_prob(z)
    log_p_z = checks.as_tensor_of_dtype(
        log_p_z, log_q_z.dtype, "log_p(z)", f"{q_name}.log_prob(z)", name="log_p_z"
    )
    return log_p_z, log_q_z


# Departure (sample_mean, sample_max, logspace_mean): legacy reduced an empty axis 0 to NaN (the
# max to -inf) and failed inside TensorFlow for a scalar; both raise ValueError naming the input.
def sample_mean(values: Any, arg_name: str = "values") -> tf.Tensor:
    checks.check_sample_axis(values, arg_name)
    return tf.reduce_mean(values, axis=0)


def sample_max(values: Any, arg_name: str = "values") -> tf.Tensor:
    checks.check_sample_axis(values, arg_name)
    return tf.reduce_max(values, axis=0)


def logspace_mean(log_values: Any, arg_name: str = "log_values") -> tf.Tensor:
    """`log(mean(exp(log_values)))` over axis 0, centred on a stop-gradient maximum.

    Gradients are the softmax weights along axis 0; the centring constant carries none.
    """
    checks.check_floating(log_values, arg_name)
    checks.check_sample_axis(log_values, arg_name)
    log_values = tf.convert_to_tensor(log_values, name="log_values")
    centre = sample_max(log_values, arg_name)
    # Departure: legacy centred on the raw maximum, so an all -inf (or any +inf) column gave
    # NaN; centring such columns on 0 gives the exact -inf / +inf instead, as tf.reduce_logsumexp
    # does. Finite columns are computed exactly as legacy did.
    centre = tf.stop_gradient(tf.where(tf.math.is_finite(centre), centre, tf.zeros_like(centre)))
    return tf.math.log(sample_mean(tf.exp(log_values - centre))) + centre
