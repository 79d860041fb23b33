"""Tests of `entropy`: Shannon entropy, ELBO, Renyi bound and schedule, and `ELBOForms`."""
import copy
import pickle
import re
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import elbo_forms

tfd = tfp.distributions
v1d = tf.compat.v1.distributions

FAMILIES = {"tfp": tfd, "v1": v1d}
Forms = entropy.ELBOForms


def _normal_entropy(scale):
    return 0.5 * np.log(2 * np.pi * np.e * np.asarray(scale, np.float64) ** 2)


def _normal_log_prob(z, loc, scale):
    return -0.5 * ((z - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def _normal_kl(loc_q, scale_q, loc_p, scale_p):
    """KL(N(loc_q, scale_q^2) || N(loc_p, scale_p^2)), elementwise."""
    return (
        np.log(scale_p / scale_q)
        + (scale_q**2 + (loc_q - loc_p) ** 2) / (2 * scale_p**2)
        - 0.5
    )


def _normal_renyi(alpha, loc_q, scale_q, loc_p, scale_p):
    """Renyi divergence D_alpha(N(loc_q, scale_q^2) || N(loc_p, scale_p^2)), alpha != 1.

    Closed form (Gil, Alajaji and Linder, 2013); valid while the mixed variance is positive.
    """
    mixed = alpha * scale_p**2 + (1 - alpha) * scale_q**2
    assert np.all(mixed > 0)
    return (
        np.log(scale_p / scale_q)
        + np.log(scale_p**2 / mixed) / (2 * (alpha - 1))
        + alpha * (loc_q - loc_p) ** 2 / (2 * mixed)
    )


def _log_ratio_std(loc_q, scale_q, loc_p, scale_p, with_log_q=True):
    """Std under q of log p(z) - log q(z) (or of log p(z) alone) for normals, elementwise.

    With z = loc_q + scale_q e, d = loc_q - loc_p and k = scale_q^2 / scale_p^2:
    log p(z) = const - (d scale_q / scale_p^2) e - (k/2) e^2, and -log q(z) = const + e^2/2;
    Var(a e + b e^2) = a^2 + 2 b^2.
    """
    a = (loc_q - loc_p) * scale_q / scale_p**2
    k = scale_q**2 / scale_p**2
    b = (1 - k) / 2 if with_log_q else k / 2
    return np.sqrt(a**2 + 2 * b**2)


# ---------------------------------------------------------------- ELBOForms


def test_elbo_forms_are_four_distinct_identity_sentinels():
    constants = [Forms.default, Forms.analytic_kl, Forms.analytic_entropy, Forms.sample]
    assert len({id(c) for c in constants}) == 4
    assert entropy.ELBOForms is elbo_forms.ELBOForms
    for constant in constants:
        assert isinstance(constant, elbo_forms._ELBOForm)
        Forms.check_form(constant)
        # A copy or round trip must stay the constant itself: forms are compared by identity.
        assert copy.copy(constant) is constant and copy.deepcopy({"f": constant})["f"] is constant
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            assert pickle.loads(pickle.dumps(constant, protocol)) is constant
    assert repr(Forms.analytic_kl) == "ELBOForms.analytic_kl"


@pytest.mark.parametrize("foreign", [None, "sample", 0, elbo_forms._ELBOForm("sample"), Forms])
def test_check_form_rejects_anything_else(foreign):
    with pytest.raises(TypeError, match="^form must be an ELBOForms constant$"):
        Forms.check_form(foreign)


# ---------------------------------------------------------------- entropy_shannon


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_entropy_shannon_analytic_ignores_n_and_z(regime, family):
    def fn():
        p = FAMILIES[family].Normal(loc=1.11, scale=2.22)
        outputs = (
            entropy.entropy_shannon(p, n=11),  # Legacy quirk: n ignored, no error
            entropy.entropy_shannon(p, z=[1.0, 2.0], n=3),  # ... even with both
            entropy.entropy_shannon(p),  # ... or neither
            entropy.entropy_shannon(p, z=[1.0], form=Forms.analytic_entropy),
        )
        for out in outputs:
            assert out.shape == ()
        return outputs

    exact = _normal_entropy(2.22)
    np.testing.assert_allclose(regime.run(fn), [exact] * 4, rtol=1e-6)


def test_entropy_shannon_mvn_diag_batch_is_exact(regime):
    scale = np.array([[1.0, 2.0, 0.5], [0.1, 1.0, 3.0]])

    def fn():
        p = tfd.MultivariateNormalDiag(loc=tf.zeros([2, 3], tf.float64), scale_diag=scale)
        out = entropy.entropy_shannon(p, form=Forms.analytic_entropy)
        assert out.shape == (2,)
        return out

    np.testing.assert_allclose(regime.run(fn), _normal_entropy(scale).sum(-1), rtol=1e-12)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_entropy_shannon_sample_form_estimates_entropy(regime, family):
    n, scale = 20000, np.array([2.22, 0.5])

    def fn():
        p = FAMILIES[family].Normal(loc=tf.constant([1.11, -3.0], tf.float64), scale=scale)
        out = entropy.entropy_shannon(p, n=n, seed=helpers.SEED, form=Forms.sample)
        assert out.shape == (2,)
        return out

    estimate = regime.run(fn)
    exact = _normal_entropy(scale)
    # -log p(z) = const + e^2/2 with e ~ N(0, 1): std sqrt(2)/2.
    helpers.assert_within(estimate, exact, helpers.mc_tolerance(np.sqrt(0.5), n))
    assert np.all(np.abs(estimate - exact) > 1e-6)  # really sampled


def test_entropy_shannon_sample_form_with_z_is_minus_mean_log_prob(regime):
    z = np.random.RandomState(0).normal(size=(40, 2)) * 3.0
    loc, scale = np.array([0.5, -1.0]), np.array([1.5, 0.7])

    def fn():
        p = tfd.Normal(tf.constant(loc), scale)
        return entropy.entropy_shannon(p, z=z, form=Forms.sample)

    np.testing.assert_allclose(
        regime.run(fn), -_normal_log_prob(z, loc, scale).mean(0), rtol=1e-12
    )


def _mixture(dtype=tf.float64):
    """A batch-(2,) two-component mixture: TFP gives it no analytic entropy."""
    return tfd.Mixture(
        cat=tfd.Categorical(probs=tf.constant([[0.3, 0.7], [0.5, 0.5]], dtype)),
        components=[
            tfd.Normal(tf.constant([-1.0, 0.0], dtype), tf.constant(1.0, dtype)),
            tfd.Normal(tf.constant([2.0, 0.5], dtype), tf.constant(0.5, dtype)),
        ],
    )


def test_entropy_shannon_mixture_falls_back_to_samples(regime):
    z = np.random.RandomState(1).normal(size=(30, 2))

    def fn():
        mixture = _mixture()
        drawn = entropy.entropy_shannon(mixture, n=5, seed=1)
        assert drawn.shape == (2,)
        return entropy.entropy_shannon(mixture, z=z), -tf.reduce_mean(mixture.log_prob(z), 0)

    default_form, direct = regime.run(fn)
    np.testing.assert_allclose(default_form, direct, rtol=1e-12)


# ---------------------------------------------------------------- elbo_ratio


def _kl_case():
    """q and p: MultivariateNormalDiag with batch (2,) and event (3,), as the legacy tests."""
    loc_q = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.5]])
    scale_q = np.array([[1.0, 1.0, 1.0], [0.5, 2.0, 1.0]])
    loc_p = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    scale_p = np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.5]])
    return loc_q, scale_q, loc_p, scale_p


@pytest.mark.parametrize("form", ["sample", "default", "analytic_entropy"])
def test_elbo_ratio_is_minus_kl(regime, form):
    n = 20000
    loc_q, scale_q, loc_p, scale_p = _kl_case()

    def fn():
        q = tfd.MultivariateNormalDiag(loc=loc_q, scale_diag=scale_q)
        p = tfd.MultivariateNormalDiag(loc=loc_p, scale_diag=scale_p)
        out = entropy.elbo_ratio(p.log_prob, q, n=n, seed=helpers.SEED, form=getattr(Forms, form))
        assert out.shape == (2,)
        return out

    kl = _normal_kl(loc_q, scale_q, loc_p, scale_p).sum(-1)
    # Per-sample terms are sums over 3 independent coordinates: log p - log q under `sample`,
    # log p alone when the entropy is analytic.
    std = np.sqrt(
        (_log_ratio_std(loc_q, scale_q, loc_p, scale_p, with_log_q=form == "sample") ** 2).sum(-1)
    )
    helpers.assert_within(regime.run(fn), -kl, helpers.mc_tolerance(std, n))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_elbo_ratio_with_z_equals_direct_formulas(regime, family):
    z = np.random.RandomState(2).normal(size=(25, 2)) * 2.0
    loc_q, scale_q = np.array([0.3, -0.2]), np.array([1.2, 0.8])

    def log_p(x):
        return -tf.abs(x - 1.0)  # any callable works, normalized or not

    def fn():
        q = FAMILIES[family].Normal(tf.constant(loc_q), scale_q)
        return (
            entropy.elbo_ratio(log_p, q, z=z, form=Forms.sample),
            entropy.elbo_ratio(log_p, q, z=z),
            entropy.elbo_ratio(log_p, q, z=z, form=Forms.analytic_entropy),
        )

    sample_form, default_form, analytic = regime.run(fn)
    log_p_z = -np.abs(z - 1.0)
    np.testing.assert_allclose(
        sample_form, (log_p_z - _normal_log_prob(z, loc_q, scale_q)).mean(0), rtol=1e-12
    )
    np.testing.assert_allclose(default_form, _normal_entropy(scale_q) + log_p_z.mean(0), rtol=1e-12)
    np.testing.assert_array_equal(analytic, default_form)


def test_elbo_ratio_of_q_against_itself_is_zero(regime):
    loc_q, scale_q, _, _ = _kl_case()

    def fn():
        q = tfd.MultivariateNormalDiag(loc=loc_q, scale_diag=scale_q)
        out = entropy.elbo_ratio(q.log_prob, q, n=50, seed=helpers.SEED, form=Forms.sample)
        assert out.shape == (2,)
        return out

    np.testing.assert_array_equal(regime.run(fn), [0.0, 0.0])  # exactly lq - lq per sample


def test_elbo_ratio_mixture_falls_back_to_samples(regime):
    z = np.random.RandomState(3).normal(size=(30, 2))

    def log_p(x):
        return _normal_log_prob(1.0, x, 1.0)

    def fn():
        q = _mixture()
        drawn = entropy.elbo_ratio(log_p, q, n=7, seed=2)
        assert drawn.shape == (2,)
        return entropy.elbo_ratio(log_p, q, z=z), tf.reduce_mean(log_p(z) - q.log_prob(z), 0)

    default_form, direct = regime.run(fn)
    np.testing.assert_allclose(default_form, direct, rtol=1e-12)


@pytest.mark.parametrize("form", ["sample", "default"])
def test_elbo_ratio_gradient_is_pathwise_and_matches_kl_gradient(regime, form):
    # d(-KL)/dloc_q = -(loc_q - loc_p)/s_p^2; d(-KL)/dscale_q = 1/s_q - s_q/s_p^2.
    n, loc_q0, scale_q0, loc_p, scale_p = 20000, np.array([0.5, -1.0]), np.array([1.5, 0.5]), 0.0, 1.2

    def fn():
        loc_q, scale_q = tf.constant(loc_q0), tf.constant(scale_q0)
        with tf.GradientTape() as tape:
            tape.watch([loc_q, scale_q])
            q = tfd.Normal(loc_q, scale_q)
            out = entropy.elbo_ratio(
                tfd.Normal(tf.constant(loc_p, tf.float64), scale_p).log_prob, q, n=n,
                seed=helpers.SEED, form=getattr(Forms, form),
            )
        return tape.gradient(out, [loc_q, scale_q])

    grad_loc, grad_scale = regime.run(fn)
    # Per-sample gradients with z = loc_q + s_q e (the -log q part of the sample form is the
    # exact constant 1/s_q for the scale and 0 for loc):
    #   loc:   -(z - loc_p)/s_p^2,     std s_q/s_p^2
    #   scale: -(z - loc_p) e/s_p^2,   std sqrt(d^2 + 2 s_q^2)/s_p^2, d = loc_q - loc_p
    d = loc_q0 - loc_p
    helpers.assert_within(
        grad_loc, -d / scale_p**2, helpers.mc_tolerance(scale_q0 / scale_p**2, n)
    )
    helpers.assert_within(
        grad_scale, 1 / scale_q0 - scale_q0 / scale_p**2,
        helpers.mc_tolerance(np.sqrt(d**2 + 2 * scale_q0**2) / scale_p**2, n),
    )


# ---------------------------------------------------------------- bounds on log evidence

# Conjugate model: z ~ N(0, 1), x | z ~ N(z, SIGMA_X^2), one observation X.
X, SIGMA_X = 1.5, 1.0
LOG_EVIDENCE = _normal_log_prob(X, 0.0, np.sqrt(1 + SIGMA_X**2))
POST_LOC, POST_SCALE = X / (1 + SIGMA_X**2), np.sqrt(SIGMA_X**2 / (1 + SIGMA_X**2))
# q is wider than the posterior, so every moment of the weights used below is finite.
Q_LOC, Q_SCALE = -0.25, 1.0


def _log_joint(z):
    return _normal_log_prob(z, 0.0, 1.0) + _normal_log_prob(X, z, SIGMA_X)


def _renyi_bound(alpha):
    """Exact L_alpha = log p(x) - D_alpha(q || posterior)."""
    return LOG_EVIDENCE - _normal_renyi(alpha, Q_LOC, Q_SCALE, POST_LOC, POST_SCALE)


def _renyi_estimate_tolerance(alpha, n):
    """4 standard errors plus the bias bound of (1/r) log mean(w^r), r = 1 - alpha (delta method).

    E[w^r] = exp(r L_alpha) and E[w^2r] = exp(2r L_(1-2r)), both in closed form.
    """
    r = 1 - alpha
    first, second = np.exp(r * _renyi_bound(alpha)), np.exp(2 * r * _renyi_bound(1 - 2 * r))
    relative_var = (second - first**2) / first**2
    return 4 * np.sqrt(relative_var / n) / r + relative_var / (2 * r * n)


def test_elbo_and_renyi_bounds_are_ordered_below_log_evidence(regime):
    n, a, b = 20000, 0.3, 0.7

    def fn():
        q = tfd.Normal(tf.constant(Q_LOC, tf.float64), Q_SCALE)
        z = q.sample(n, seed=helpers.SEED)  # common samples: the ordering is then exact
        return (
            entropy.elbo_ratio(_log_joint, q, z=z, form=Forms.sample),
            entropy.elbo_ratio(_log_joint, q, z=z),
            entropy.renyi_ratio(_log_joint, q, b, z=z),
            entropy.renyi_ratio(_log_joint, q, a, z=z),
        )

    elbo_sample, elbo_analytic, bound_b, bound_a = regime.run(fn)
    elbo = LOG_EVIDENCE - _normal_kl(Q_LOC, Q_SCALE, POST_LOC, POST_SCALE)
    elbo_std = _log_ratio_std(Q_LOC, Q_SCALE, POST_LOC, POST_SCALE)
    analytic_std = _log_ratio_std(Q_LOC, Q_SCALE, POST_LOC, POST_SCALE, with_log_q=False)
    helpers.assert_within(elbo_sample, elbo, helpers.mc_tolerance(elbo_std, n))
    helpers.assert_within(elbo_analytic, elbo, helpers.mc_tolerance(analytic_std, n))
    helpers.assert_within(bound_b, _renyi_bound(b), _renyi_estimate_tolerance(b, n))
    helpers.assert_within(bound_a, _renyi_bound(a), _renyi_estimate_tolerance(a, n))
    # With common z, (1/r) log mean(w^r) is the log of a power mean of the weights, which rises
    # with r = 1 - alpha; r -> 0 is the geometric mean, i.e. the sample-form ELBO.
    assert elbo_sample <= bound_b <= bound_a
    # The exact bounds are below log p(x) by far more than the estimates' tolerance, so the
    # last inequality tests the estimate, not luck.
    assert _renyi_bound(a) + _renyi_estimate_tolerance(a, n) < LOG_EVIDENCE - 0.1
    assert bound_a <= LOG_EVIDENCE and elbo_analytic <= LOG_EVIDENCE


# ---------------------------------------------------------------- renyi_ratio


def test_renyi_ratio_with_z_equals_direct_formula_and_alpha_gradient(regime):
    z = np.random.RandomState(4).normal(size=(60, 2)) * 1.5
    alpha0 = np.array([0.25, -0.5])

    def log_p(x):
        return -0.5 * tf.square(x - 1.0) - 0.1 * tf.abs(x)

    def fn():
        q = tfd.Normal(tf.zeros(2, tf.float64), 1.5)
        alpha = tf.constant(alpha0)
        with tf.GradientTape() as tape:
            tape.watch(alpha)
            out = entropy.renyi_ratio(log_p, q, alpha, z=z)
        return out, tape.gradient(out, alpha)

    out, grad = regime.run(fn)
    r = 1 - alpha0
    log_ratio = -0.5 * (z - 1.0) ** 2 - 0.1 * np.abs(z) - _normal_log_prob(z, 0.0, 1.5)
    log_mean = np.log(np.exp(r * log_ratio).mean(0))
    np.testing.assert_allclose(out, log_mean / r, rtol=1e-12)
    # dL/dalpha = -dL/dr = log_mean / r^2 - (1/r) sum_i softmax_i(r log_ratio) log_ratio_i
    weights = np.exp(r * log_ratio) / np.exp(r * log_ratio).sum(0)
    np.testing.assert_allclose(
        grad, log_mean / r**2 - (weights * log_ratio).sum(0) / r, rtol=1e-10
    )


@pytest.mark.parametrize("alpha", [0.25, 0.75])
def test_renyi_ratio_with_q_equal_p_is_zero(regime, alpha):
    loc, scale, _, _ = _kl_case()

    def fn():
        p = tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale)
        q = tfd.MultivariateNormalDiag(loc=loc, scale_diag=scale)
        out = entropy.renyi_ratio(p.log_prob, q, alpha, n=1000, seed=helpers.SEED)
        assert out.shape == (2,)
        return out

    np.testing.assert_allclose(regime.run(fn), [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("alpha", [0.0, 0.99, -2.0])
def test_renyi_ratio_with_one_sample_is_sample_form_elbo(regime, alpha, family):
    z = np.array([[0.7, -1.3]])

    def fn():
        q = FAMILIES[family].Normal(np.array([0.1, 0.2]), np.array([1.0, 2.0]))
        log_p = FAMILIES[family].Normal(np.float64(1.0), np.float64(0.5)).log_prob
        return (
            entropy.renyi_ratio(log_p, q, alpha, z=z),
            entropy.elbo_ratio(log_p, q, z=z, form=Forms.sample),
        )

    renyi, elbo = regime.run(fn)
    np.testing.assert_allclose(renyi, elbo, rtol=1e-12)


def test_renyi_ratio_float32_huge_log_ratios_do_not_overflow(regime):
    z = np.random.RandomState(5).normal(size=(100, 2)).astype(np.float32)
    offset = np.array([1000.0, -1000.0], np.float32)

    def fn():
        q = tfd.Normal(tf.zeros(2), 1.0)
        out = entropy.renyi_ratio(lambda x: q.log_prob(x) + offset + x, q, 0.5, z=z)
        assert out.dtype == tf.float32
        return out

    out = regime.run(fn)
    # exp(0.5 * 1000) overflows float32 (and exp(-500) underflows): only log space survives.
    assert 0.5 * 1000.0 > np.log(np.finfo(np.float32).max)
    log_ratio = offset.astype(np.float64) + z
    expected = np.log(np.mean(np.exp(0.5 * (log_ratio - offset)), 0)) / 0.5 + offset
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_fit_q_by_maximizing_renyi_ratio_with_decaying_alpha(regime):
    n, steps, lr, decay_time, alpha_min = 1000, 200, 0.2, 50.0, 0.5
    target_loc, target_scale = np.array([1.0, -1.0]), np.array([0.8, 1.25])

    def make_step():
        loc = tf.Variable(tf.zeros(2, tf.float64))
        log_scale = tf.Variable(tf.zeros(2, tf.float64))
        step = tf.Variable(0, dtype=tf.int64)

        def train_step():
            alpha = entropy.renyi_alpha(step, decay_time, tf.constant(alpha_min, tf.float64))
            with tf.GradientTape() as tape:
                q = tfd.Normal(loc, tf.exp(log_scale))
                target = tfd.Normal(tf.constant(target_loc), target_scale)
                objective = entropy.renyi_ratio(target.log_prob, q, alpha, n=n)
                loss = -tf.reduce_sum(objective)
            grad_loc, grad_log_scale = tape.gradient(loss, [loc, log_scale])
            updates = [
                loc.assign_sub(lr * grad_loc),
                log_scale.assign_sub(lr * grad_log_scale),
                step.assign_add(1),
            ]
            with tf.control_dependencies(updates):
                return loc.read_value(), tf.exp(log_scale.read_value()), alpha

        return train_step

    history = regime.iterate(make_step, steps)
    loc, scale, _ = history[-1]
    np.testing.assert_allclose([h[2] for h in history[:1]], [0.99999], rtol=1e-12)
    np.testing.assert_allclose(history[-1][2], alpha_min, rtol=1e-12)
    # Linearized SGD around the optimum: gradient noise per sample at q = p (uniform weights) is
    # 1/s^2 for loc and 2 for log-scale, the curvature of E[L_alpha] ~ -D_alpha is alpha times
    # the Fisher information (1/s^2, 2), so the stationary variance lr V/(n H (2 - lr H)) is
    # lr/(n alpha (2 - lr alpha/s^2)) for loc and lr/(n alpha (2 - 2 lr alpha)) for log-scale.
    # The deterministic residual, below (1 - lr alpha_min/s^2)^steps, is negligible.
    loc_std = np.sqrt(lr / (n * alpha_min * (2 - lr * alpha_min / target_scale**2)))
    log_scale_std = np.sqrt(lr / (n * alpha_min * (2 - 2 * lr * alpha_min)))
    residual = (1 - lr * alpha_min / target_scale.max() ** 2) ** steps
    helpers.assert_within(loc, target_loc, 4 * loc_std + residual)
    helpers.assert_within(np.log(scale), np.log(target_scale), 4 * log_scale_std + residual)


# ---------------------------------------------------------------- renyi_alpha


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_renyi_alpha_schedule(regime, dtype):
    steps = [0, 1, 2, 3, 0.5, 4.0, 100]

    def fn():
        alpha_min = tf.constant(0.0, dtype)
        alphas = [entropy.renyi_alpha(s, 3, alpha_min, 0.5) for s in steps]
        for a in alphas:
            assert a.dtype == dtype and a.shape == ()
        return alphas

    alphas = np.array(regime.run(fn), np.float64)
    np.testing.assert_allclose(alphas[[0, 3]], [0.5, 0.0], atol=1e-5)
    assert np.all(np.diff(alphas[:4]) < 1e-5)  # non-increasing (legacy test's slack)
    theta = np.clip((np.exp(np.array(steps) / 3.0) - 1) / (np.e - 1), 0, 1)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(alphas, 0.5 * (1 - theta), rtol=rtol, atol=rtol)


def test_renyi_alpha_takes_dtype_from_alpha_min_and_casts_step(regime):
    def fn():
        step = tf.constant(7, tf.int32)
        out = entropy.renyi_alpha(step, tf.constant(5.0, tf.float16), np.float64(0.1))
        assert out.dtype == tf.float64
        return out, entropy.renyi_alpha(0, 5, 0.1)

    out, default_max = regime.run(fn)
    assert out == 0.1
    assert default_max.dtype == np.float32
    np.testing.assert_allclose(default_max, 0.99999, rtol=1e-7)


@pytest.mark.parametrize("arg", ["step", "decay_time", "alpha_min", "alpha_max"])
def test_renyi_alpha_static_non_scalar_is_value_error(regime, arg):
    kwargs = {"step": 1.0, "decay_time": 3.0, "alpha_min": 0.1, "alpha_max": 0.9}
    kwargs[arg] = [kwargs[arg]] * 2
    with pytest.raises(ValueError, match=f"{arg} must be scalar"):
        regime.run(lambda: entropy.renyi_alpha(**kwargs))


def test_renyi_alpha_unknown_rank_non_scalar_fails_at_run_time(regime):
    def fn():
        step = tf.compat.v1.placeholder_with_default([1.0, 2.0], shape=None)
        return entropy.renyi_alpha(step, 3.0, 0.1)

    # Eagerly the rank is known, so the static check applies.
    expected = ValueError if regime.is_eager else tf.errors.InvalidArgumentError
    with pytest.raises(expected, match="step must be scalar"):
        regime.run(fn)


@pytest.mark.parametrize(
    "step, decay_time, message",
    [(-1.0, 3.0, "step must be non-negative"), (1.0, 0.0, "decay_time must be positive")],
)
@pytest.mark.parametrize("static", [True, False], ids=["constant", "fed"])
def test_renyi_alpha_value_checks_are_invalid_argument_errors(regime, step, decay_time, message, static):
    def fn():
        s, d = step, decay_time
        if not static:  # values unknown until run time in graph mode
            s = tf.compat.v1.placeholder_with_default(s, shape=[])
            d = tf.compat.v1.placeholder_with_default(d, shape=[])
        return entropy.renyi_alpha(s, d, 0.1)

    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        regime.run(fn)


def test_renyi_alpha_bad_dtypes():
    with pytest.raises(TypeError, match="alpha_min must be a floating-point"):
        entropy.renyi_alpha(1.0, 3.0, 0)
    with pytest.raises(ValueError, match="alpha_max must have alpha_min's dtype float32"):
        entropy.renyi_alpha(1.0, 3.0, 0.1, tf.constant(0.9, tf.float64))


# ---------------------------------------------------------------- errors


def _raises(regime, error, match, call):
    """`call(normal)` raises in `regime`, with the N(0, 1) built inside the regime's graph."""
    with pytest.raises(error, match=match):
        regime.run(lambda: call(tfd.Normal(0.0, 1.0)))


def test_entropy_shannon_errors(regime):
    # Checked before anything else, even the distribution.
    _raises(regime, ValueError, "If form == ELBOForms.analytic_entropy, n must be None",
            lambda _: entropy.entropy_shannon("p", n=3, form=Forms.analytic_entropy))
    for form in (Forms.analytic_kl, "sample", 1):
        _raises(regime, ValueError, "ELBOForm not handled by this function",
                lambda p: entropy.entropy_shannon(p, n=3, form=form))
    _raises(regime, NotImplementedError, "entropy is not implemented",
            lambda _: entropy.entropy_shannon(_mixture(), z=[[0.0, 0.0]],
                                              form=Forms.analytic_entropy))
    for kwargs in ({}, {"n": 3, "z": [[0.0, 0.0]]}):
        _raises(regime, ValueError, "exactly one",
                lambda _: entropy.entropy_shannon(_mixture(), **kwargs))
        _raises(regime, ValueError, "exactly one",
                lambda p: entropy.entropy_shannon(p, form=Forms.sample, **kwargs))
    _raises(regime, TypeError, "p must be an instance of Distribution",
            lambda p: entropy.entropy_shannon(p.log_prob))


def test_elbo_ratio_errors(regime):
    for kwargs in ({}, {"n": 3, "z": [0.0]}):
        for form in (None, Forms.analytic_entropy, Forms.sample):
            # Enforced whatever the form, although q has an analytic entropy.
            _raises(regime, ValueError, "exactly one",
                    lambda q: entropy.elbo_ratio(q.log_prob, q, form=form, **kwargs))
    # n is not forwarded to the entropy, so analytic_entropy with n is accepted here.
    value = regime.run(lambda: (lambda q: entropy.elbo_ratio(
        q.log_prob, q, n=3, form=Forms.analytic_entropy))(tfd.Normal(0.0, 1.0)))
    assert np.isfinite(value)
    for form in (Forms.analytic_kl, object()):
        _raises(regime, ValueError, "ELBOForm not handled by this function",
                lambda q: entropy.elbo_ratio(q.log_prob, q, n=3, form=form))
    _raises(regime, NotImplementedError, "entropy is not implemented",
            lambda q: entropy.elbo_ratio(q.log_prob, _mixture(tf.float32), n=3,
                                         form=Forms.analytic_entropy))
    _raises(regime, TypeError, "`log_p`", lambda q: entropy.elbo_ratio(q, q, n=3))
    _raises(regime, TypeError, "q must be an instance of Distribution",
            lambda q: entropy.elbo_ratio(q.log_prob, q.log_prob, n=3))


def test_renyi_ratio_errors(regime):
    for kwargs in ({}, {"n": 3, "z": [0.0]}):
        _raises(regime, ValueError, "exactly one",
                lambda q: entropy.renyi_ratio(q.log_prob, q, 0.5, **kwargs))
    _raises(regime, TypeError, "`log_p`", lambda q: entropy.renyi_ratio(None, q, 0.5, n=3))
    _raises(regime, TypeError, "q must be an instance of Distribution",
            lambda q: entropy.renyi_ratio(q.log_prob, [0.0], 0.5, n=3))
    # Departure: legacy returned NaN for alpha == 1.
    for alpha in (1, 1.0, np.float32(1.0), [0.5, 1.0]):
        _raises(regime, ValueError, "alpha must not be 1",
                lambda q: entropy.renyi_ratio(q.log_prob, q, alpha, n=3))
    _raises(regime, TypeError, "alpha must have the dtype .* float32, got float64",
            lambda q: entropy.renyi_ratio(q.log_prob, q, tf.constant(0.5, tf.float64), n=3))


# ---------------------------------------------------------------- dtypes, warnings, TFP


@pytest.mark.parametrize("regime", helpers.REGIMES_WITH_XLA, indirect=True)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes_are_preserved(regime, dtype):
    z = np.linspace(-1.0, 1.0, 8).astype(dtype).reshape(4, 2)

    def fn():
        q = tfd.Normal(tf.zeros(2, dtype), tf.ones(2, dtype))
        p = tfd.Normal(tf.ones(2, dtype), tf.ones(2, dtype))
        outputs = (
            entropy.entropy_shannon(q, z=z),
            entropy.entropy_shannon(q, z=z, form=Forms.sample),
            entropy.elbo_ratio(p.log_prob, q, z=z),
            entropy.elbo_ratio(p.log_prob, q, z=z, form=Forms.sample),
            entropy.renyi_ratio(p.log_prob, q, 0.5, z=z),
            entropy.renyi_ratio(p.log_prob, q, tf.constant(0.5, dtype), z=z),
        )
        for out in outputs:
            assert out.dtype == dtype and out.shape == (2,)
        alpha = entropy.renyi_alpha(1, 3, tf.constant(0.1, dtype), 0.9)
        assert alpha.dtype == dtype
        return outputs

    outputs = regime.run(fn)
    z64 = z.astype(np.float64)
    elbo_sample = (_normal_log_prob(z64, 1.0, 1.0) - _normal_log_prob(z64, 0.0, 1.0)).mean(0)
    rtol = 5e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(outputs[0], _normal_entropy([1.0, 1.0]), rtol=rtol)
    np.testing.assert_allclose(outputs[3], elbo_sample, rtol=rtol)
    np.testing.assert_allclose(outputs[4], outputs[5], rtol=rtol)


@pytest.mark.usefixtures("fresh_deprecations")
def test_each_function_warns_once_naming_its_replacement():
    q = tfd.Normal(0.0, 1.0)
    calls = [
        ("entropy.entropy_shannon", r"d\.entropy\(\)", lambda: entropy.entropy_shannon(q)),
        ("entropy.elbo_ratio", r"-tfp\.vi\.monte_carlo_variational_loss",
         lambda: entropy.elbo_ratio(q.log_prob, q, n=2)),
        ("entropy.renyi_ratio", "has no equivalent", lambda: entropy.renyi_ratio(q.log_prob, q, 0.5, n=2)),
        ("entropy.renyi_alpha", "has no equivalent", lambda: entropy.renyi_alpha(1, 2, 0.1)),
    ]
    for symbol, replacement, call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
            call()
        assert len(caught) == 1, [str(w.message) for w in caught]  # once; no nested warnings
        assert issubclass(caught[0].category, deprecation.BayesflowDeprecationWarning)
        assert caught[0].filename == __file__
        assert symbol in str(caught[0].message)
        assert re.search(replacement, str(caught[0].message))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Forms.check_form(Forms.sample)


def test_migration_guide_replacements(regime):
    # The TFP 0.25 spellings in migration_guide/entropy.md, checked against the legacy port.
    n = 20000
    loc_q, scale_q, loc_p, scale_p = _kl_case()
    z = np.random.RandomState(6).normal(size=(50, 2, 3))

    def fn():
        q = tfd.MultivariateNormalDiag(loc=loc_q, scale_diag=scale_q)
        p = tfd.MultivariateNormalDiag(loc=loc_p, scale_diag=scale_p)
        alpha = 0.3
        # elbo_ratio(p.log_prob, q, n=n, form=ELBOForms.sample) in TFP; note the sign:
        elbo = -tfp.vi.monte_carlo_variational_loss(
            p.log_prob, q, sample_size=n, discrepancy_fn=tfp.vi.kl_reverse, seed=helpers.SEED
        )
        # renyi_ratio(p.log_prob, q, alpha, z=z) in TFP:
        renyi = tfp.math.reduce_logmeanexp(
            (1 - alpha) * (p.log_prob(z) - q.log_prob(z)), axis=0) / (1 - alpha)
        return elbo, renyi, entropy.renyi_ratio(p.log_prob, q, alpha, z=z)

    elbo, renyi_tfp, renyi_ours = regime.run(fn)
    kl = _normal_kl(loc_q, scale_q, loc_p, scale_p).sum(-1)
    std = np.sqrt((_log_ratio_std(loc_q, scale_q, loc_p, scale_p) ** 2).sum(-1))
    helpers.assert_within(elbo, -kl, helpers.mc_tolerance(std, n))
    np.testing.assert_allclose(renyi_ours, renyi_tfp, rtol=1e-12)


def test_migration_guide_iwae_spelling(regime):
    # renyi_ratio with alpha = 0 is the importance-weighted bound; with many samples both it and
    # TFP's spelling approach log p(x) on the conjugate model, within the delta-method tolerance.
    n = 20000

    def fn():
        q = tfd.Normal(tf.constant(Q_LOC, tf.float64), Q_SCALE)
        iwae = -tfp.vi.monte_carlo_variational_loss(
            _log_joint, q, importance_sample_size=n, seed=helpers.SEED
        )
        return iwae, entropy.renyi_ratio(_log_joint, q, 0.0, n=n, seed=helpers.SEED)

    tolerance = _renyi_estimate_tolerance(0.0, n)
    for estimate in regime.run(fn):
        helpers.assert_within(estimate, LOG_EVIDENCE, tolerance)
