"""Checks on distribution objects that accept both TFP and `tf.compat.v1` distributions."""
from typing import Any

import tensorflow as tf
import tensorflow_probability as tfp

DISTRIBUTION_TYPES = (tfp.distributions.Distribution, tf.compat.v1.distributions.Distribution)


def is_distribution(obj: Any) -> bool:
    return isinstance(obj, DISTRIBUTION_TYPES)


def check_distribution(obj: Any, arg_name: str) -> None:
    """Raises `TypeError` naming `arg_name` unless `obj` is a distribution instance."""
    if not is_distribution(obj):
        raise TypeError(
            f"{arg_name} must be an instance of Distribution (tfp.distributions or "
            f"tf.compat.v1.distributions), got {type(obj).__name__}: {obj!r}"
        )


def check_callable(obj: Any, arg_name: str, error: type = TypeError) -> None:
    if not callable(obj):
        raise error(f"`{arg_name}` must be a callable function, got {type(obj).__name__}: {obj!r}")


def _reparameterization_name(rep_type: Any) -> str:
    # TFP and tf.compat.v1 each have their own ReparameterizationType class whose equality is
    # identity, so constants of one family never equal the other's; their repr carries the name.
    return repr(rep_type)


_FULLY = _reparameterization_name(tfp.distributions.FULLY_REPARAMETERIZED)


def is_fully_reparameterized_type(rep_type: Any) -> bool:
    """Whether a TFP or `tf.compat.v1` ReparameterizationType is FULLY_REPARAMETERIZED."""
    return _reparameterization_name(rep_type) == _FULLY


def is_reparameterized(dist: Any) -> bool:
    """Whether samples of `dist` carry pathwise gradients, as legacy bayesflow decided it.

    A boolean `is_reparameterized` attribute (the TF 0.12-1.0 spelling, which legacy test code
    overrides to fake a non-reparameterized distribution) wins, together with `is_continuous`;
    otherwise `reparameterization_type` is compared with FULLY_REPARAMETERIZED by value.
    """
    flag = getattr(dist, "is_reparameterized", None)
    if isinstance(flag, bool):
        return flag and bool(getattr(dist, "is_continuous", True))
    return is_fully_reparameterized_type(dist.reparameterization_type)
