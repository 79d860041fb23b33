"""Monte Carlo integration: the legacy `tf.contrib.bayesflow.monte_carlo` module.

`expectation` accepts both legacy call forms: the TF 1.0-1.3 form `expectation(f, p, z=None,
n=None, seed=None)`, chosen when `p` is a distribution, and the TF 1.4+ sample form
`expectation(f, samples, log_prob=None, use_reparametrization=True, axis=0, keep_dims=False)`.
"""
import inspect
from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions
from tf_contrib_bayesflow._internal import sampling

__all__ = [
    "expectation",
    "expectation_importance_sampler",
    "expectation_importance_sampler_logspace",
    "expectation_v2",
]

# Legacy private helpers, importable because legacy tests and code use them.
_get_samples = sampling.get_samples
_sample_mean = sampling.sample_mean
_sample_max = sampling.sample_max
_logspace_mean = sampling.logspace_mean


def _expectation_of_distribution(
    f: Callable, p: Any, z: Any = None, n: Any = None, seed: Any = None, name: str = "expectation"
) -> tf.Tensor:
    """TF 1.0-1.3 form: the mean over axis 0 of `f` at samples `z` or `n` fresh draws of `p`."""
    distributions.check_callable(f, "f")
    distributions.check_distribution(p, "p")
    with tf.name_scope(name or "expectation"):
        z = sampling.get_samples(p, z, n, seed, dist_name="p")
        return sampling.sample_mean(f(z), "f(z)")


def _check_axis(axis: Any) -> None:
    """`axis` of the sample form: None, an int, a list or tuple of ints, or an integer tensor."""
    if axis is None or (tf.is_tensor(axis) and axis.dtype.is_integer):
        return
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if not all(
        isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in axes
    ):
        raise TypeError(
            f"axis must be None, an int, a list of ints or an integer Tensor, got "
            f"{type(axis).__name__}: {axis!r}"
        )


def _checked_values(fx: Any, axis: Any) -> tf.Tensor:
    """`f(samples)` as a tensor, once `axis` is checked against its static shape."""
    # Departure: legacy averaged over an empty axis to NaN (and left an out-of-range axis to a
    # TF shape error).
    fx = tf.convert_to_tensor(fx, name="fx")
    rank = fx.shape.rank
    if rank is None or tf.is_tensor(axis):
        return fx
    axes = range(rank) if axis is None else axis if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(
                f"axis {axis!r} is out of range for f(samples) of rank {rank} (shape {fx.shape})"
            )
    if any(tf.compat.dimension_value(fx.shape[a]) == 0 for a in axes):
        raise ValueError(
            f"f(samples) (shape {fx.shape}) holds no samples along axis {axis!r}; an average "
            "over no samples is NaN"
        )
    return fx


def _expectation_of_samples(
    f: Callable,
    samples: Any,
    log_prob: Optional[Callable] = None,
    use_reparametrization: bool = True,
    axis: Any = 0,
    keep_dims: bool = False,
    name: Optional[str] = None,
) -> tf.Tensor:
    """TF 1.4+ form: mean of `f(samples)`; a score-function surrogate when not reparameterized."""
    distributions.check_callable(f, "f", error=ValueError)
    _check_axis(axis)
    with tf.name_scope(name or "expectation"):
        if use_reparametrization:
            return tf.reduce_mean(_checked_values(f(samples), axis), axis=axis, keepdims=keep_dims)
        distributions.check_callable(log_prob, "log_prob", error=ValueError)
        x = tf.nest.map_structure(tf.stop_gradient, samples)
        log_px = log_prob(x)
        fx = _checked_values(f(x), axis)
        log_px = checks.as_tensor_of_dtype(
            log_px, fx.dtype, "log_prob(samples)", "f(samples)", name="log_prob"
        )
        # Legacy: the first-order surrogate f + stop(f) * (lp - stop(lp)) adds an exact zero; its
        # first derivative is the score-function estimator, its higher derivatives are not DiCE's.
        surrogate = fx + tf.stop_gradient(fx) * (log_px - tf.stop_gradient(log_px))
        return tf.reduce_mean(surrogate, axis=axis, keepdims=keep_dims)


_DISTRIBUTION_FORM = _expectation_of_distribution
_SAMPLES_FORM = _expectation_of_samples
_PARAMETERS = {
    form: tuple(inspect.signature(form).parameters) for form in (_DISTRIBUTION_FORM, _SAMPLES_FORM)
}
_ONLY_DISTRIBUTION_FORM = {"p", "z", "n", "seed"}
_ONLY_SAMPLES_FORM = {"samples", "log_prob", "use_reparametrization", "axis", "keep_dims"}


def _legacy_signature(form: Callable) -> str:
    return f"expectation({', '.join(_PARAMETERS[form])})"


def _check_arguments(form: Callable, args: tuple, kwargs: dict) -> None:
    """Cheap checks that make argument errors name the legacy signature, not a private one."""
    names = _PARAMETERS[form]
    unknown = set(kwargs).difference(names)
    if unknown:
        raise TypeError(f"{_legacy_signature(form)} got unexpected arguments {sorted(unknown)}")
    if len(args) > len(names):
        raise TypeError(
            f"{_legacy_signature(form)} takes at most {len(names)} arguments, got {len(args)}"
        )


def _choose_form(args: tuple, kwargs: dict) -> Callable:
    old_words = _ONLY_DISTRIBUTION_FORM.intersection(kwargs)
    new_words = _ONLY_SAMPLES_FORM.intersection(kwargs)
    if old_words and new_words:
        raise TypeError(
            "expectation() mixes its two legacy call forms: "
            f"{sorted(old_words)} belong to expectation(f, p, z, n, seed) and "
            f"{sorted(new_words)} to expectation(f, samples, log_prob, use_reparametrization, "
            "axis, keep_dims)."
        )
    if len(args) >= 2:
        second_is_distribution = distributions.is_distribution(args[1])
        if second_is_distribution and new_words:
            raise TypeError(
                f"expectation() got a distribution as its second argument (the TF 1.0-1.3 form "
                f"expectation(f, p, z, n, seed)) together with {sorted(new_words)} of the "
                "sample form; pass samples instead of a distribution, or drop those arguments."
            )
        if not second_is_distribution and old_words:
            raise TypeError(
                f"expectation() got {sorted(old_words)}, which belong to the TF 1.0-1.3 form "
                "expectation(f, p, z, n, seed), but its second argument is not a distribution: "
                f"{args[1]!r}. Pass p=<Distribution>, or use the sample form."
            )
        return _DISTRIBUTION_FORM if second_is_distribution else _SAMPLES_FORM
    if old_words:
        return _DISTRIBUTION_FORM
    if new_words:
        return _SAMPLES_FORM
    raise TypeError(
        "expectation() needs either a distribution `p` (TF 1.0-1.3 form) or `samples` "
        "(TF 1.4+ form) as its second argument."
    )


@deprecation.legacy(
    "monte_carlo.expectation",
    "tfp.monte_carlo.expectation(f, samples, log_prob, use_reparameterization, axis, keepdims)",
)
def expectation(*args: Any, **kwargs: Any) -> tf.Tensor:
    """Monte Carlo estimate of `E_p[f(Z)]` in either legacy call form.

    ```none
    expectation(f, p, z=None, n=None, seed=None, name='expectation')            # TF 1.0-1.3
    expectation(f, samples, log_prob=None, use_reparametrization=True, axis=0,
                keep_dims=False, name=None)                                     # TF 1.4+
    ```

    The first form is used when the second argument (or keyword `p`) is a distribution: it draws
    `n` samples of `p` (or takes `z`; exactly one of the two) and returns `mean_0 f(z)`, with
    plain autodiff gradients (pathwise for a reparameterized `p` sampled here, nothing else).

    The second form averages `f(samples)` over `axis`. With `use_reparametrization=False` it
    returns the same value but its gradient is the score-function estimator
    `mean(df/dtheta + f(x) dlog_prob(x)/dtheta)`, built with the first-order surrogate
    `f + stop(f) * (log_prob - stop(log_prob))`; no gradient reaches `samples` then.

    Args:
      *args, **kwargs: the arguments of one of the two forms above.

    Returns:
      The estimate: `f`'s output shape without axis 0 (first form) or without `axis` (second).

    Raises:
      ValueError: first form without exactly one of `n` and `z`, with `n <= 0`, or with a `z`
        or `f(z)` that statically has no (or an empty) axis 0; second form with a `f` or (when
        not reparameterized) `log_prob` that is not callable, an `axis` out of range for
        `f(samples)`, or an averaged axis of size 0.
      TypeError: a mix of the two forms, a `p` that is not a distribution, a non-callable `f`
        in the first form, a non-integer `n` or `axis`, a `log_prob(samples)` of another dtype
        than `f(samples)`.
    """
    form = _choose_form(args, kwargs)
    _check_arguments(form, args, kwargs)
    return form(*args, **kwargs)


@deprecation.legacy(
    "monte_carlo.expectation_v2",
    "tfp.monte_carlo.expectation(f, samples, log_prob, use_reparameterization, axis, keepdims)",
)
def expectation_v2(
    f: Callable,
    samples: Any,
    log_prob: Optional[Callable] = None,
    use_reparametrization: bool = True,
    axis: Any = 0,
    keep_dims: bool = False,
    name: Optional[str] = None,
) -> tf.Tensor:
    """The TF 1.3 sample-form expectation, whose score-function surrogate is DiCE.

    Same value and first derivative as the sample form of `expectation`; with
    `use_reparametrization=False` the surrogate is `f * exp(log_prob - stop(log_prob))`, whose
    higher derivatives are unbiased too. This is exactly `tfp.monte_carlo.expectation`.
    """
    _check_axis(axis)
    # A non-callable `f` is passed on as is: TFP raises the legacy ValueError for it.
    checked_f = (lambda x: _checked_values(f(x), axis)) if callable(f) else f
    return tfp.monte_carlo.expectation(
        checked_f,
        samples,
        log_prob=log_prob,
        use_reparameterization=use_reparametrization,
        axis=axis,
        keepdims=keep_dims,
        name=name or "expectation_v2",
    )


def _importance_samples(log_p: Callable, q: Any, z: Any, n: Any, seed: Any) -> tf.Tensor:
    """Checks `log_p` and `q`, and resolves the samples `z` of `q`."""
    distributions.check_callable(log_p, "log_p")
    distributions.check_distribution(q, "sampling_dist_q")
    return sampling.get_samples(q, z, n, seed, dist_name="sampling_dist_q", match_dtype=True)


def _checked_term(value: Any, dtype: tf.DType, arg_name: str) -> tf.Tensor:
    """`value` as a tensor that must have `dtype`, that of `sampling_dist_q.log_prob(z)`."""
    return checks.as_tensor_of_dtype(value, dtype, arg_name, "sampling_dist_q.log_prob(z)")


@deprecation.legacy("monte_carlo.expectation_importance_sampler", None)
def expectation_importance_sampler(
    f: Callable,
    log_p: Callable,
    sampling_dist_q: Any,
    z: Any = None,
    n: Any = None,
    seed: Any = None,
    name: str = "expectation_importance_sampler",
) -> tf.Tensor:
    """Importance-sampling estimate of `E_p[f(Z)]` with draws `z` from `sampling_dist_q`.

    ```none
    w_i = p(z_i) / q(z_i)
    E_p[f] ~= (1/n) sum_i w_i f(z_i)            (plain, not self-normalized)
           = exp(L+) - exp(L-),
    L+- = logspace_mean(log(1 + relu(+-f(z))) + log_p(z) - log_q(z))
    ```

    Splitting `f` into its positive and negative parts keeps every term in log space, so huge
    or tiny weights do not overflow; the added ones cancel because both parts share weights.
    `log_p` may be unnormalized only if that is what the caller wants estimated.

    Args:
      f: callable mapping samples to values, shape `[n] + B`.
      log_p: callable, the log density of the target `p`.
      sampling_dist_q: the proposal distribution.
      z: samples of `q` (axis 0 indexes samples), or None to draw `n`.
      n: number of draws, when `z` is None.
      seed: seed for drawing.
      name: name scope.

    Returns:
      The estimate, shape `B` (the broadcast of the three terms without axis 0).

    Raises:
      ValueError: unless exactly one of `n` and `z` is given; `z` a scalar or with 0 samples.
      TypeError: `f`/`log_p` not callable, `sampling_dist_q` not a distribution; `z`, `f(z)`
        or `log_p(z)` of another dtype than `sampling_dist_q` and its `log_prob(z)`.
    """
    distributions.check_callable(f, "f")
    with tf.name_scope(name or "expectation_importance_sampler"):
        z = _importance_samples(log_p, sampling_dist_q, z, n, seed)
        log_p_z, log_q_z = sampling.log_p_and_log_q(log_p, sampling_dist_q, z, "sampling_dist_q")
        f_z = _checked_term(f(z), log_q_z.dtype, "f(z)")
        # Legacy: summed as (log f + log p) - log q, and with log(x + 1) rather than log1p. Each
        # half is one expression so that, in eager mode, its n-sized log f is freed once summed.
        positive = sampling.logspace_mean(tf.math.log(tf.nn.relu(f_z) + 1.0) + log_p_z - log_q_z)
        negative = sampling.logspace_mean(tf.math.log(tf.nn.relu(-f_z) + 1.0) + log_p_z - log_q_z)
        return tf.exp(positive) - tf.exp(negative)


@deprecation.legacy(
    "monte_carlo.expectation_importance_sampler_logspace",
    "tfp.math.reduce_logmeanexp(log_f(z) + log_p(z) - q.log_prob(z), axis=0)",
)
def expectation_importance_sampler_logspace(
    log_f: Callable,
    log_p: Callable,
    sampling_dist_q: Any,
    z: Any = None,
    n: Any = None,
    seed: Any = None,
    name: str = "expectation_importance_sampler_logspace",
) -> tf.Tensor:
    """Log of the importance-sampling estimate of `E_p[exp(log_f(Z))]`, computed in log space.

    ```none
    result = logspace_mean(log_f(z) + log_p(z) - log_q(z)),   z ~ q
    ```

    Args and Raises: as `expectation_importance_sampler`, with `log_f` in place of `f`.

    Returns:
      The log-estimate, shape `B`.
    """
    distributions.check_callable(log_f, "log_f")
    q = sampling_dist_q
    with tf.name_scope(name or "expectation_importance_sampler_logspace"):
        z = _importance_samples(log_p, q, z, n, seed)
        # The dtype of q.log_prob(z): q's own when floating (then log q is built last, as in
        # legacy); a discrete q's log_prob is built first to read it.
        dtype = checks.floating_dtype(q) or q.log_prob(z).dtype
        # Legacy order: log f(z), log p(z), their sum, then log q(z). Term by term, so that in
        # eager mode each n-sized term is freed once summed.
        log_values = _checked_term(log_f(z), dtype, "log_f(z)")
        log_values = log_values + _checked_term(log_p(z), dtype, "log_p(z)")
        log_values = log_values - _checked_term(q.log_prob(z), dtype, "sampling_dist_q.log_prob(z)")
        return sampling.logspace_mean(log_values)
