"""Sample resolution and axis-0 sample statistics shared by the estimator modules."""
from typing import Any

import numpy as np
import tensorflow as tf

from tf_contrib_bayesflow._internal import distributions


def _check_sample_count(n: Any) -> None:
    if isinstance(n, (bool, np.bool_)) or not (
        isinstance(n, (int, np.integer)) or tf.is_tensor(n)
    ):
        raise TypeError(f"n must be an integer or an integer Tensor, got {type(n).__name__}: {n!r}")
    if tf.is_tensor(n) and not n.dtype.is_integer:
        raise TypeError(f"n must be an integer Tensor, got dtype {n.dtype.name}")
    if not tf.is_tensor(n) and n <= 0:
        raise ValueError(f"n must be positive, got {n}")


def get_samples(dist: Any, z: Any, n: Any, seed: Any, dist_name: str = "dist") -> tf.Tensor:
    """Returns `z` as a tensor, or `n` fresh draws of `dist`; exactly one of them must be given."""
    with tf.name_scope("get_samples"):
        if (n is None) == (z is None):
            raise ValueError(
                'Must specify exactly one of arguments "n" and "z".  Found: '
                f"n = {n}, z = {z}"
            )
        if n is not None:
            distributions.check_distribution(dist, dist_name)
            _check_sample_count(n)
            return dist.sample(n, seed=seed)
        return tf.convert_to_tensor(z, name="z")


def sample_mean(values: Any) -> tf.Tensor:
    return tf.reduce_mean(values, axis=0)


def sample_max(values: Any) -> tf.Tensor:
    return tf.reduce_max(values, axis=0)


def logspace_mean(log_values: Any) -> tf.Tensor:
    """`log(mean(exp(log_values)))` over axis 0, centred on a stop-gradient maximum.

    Gradients are the softmax weights along axis 0; the centring constant carries none.
    """
    log_values = tf.convert_to_tensor(log_values, name="log_values")
    centre = sample_max(log_values)
    # Departure: legacy centred on the raw maximum, so an all -inf (or any +inf) column gave
    # NaN; centring such columns on 0 gives the exact -inf / +inf instead, as tf.reduce_logsumexp
    # does. Finite columns are computed exactly as legacy did.
    centre = tf.stop_gradient(tf.where(tf.math.is_finite(centre), centre, tf.zeros_like(centre)))
    return tf.math.log(sample_mean(tf.exp(log_values - centre))) + centre
