"""Tests of `monte_carlo`: both expectation forms, the importance samplers and the helpers."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow._internal import distributions as dist_util

tfd = tfp.distributions
v1d = tf.compat.v1.distributions

FAMILIES = {"tfp": tfd, "v1": v1d}


def _identity(x):
    return x


# ---------------------------------------------------------------- TF 1.0-1.3 form


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_distribution_form_matches_normal_moments(regime, family):
    loc, scale, n = np.array([1.0, -1.0]), np.array([0.3, 0.5]), 20000

    def fn():
        p = FAMILIES[family].Normal(loc=loc, scale=scale)
        z = p.sample(n, seed=helpers.SEED)
        mean = monte_carlo.expectation(_identity, p, z=z)
        second = monte_carlo.expectation(tf.square, p, z=z)
        assert mean.shape == (2,)
        return mean, second, monte_carlo.expectation(_identity, p, n=n, seed=7)

    mean, second, drawn_mean = regime.run(fn)
    tol = helpers.mc_tolerance(scale, n)
    helpers.assert_within(mean, loc, tol)
    helpers.assert_within(drawn_mean, loc, tol)
    # Var of the sample variance estimate ~ 2 sigma^4 / n (Gaussian).
    helpers.assert_within(
        second - mean**2, scale**2, helpers.mc_tolerance(np.sqrt(2) * scale**2, n)
    )


def test_distribution_form_with_z_is_exact_mean_and_accepts_keywords(regime):
    z = np.random.RandomState(0).normal(size=(50, 3)).astype(np.float32)

    def fn():
        p = tfd.Normal(tf.zeros(3), 1.0)
        return (
            monte_carlo.expectation(tf.exp, p, z),
            monte_carlo.expectation(f=tf.exp, p=p, z=z, name="e"),
        )

    positional, keywords = regime.run(fn)
    np.testing.assert_allclose(positional, np.exp(z).mean(0), rtol=1e-6)
    np.testing.assert_array_equal(positional, keywords)


def test_distribution_form_gradient_is_pathwise_for_reparameterized(regime):
    # d/dloc E[x^2] = 2 loc; pathwise through x = loc + eps.
    def fn():
        loc = tf.constant([0.5, -2.0])
        with tf.GradientTape() as tape:
            tape.watch(loc)
            est = monte_carlo.expectation(tf.square, tfd.Normal(loc, 1.0), n=4000, seed=3)
        return tape.gradient(est, loc)

    helpers.assert_within(regime.run(fn), [1.0, -4.0], helpers.mc_tolerance(2.0, 4000))


@pytest.mark.parametrize(
    "kwargs", [{}, {"n": 3, "z": [1.0]}], ids=["neither", "both"]
)
def test_distribution_form_requires_exactly_one_of_n_and_z(regime, kwargs):
    with pytest.raises(ValueError, match="exactly one"):
        regime.run(lambda: monte_carlo.expectation(_identity, tfd.Normal(0.0, 1.0), **kwargs))


def test_distribution_form_bad_arguments():
    p = tfd.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="`f`"):
        monte_carlo.expectation(3.0, p, n=2)
    with pytest.raises(TypeError, match="p must be an instance of Distribution"):
        monte_carlo.expectation(_identity, p="normal", n=2)
    with pytest.raises(TypeError, match="n must be an integer"):
        monte_carlo.expectation(_identity, p, n=2.5)
    with pytest.raises(ValueError, match="n must be positive"):
        monte_carlo.expectation(_identity, p, n=0)


# ---------------------------------------------------------------- TF 1.4+ sample form


def test_sample_form_value_and_reparameterized_gradient(regime):
    eps = np.random.RandomState(1).normal(size=(1000, 2)).astype(np.float32)

    def fn():
        loc = tf.constant([1.0, 3.0])
        with tf.GradientTape() as tape:
            tape.watch(loc)
            est = monte_carlo.expectation(tf.square, loc + eps)
        return est, tape.gradient(est, loc)

    est, grad = regime.run(fn)
    x = np.array([1.0, 3.0]) + eps
    np.testing.assert_allclose(est, (x**2).mean(0), rtol=1e-5)
    np.testing.assert_allclose(grad, 2 * x.mean(0), rtol=1e-5)


def test_sample_form_score_gradient_matches_estimator_and_closed_form(regime):
    # Score-function estimate of d/dloc E_N(loc,1)[x^2] = 2 loc is mean(x^2 (x - loc)).
    loc0, n = np.array([0.5, -1.0]), 20000
    x = (loc0 + np.random.RandomState(2).normal(size=(n, 2))).astype(np.float64)

    def fn():
        loc = tf.constant(loc0)
        samples = tf.constant(x)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([loc, samples])
            est = monte_carlo.expectation(
                tf.square, samples, log_prob=tfd.Normal(loc, 1.0).log_prob,
                use_reparametrization=False,
            )
        return est, tape.gradient(est, loc), tape.gradient(est, samples)

    est, grad, grad_samples = regime.run(fn)
    np.testing.assert_allclose(est, (x**2).mean(0), rtol=1e-12)
    per_sample = x**2 * (x - loc0)
    np.testing.assert_allclose(grad, per_sample.mean(0), rtol=1e-10)
    helpers.assert_within(grad, 2 * loc0, helpers.mc_tolerance(per_sample.std(0), n))
    assert grad_samples is None  # no gradient reaches the samples


def test_sample_form_matches_tfp_value_and_first_gradient(regime):
    x = np.random.RandomState(3).gamma(2.0, size=(500, 3))

    def fn():
        rate = tf.constant([1.0, 2.0, 0.5], tf.float64)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(rate)
            log_prob = tfd.Gamma(2.0 * tf.ones_like(rate), rate).log_prob
            ours = monte_carlo.expectation(tf.sqrt, x, log_prob, False)
            theirs = tfp.monte_carlo.expectation(
                tf.sqrt, x, log_prob=log_prob, use_reparameterization=False
            )
        return ours, theirs, tape.gradient(ours, rate), tape.gradient(theirs, rate)

    ours, theirs, grad_ours, grad_theirs = regime.run(fn)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(grad_ours, grad_theirs, rtol=1e-10)


def _bernoulli_second_derivatives(expectation_fn, samples):
    def fn():
        logits = tf.constant(0.3, tf.float64)
        with tf.GradientTape() as outer:
            outer.watch(logits)
            with tf.GradientTape() as inner:
                inner.watch(logits)
                est = expectation_fn(
                    lambda x: 2.0 * x, samples, tfd.Bernoulli(logits=logits, dtype=tf.float64).log_prob,
                    False,
                )
            first = inner.gradient(est, logits)
        return first, outer.gradient(first, logits)

    return fn


def test_additive_surrogate_vs_dice_second_derivative(regime):
    # Legacy `expectation` uses f + stop(f)(lp - stop(lp)); `expectation_v2` (1.3) used DiCE.
    # For Bernoulli(logits=t), f(x) = 2x: dlp = x - s, d2lp = -s(1-s), s = sigmoid(t).
    x = np.random.RandomState(4).binomial(1, 0.6, size=4000).astype(np.float64)
    s = 1 / (1 + np.exp(-0.3))
    first_exact = (2 * x * (x - s)).mean()
    additive_second = (2 * x * -s * (1 - s)).mean()
    dice_second = (2 * x * (-s * (1 - s) + (x - s) ** 2)).mean()
    first, second = regime.run(_bernoulli_second_derivatives(monte_carlo.expectation, x))
    np.testing.assert_allclose([first, second], [first_exact, additive_second], rtol=1e-10)
    first, second = regime.run(_bernoulli_second_derivatives(monte_carlo.expectation_v2, x))
    np.testing.assert_allclose([first, second], [first_exact, dice_second], rtol=1e-10)


@pytest.mark.parametrize(
    "axis, keep_dims, expected_shape",
    [(0, False, (3, 4)), ([0, 2], False, (3,)), (None, False, ()), (1, True, (2, 1, 4))],
)
def test_sample_form_axis_and_keep_dims(regime, axis, keep_dims, expected_shape):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)

    def fn():
        out = monte_carlo.expectation(_identity, x, axis=axis, keep_dims=keep_dims)
        assert out.shape == expected_shape  # static shape known in every regime
        return out

    np.testing.assert_allclose(regime.run(fn), x.mean(axis=axis if axis is None else tuple(np.atleast_1d(axis)), keepdims=keep_dims))


def test_sample_form_bad_arguments():
    with pytest.raises(ValueError, match="`f` must be a callable function"):
        monte_carlo.expectation(None, samples=[1.0])
    with pytest.raises(ValueError, match="`log_prob` must be a callable function"):
        monte_carlo.expectation(_identity, [1.0], use_reparametrization=False)
    with pytest.raises(ValueError, match="`f` must be a callable function"):
        monte_carlo.expectation_v2("f", [1.0])


def test_mixed_or_missing_forms_are_type_errors():
    p = tfd.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="mixes its two legacy call forms"):
        monte_carlo.expectation(_identity, p=p, n=3, keep_dims=True)
    with pytest.raises(TypeError, match="second argument is not a distribution"):
        monte_carlo.expectation(_identity, [1.0, 2.0], n=3)
    with pytest.raises(TypeError, match="together with"):
        monte_carlo.expectation(_identity, p, use_reparametrization=False)
    with pytest.raises(TypeError, match="needs either a distribution"):
        monte_carlo.expectation(_identity)
    with pytest.raises(TypeError, match=r"expectation\(f, p, z, n, seed, name\) takes at most 6"):
        monte_carlo.expectation(_identity, p, None, 3, None, "name", "extra")
    with pytest.raises(TypeError, match=r"unexpected arguments \['bogus'\]"):
        monte_carlo.expectation(_identity, [1.0], bogus=1)


# ---------------------------------------------------------------- importance samplers


def test_importance_sampler_normal_moments(regime):
    n = 200000
    mu, sigma = np.array([-1.0, 1.0]), 0.5

    def fn():
        p = tfd.Normal(tf.constant(mu), sigma)
        q = tfd.Normal(tf.constant(0.0, tf.float64), 1.0)
        z = q.sample((n, 2), seed=helpers.SEED)
        first = monte_carlo.expectation_importance_sampler(_identity, p.log_prob, q, z=z)
        second = monte_carlo.expectation_importance_sampler(tf.square, p.log_prob, q, z=z)
        assert first.shape == (2,)
        return first, second

    first, second = regime.run(fn)
    # Standard errors of w*f under q, estimated from an independent NumPy simulation.
    z = np.random.RandomState(5).normal(size=(n, 2))
    w = np.exp(-0.5 * ((z - mu) / sigma) ** 2 - np.log(sigma) + 0.5 * z**2)
    helpers.assert_within(first, mu, helpers.mc_tolerance((w * z).std(0), n))
    helpers.assert_within(
        second, mu**2 + sigma**2, helpers.mc_tolerance((w * z**2).std(0), n)
    )


def test_importance_sampler_equals_direct_formula_given_z(regime):
    z = np.random.RandomState(6).normal(size=(300, 2)) * 2.0

    def f(x):
        return tf.sin(3.0 * x)

    def fn():
        p = tfd.Normal(tf.constant([0.0, 1.0], tf.float64), 0.7)
        q = tfd.Normal(tf.constant(0.0, tf.float64), 2.0)
        return (
            monte_carlo.expectation_importance_sampler(f, p.log_prob, q, z=z),
            tf.reduce_mean(tf.exp(p.log_prob(z) - q.log_prob(z)) * f(z), 0),
        )

    ours, direct = regime.run(fn)
    np.testing.assert_allclose(ours, direct, rtol=1e-10)


def test_importance_sampler_with_q_equal_p_is_plain_expectation(regime):
    def fn():
        p = tfd.Normal(tf.constant([0.0, 2.0], tf.float64), 1.5)
        z = p.sample(1000, seed=1)
        return (
            monte_carlo.expectation_importance_sampler(tf.tanh, p.log_prob, p, z=z),
            monte_carlo.expectation(tf.tanh, p, z=z),
        )

    ours, plain = regime.run(fn)
    np.testing.assert_allclose(ours, plain, rtol=1e-10, atol=1e-12)


def test_importance_sampler_mvn_orthant_probability(regime):
    n = 20000

    def fn():
        p = tfd.MultivariateNormalDiag(loc=[0.0, 0.0], scale_diag=[1.0, 1.0])
        q = tfd.MultivariateNormalDiag(loc=[0.5, 0.5], scale_diag=[3.0, 3.0])

        def same_sign(x):
            return tf.cast(x[..., 0] * x[..., 1] > 0, tf.float32)

        return monte_carlo.expectation_importance_sampler(
            same_sign, p.log_prob, q, n=n, seed=helpers.SEED
        )

    # Var_q[w f] <= E_q[w^2] = E_p[w], which for these Gaussians is (9/sqrt(17))^2 * exp(.5/17 * 2)
    # per dimension pair; bound the standard deviation by sqrt of it.
    second_moment = (9.0 / np.sqrt(17.0)) ** 2 * np.exp(2 * 0.25 / 17.0)
    helpers.assert_within(regime.run(fn), 0.5, helpers.mc_tolerance(np.sqrt(second_moment), n))


def test_importance_sampler_logspace_second_moments(regime):
    n = 100000

    def fn():
        p = tfd.Normal(tf.constant([0.0, 0.0], tf.float64), [1.0, 2.0 / 3.0])
        q = tfd.Normal(tf.constant([-1.0, 1.0], tf.float64), 1.0)
        return monte_carlo.expectation_importance_sampler_logspace(
            lambda x: tf.math.log(tf.square(x)), p.log_prob, q, n=n, seed=helpers.SEED
        )

    z = np.random.RandomState(7).normal(size=(n, 2)) + [-1.0, 1.0]
    s = np.array([1.0, 2.0 / 3.0])
    w = np.exp(-0.5 * (z / s) ** 2 - np.log(s) + 0.5 * (z - [-1.0, 1.0]) ** 2)
    tol = helpers.mc_tolerance((w * z**2).std(0), n)
    helpers.assert_within(np.exp(regime.run(fn)), [1.0, 4.0 / 9.0], tol)


def test_importance_sampler_logspace_handles_huge_log_values(regime):
    log_values = np.array([[1000.0, -1000.0], [999.0, -1001.0]], np.float32)

    def fn():
        q = tfd.Normal(tf.zeros(2), 1.0)
        z = tf.zeros((2, 2))
        return monte_carlo.expectation_importance_sampler_logspace(
            lambda x: log_values + x, q.log_prob, q, z=z
        )

    expected = np.log(np.exp(log_values.astype(np.float64) - [1000.0, -1000.0]).mean(0)) + [1000, -1000]
    np.testing.assert_allclose(regime.run(fn), expected, rtol=1e-6)


def test_importance_samplers_with_a_discrete_proposal(regime):
    # Integer samples: the log-prob dtype the terms must share is read from q.log_prob, not q.
    z = np.random.RandomState(8).choice(3, size=500, p=[0.2, 0.3, 0.5]).astype(np.int32)

    def f(k):
        return tf.cast(k, tf.float32) + 1.0

    def fn():
        q = tfd.Categorical(probs=[0.2, 0.3, 0.5])
        p = tfd.Categorical(probs=[0.5, 0.25, 0.25])
        return (
            monte_carlo.expectation_importance_sampler(f, p.log_prob, q, z=z),
            monte_carlo.expectation_importance_sampler_logspace(
                lambda k: tf.math.log(f(k)), p.log_prob, q, z=z
            ),
            tf.reduce_mean(tf.exp(p.log_prob(z) - q.log_prob(z)) * f(z)),
        )

    plain, log_space, direct = regime.run(fn)
    np.testing.assert_allclose(plain, direct, rtol=1e-5)
    np.testing.assert_allclose(np.exp(log_space), direct, rtol=1e-5)


def test_importance_sampler_bad_arguments(regime):
    q = tfd.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="`f`"):
        regime.run(lambda: monte_carlo.expectation_importance_sampler(1.0, q.log_prob, q, n=2))
    with pytest.raises(TypeError, match="`log_p`"):
        regime.run(lambda: monte_carlo.expectation_importance_sampler(_identity, q, q, n=2))
    with pytest.raises(TypeError, match="sampling_dist_q must be an instance of Distribution"):
        regime.run(lambda: monte_carlo.expectation_importance_sampler_logspace(
            _identity, q.log_prob, q.log_prob, n=2))
    with pytest.raises(TypeError, match="`log_f`"):
        regime.run(lambda: monte_carlo.expectation_importance_sampler_logspace(
            None, q.log_prob, q, n=2))
    with pytest.raises(ValueError, match="exactly one"):
        regime.run(lambda: monte_carlo.expectation_importance_sampler(
            _identity, q.log_prob, q, z=[1.0], n=2))


# ---------------------------------------------------------------- dtypes, helpers


@pytest.mark.parametrize("regime", helpers.REGIMES_WITH_XLA, indirect=True)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes_are_preserved(regime, dtype):
    z = np.linspace(-1.0, 1.0, 8).astype(dtype).reshape(4, 2)

    def fn():
        p = tfd.Normal(tf.zeros(2, dtype), tf.ones(2, dtype))
        outputs = (
            monte_carlo.expectation(tf.square, p, z=z),
            monte_carlo.expectation(tf.square, z, p.log_prob, False),
            monte_carlo.expectation_v2(tf.square, z),
            monte_carlo.expectation_importance_sampler(tf.square, p.log_prob, p, z=z),
            monte_carlo.expectation_importance_sampler_logspace(p.log_prob, p.log_prob, p, z=z),
            monte_carlo._logspace_mean(z),
        )
        for out in outputs:
            assert out.dtype == dtype and out.shape == (2,)
        return outputs

    outputs = regime.run(fn)
    rtol = 2e-3 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(outputs[0], (z.astype(np.float64) ** 2).mean(0), rtol=rtol)
    np.testing.assert_allclose(outputs[3], outputs[0], rtol=10 * rtol)


def test_logspace_mean_matches_reference_and_tfp(regime):
    values = np.random.RandomState(8).uniform(-1e4, 1e4, size=(64, 5))

    def fn():
        x = tf.constant(values)
        with tf.GradientTape() as tape:
            tape.watch(x)
            ours = monte_carlo._logspace_mean(x)
        return ours, tfp.math.reduce_logmeanexp(x, axis=0), tape.gradient(ours, x)

    ours, theirs, grad = regime.run(fn)
    top = values.max(0)
    reference = np.log(np.exp(values - top).mean(0)) + top
    np.testing.assert_allclose(ours, reference, rtol=1e-12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    weights = np.exp(values - top)
    np.testing.assert_allclose(grad, weights / weights.sum(0), rtol=1e-10, atol=1e-300)


def test_logspace_mean_infinite_columns_give_infinities_not_nan(regime):
    # Departure from legacy (which returned NaN here); see migration_guide/monte_carlo.md.
    values = np.array([[-np.inf, np.inf, 0.0], [-np.inf, 1.0, -np.inf]], np.float32)
    out = regime.run(lambda: monte_carlo._logspace_mean(values))
    np.testing.assert_array_equal(out, np.array([-np.inf, np.inf, np.log(0.5)], np.float32))


def test_private_helpers(regime):
    def fn():
        p = tfd.Normal(tf.zeros([2, 3]), 1.0)
        drawn = monte_carlo._get_samples(p, None, 5, 1)
        given = monte_carlo._get_samples(p, [[1.0]], None, None)
        assert drawn.shape == (5, 2, 3)
        x = tf.constant([[1.0, 5.0], [3.0, -1.0]])
        return given, monte_carlo._sample_mean(x), monte_carlo._sample_max(x)

    given, mean, top = regime.run(fn)
    np.testing.assert_array_equal(given, [[1.0]])
    np.testing.assert_array_equal(mean, [2.0, 2.0])
    np.testing.assert_array_equal(top, [3.0, 5.0])
    with pytest.raises(ValueError, match="exactly one"):
        monte_carlo._get_samples(tfd.Normal(0.0, 1.0), None, None, None)


class _NotReparameterizedNormal(tfd.Normal):
    @property
    def reparameterization_type(self):
        return tfd.NOT_REPARAMETERIZED


class _OldStyleFakeNormal(v1d.Normal):
    is_reparameterized = False


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: tfd.Normal(0.0, 1.0), True),
        (lambda: v1d.Normal(0.0, 1.0), True),
        (lambda: tfd.Bernoulli(logits=0.0), False),
        (lambda: v1d.Bernoulli(logits=0.0), False),
        (lambda: _NotReparameterizedNormal(0.0, 1.0), False),
        (lambda: _OldStyleFakeNormal(0.0, 1.0), False),
    ],
)
def test_reparameterization_is_compared_by_value(make, expected):
    assert dist_util.is_reparameterized(make()) is expected
