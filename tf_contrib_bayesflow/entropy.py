"""Entropy and variational bounds: the legacy `tf.contrib.bayesflow.entropy` module.

Shannon entropy (analytic or sampled), the evidence lower bound `E_q[log p - log q]`, the Renyi
bound of Li and Turner (2016), and the decay schedule for its `alpha` used in legacy examples.
"""
from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions
from tf_contrib_bayesflow._internal import sampling
from tf_contrib_bayesflow._internal.elbo_forms import ELBOForms

__all__ = [
    "ELBOForms",
    "elbo_ratio",
    "entropy_shannon",
    "renyi_alpha",
    "renyi_ratio",
]

_ENTROPY_FORMS = (ELBOForms.default, ELBOForms.analytic_entropy, ELBOForms.sample)


def _resolve_entropy_form(form: Any) -> Any:
    """`form`, with None meaning `default`; rejects forms the entropy functions cannot use."""
    if form is None:
        return ELBOForms.default
    if not any(form is allowed for allowed in _ENTROPY_FORMS):
        raise ValueError(
            f"ELBOForm not handled by this function: {form!r} (form must be None or "
            "ELBOForms.default, ELBOForms.analytic_entropy or ELBOForms.sample)"
        )
    return form


def _analytic_entropy(p: Any, form: Any) -> Optional[tf.Tensor]:
    """`p.entropy()` where `form` allows it and `p` has one; None where the entropy is sampled."""
    if form is ELBOForms.sample:
        return None
    try:
        return p.entropy()
    except NotImplementedError:
        if form is ELBOForms.analytic_entropy:
            raise
        return None


def _entropy(p: Any, z: Any, n: Any, seed: Any, form: Any) -> tf.Tensor:
    """`entropy_shannon` once its arguments are checked (and without a deprecation warning)."""
    entropy = _analytic_entropy(p, form)
    if entropy is not None:
        # Legacy: with an analytic entropy, n, z and seed are ignored, even both or neither.
        return entropy
    z = sampling.get_samples(p, z, n, seed, dist_name="p", match_dtype=True)
    return -sampling.sample_mean(p.log_prob(z), "p.log_prob(z)")


@deprecation.legacy(
    "entropy.entropy_shannon",
    "d.entropy(), or -tfp.monte_carlo.expectation(d.log_prob, d.sample(n, seed=seed))",
)
def entropy_shannon(
    p: Any,
    z: Any = None,
    n: Any = None,
    seed: Any = None,
    form: Any = None,
    name: str = "entropy_shannon",
) -> tf.Tensor:
    """Shannon entropy of `p`: analytic when allowed and available, else a sample estimate.

    ```none
    H[p] = -E_p[log p(Z)]  ~=  -(1/n) sum_i log p(z_i),   z_i ~ p
    ```

    With `form` `default` (or None) the closed form `p.entropy()` is used when `p` has one, and
    then `z`, `n` and `seed` are ignored entirely (legacy behaviour: no exactly-one check
    either). `analytic_entropy` insists on the closed form; `sample` always estimates.
    The estimate's gradient is pathwise through samples drawn here (no score-function term).

    Args:
      p: the distribution (TFP or `tf.compat.v1.distributions`).
      z: samples of `p`, axis 0 indexing samples; used by the sample estimate.
      n: number of samples to draw instead of `z`.
      seed: seed for drawing.
      form: an `ELBOForms` constant other than `analytic_kl`; None means `default`.
      name: name scope.

    Returns:
      The entropy, shape `p.batch_shape`, dtype `p.dtype`.

    Raises:
      ValueError: `n` given with `form=analytic_entropy`; `analytic_kl` or a non-`ELBOForms`
        form; not exactly one of `n` and `z` when estimating, or a `z` with no samples.
      NotImplementedError: `form=analytic_entropy` and `p` has no analytic entropy.
      TypeError: `p` is not a distribution; a `z` of another dtype when estimating.
    """
    if n is not None and form is ELBOForms.analytic_entropy:
        raise ValueError("If form == ELBOForms.analytic_entropy, n must be None.")
    form = _resolve_entropy_form(form)
    distributions.check_distribution(p, "p")
    with tf.name_scope(name or "entropy_shannon"):
        return _entropy(p, z, n, seed, form)


@deprecation.legacy(
    "entropy.elbo_ratio",
    "-tfp.vi.monte_carlo_variational_loss(log_p, q, sample_size=n, "
    "discrepancy_fn=tfp.vi.kl_reverse) (note the sign)",
)
def elbo_ratio(
    log_p: Callable,
    q: Any,
    z: Any = None,
    n: Any = None,
    seed: Any = None,
    form: Any = None,
    name: str = "elbo_ratio",
) -> tf.Tensor:
    """Estimates `E_q[log p(Z) - log q(Z)]`: the ELBO for a log joint, `-KL(q || p)` for a density.

    ```none
    elbo_ratio = H[q] + (1/n) sum_i log_p(z_i),            z_i ~ q   (analytic entropy)
               = (1/n) sum_i (log_p(z_i) - log q(z_i))                (sampled entropy)
    ```

    Exactly one of `n` and `z` is required whatever the form. The entropy term is analytic
    under `default` (when `q` has one) and `analytic_entropy`, sampled at the same `z` under
    `sample` (legacy added the two means, which rounds differently in the last bits). Gradients
    are pathwise through samples drawn here and analytic through `H[q]`; there is no
    score-function term for a non-reparameterized `q`.

    Args:
      log_p: callable, the (possibly unnormalized) log density to bound.
      q: the variational distribution.
      z: samples of `q`, axis 0 indexing samples.
      n: number of samples to draw instead of `z`.
      seed: seed for drawing.
      form: an `ELBOForms` constant other than `analytic_kl`; None means `default`.
      name: name scope.

    Returns:
      The estimate, shape `q.batch_shape` (the broadcast of `H[q]` and `log_p(z)` without axis 0).

    Raises:
      ValueError: not exactly one of `n` and `z`; `analytic_kl` or a non-`ELBOForms` form;
        a `z` with no samples.
      NotImplementedError: `form=analytic_entropy` and `q` has no analytic entropy.
      TypeError: `log_p` not callable, `q` not a distribution; `z` or `log_p(z)` of another
        dtype than `q`.
    """
    distributions.check_callable(log_p, "log_p")
    distributions.check_distribution(q, "q")
    form = _resolve_entropy_form(form)
    with tf.name_scope(name or "elbo_ratio"):
        z = sampling.get_samples(q, z, n, seed, dist_name="q", match_dtype=True)
        with tf.name_scope("entropy_shannon"):
            # Legacy: n is not forwarded, so analytic_entropy is accepted here with n.
            entropy = _analytic_entropy(q, form)
            log_q_z = q.log_prob(z) if entropy is None else None
        reference = log_q_z if entropy is None else entropy
        log_p_z = checks.as_tensor_of_dtype(
            log_p(z), reference.dtype, "log_p(z)", "the entropy of q", name="log_p_z"
        )
        if entropy is not None:
            return entropy + sampling.sample_mean(log_p_z, "log_p(z)")
        # Departure: legacy added the sampled entropy -mean(log q(z)) to mean(log p(z)). One mean
        # of the difference is the same estimate, rounded differently in the last bits, and with
        # one reduction instead of two: XLA materializes the input of each reduction, so the
        # legacy form took up to 1.9x the time and 2x the memory (benchmarks/RESULTS.md).
        return sampling.sample_mean(log_p_z - log_q_z, "log_p(z) - q.log_prob(z)")


def _check_alpha(alpha: Any) -> None:
    checks.check_real(alpha, "alpha")
    # Departure: legacy divided by 1 - alpha = 0 and returned NaN; a Python or NumPy alpha of 1
    # is caught here. Tensor values are not inspected, as in legacy.
    if not tf.is_tensor(alpha) and np.any(checks.numpy_value(alpha) == 1):
        raise ValueError(
            f"alpha must not be 1 (the Renyi bound divides by 1 - alpha), got {alpha!r}; "
            "use elbo_ratio for the alpha -> 1 limit."
        )


@deprecation.legacy("entropy.renyi_ratio", None)
def renyi_ratio(
    log_p: Callable,
    q: Any,
    alpha: Any,
    z: Any = None,
    n: Any = None,
    seed: Any = None,
    name: str = "renyi_ratio",
) -> tf.Tensor:
    """Monte Carlo Renyi bound `L_alpha` on `log integral p` with samples of `q`.

    ```none
    L_alpha = 1/(1 - alpha) log( (1/n) sum_i (p(z_i) / q(z_i))^(1 - alpha) ),   z_i ~ q
    ```

    Computed in log space, centred on the (stop-gradient) largest term, so log ratios of any
    size neither overflow nor underflow. For a normalized `log_p` this estimates
    `-D_alpha(q || p)`; for a log joint it is the Renyi bound, which rises from the ELBO
    (`alpha -> 1`) to the importance-weighted bound (`alpha = 0`). It is biased low for finite
    `n`, and with `n = 1` equals the sample-form `elbo_ratio`. The analytic entropy is never
    used. Gradients reach `alpha` and, pathwise, samples drawn here.

    Args:
      log_p: callable, the (possibly unnormalized) log density.
      q: the sampling distribution.
      alpha: the order, not 1; broadcasts against `q.batch_shape`.
      z: samples of `q`, axis 0 indexing samples.
      n: number of samples to draw instead of `z`.
      seed: seed for drawing.
      name: name scope.

    Returns:
      The bound, shape `q.batch_shape` (broadcast with `alpha`).

    Raises:
      ValueError: not exactly one of `n` and `z`; `alpha` a Python or NumPy value equal to 1;
        `z` a scalar or with 0 samples.
      TypeError: `log_p` not callable, `q` not a distribution, `alpha` not a real number or a
        tensor of another dtype than the log ratios, `z` or `log_p(z)` of another dtype than
        `q`'s.

    #### References
    Y. Li and R. E. Turner. Renyi divergence variational inference. NeurIPS, 2016.
    """
    distributions.check_callable(log_p, "log_p")
    distributions.check_distribution(q, "q")
    _check_alpha(alpha)
    with tf.name_scope(name or "renyi_ratio"):
        z = sampling.get_samples(q, z, n, seed, dist_name="q", match_dtype=True)
        log_p_z, log_q_z = sampling.log_p_and_log_q(log_p, q, z, "q")
        log_ratio = log_p_z - log_q_z
        del log_p_z, log_q_z  # Eager mode: free the n-sized terms before the mean.
        if tf.is_tensor(alpha):
            alpha = tf.convert_to_tensor(alpha, name="alpha")
            if alpha.dtype != log_ratio.dtype:
                raise TypeError(
                    f"alpha must have the dtype of log_p(z) - q.log_prob(z), "
                    f"{log_ratio.dtype.name}, got {alpha.dtype.name}"
                )
        else:
            alpha = tf.convert_to_tensor(alpha, dtype=log_ratio.dtype, name="alpha")
        one_minus_alpha = 1.0 - alpha
        scaled_log_ratio = one_minus_alpha * log_ratio
        del log_ratio
        return sampling.logspace_mean(scaled_log_ratio) / one_minus_alpha


def _scalar_check(x: tf.Tensor, arg_name: str) -> Any:
    return tf.debugging.assert_rank(x, 0, message=f"{arg_name} must be scalar")


def _check_static_scalar(value: Any, arg_name: str) -> None:
    """What is known of a `renyi_alpha` argument before any op is built: a real value and rank."""
    checks.check_real(value, arg_name)
    rank = checks.static_shape(value).rank
    if rank is not None and rank != 0:
        raise ValueError(f"{arg_name} must be scalar, got rank {rank}: {value!r}")


@deprecation.legacy("entropy.renyi_alpha", None)
def renyi_alpha(
    step: Any,
    decay_time: Any,
    alpha_min: Any,
    alpha_max: Any = 0.99999,
    name: str = "renyi_alpha",
) -> tf.Tensor:
    """Renyi order for training step `step`: `alpha_max` at step 0, decaying to `alpha_min`.

    ```none
    theta = clip((exp(step / decay_time) - 1) / (e - 1), 0, 1)
    alpha = alpha_max * (1 - theta) + alpha_min * theta
    ```

    The schedule starts near the ELBO (`alpha` near 1) and reaches `alpha_min` at
    `step = decay_time`, staying there. The dtype is `alpha_min`'s; `alpha_max` is converted
    to it and `step` and `decay_time` are cast to it. All four must be scalars, `step >= 0`
    and `decay_time > 0`: a statically known rank is checked when the op is built, the rest
    when it runs (at once in eager mode).

    Args:
      step: the training step, a scalar of any real dtype.
      decay_time: steps until `alpha_min` is reached, a positive scalar.
      alpha_min: the final order, a floating-point scalar; fixes the dtype.
      alpha_max: the initial order; default 0.99999.
      name: name scope.

    Returns:
      The scalar `alpha`, dtype of `alpha_min`.

    Raises:
      ValueError: a statically non-scalar argument ('... must be scalar'); `alpha_max` a
        tensor of another dtype.
      TypeError: `alpha_min` is not floating point; an argument is not a real number.
      tf.errors.InvalidArgumentError: a non-scalar of unknown rank, 'step must be non-negative',
        'decay_time must be positive'.
    """
    for arg_name, value in (
        ("step", step), ("decay_time", decay_time), ("alpha_min", alpha_min),
        ("alpha_max", alpha_max),
    ):
        _check_static_scalar(value, arg_name)
    if checks.dtype_kind(alpha_min) not in ("f", None):
        raise TypeError(
            f"alpha_min must be a floating-point scalar (it fixes the dtype), got "
            f"{type(alpha_min).__name__}: {alpha_min!r}"
        )
    with tf.name_scope(name or "renyi_alpha"):
        alpha_min = tf.convert_to_tensor(alpha_min, name="alpha_min")
        dtype = alpha_min.dtype
        if tf.is_tensor(alpha_max) and alpha_max.dtype != dtype:
            raise ValueError(
                f"alpha_max must have alpha_min's dtype {dtype.name}, got {alpha_max.dtype.name}"
            )
        alpha_max = tf.convert_to_tensor(alpha_max, dtype=dtype, name="alpha_max")
        step = tf.cast(step, dtype, name="step")
        decay_time = tf.cast(decay_time, dtype, name="decay_time")
        assertions = [
            _scalar_check(step, "step"),
            _scalar_check(decay_time, "decay_time"),
            _scalar_check(alpha_min, "alpha_min"),
            _scalar_check(alpha_max, "alpha_max"),
            tf.debugging.assert_non_negative(step, message="step must be non-negative"),
            tf.debugging.assert_positive(decay_time, message="decay_time must be positive"),
        ]
        with tf.control_dependencies([check for check in assertions if check is not None]):
            theta = (tf.exp(step / decay_time) - 1.0) / (np.e - 1.0)
            theta = tf.clip_by_value(theta, 0.0, 1.0)
            return alpha_max * (1.0 - theta) + alpha_min * theta
