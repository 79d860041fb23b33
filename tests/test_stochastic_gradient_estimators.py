"""Tests of `stochastic_gradient_estimators`: score functions, baselines, VIMCO advantages."""
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import BayesflowDeprecationWarning
from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
from tf_contrib_bayesflow import stochastic_tensor as st_lib

tfd = tfp.distributions


class NotParamNormal(tfd.Normal):
    @property
    def reparameterization_type(self):
        return tfd.NOT_REPARAMETERIZED


# ---------------------------------------------------------------- the estimators (legacy tests)


def test_estimators_on_a_near_certain_bernoulli(regime):
    # Legacy: st.loss(3.2) is log(p) * 3.2, and log(p) * (3.2 - 9.8) with any 9.8 baseline.
    def fn():
        def make(loss_fn):
            return st_lib.StochasticTensor(tfd.Bernoulli(probs=0.999999), loss_fn=loss_fn)

        plain = make(sge.score_function)
        log_p = plain.distribution.log_prob(plain.value())
        return log_p, [
            plain.loss(3.2),
            make(sge.get_score_function_with_constant_baseline(9.8)).loss(3.2),
            make(sge.get_score_function_with_baseline(lambda st, loss: 9.8)).loss(3.2),
            make(sge.get_score_function_with_advantage(lambda st, loss: loss - 9.8)).loss(3.2),
        ]

    log_p, (plain, constant, baseline_fn, advantage_fn) = regime.run(fn)
    np.testing.assert_allclose(log_p, np.log(np.float32(0.999999)), rtol=1e-3)
    np.testing.assert_allclose(plain, log_p * 3.2, rtol=1e-6)
    for term in (constant, baseline_fn, advantage_fn):
        np.testing.assert_allclose(term, log_p * (3.2 - 9.8), rtol=1e-6)


def test_score_function_value_gradient_and_stops(regime):
    value = np.array([1.0, -0.5], np.float32)

    def fn():
        loc = tf.constant([0.2, 0.3])
        loss, baseline = tf.constant([2.0, 5.0]), tf.constant(1.5)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([loc, loss, baseline])
            stochastic = st_lib.StochasticTensor(NotParamNormal(loc, 1.0))
            term = sge.score_function(stochastic, value, loss, baseline)
            listed = sge.score_function(stochastic, value, [2.0, 5.0])  # a list loss converts
        return (
            term, listed, tape.gradient(term, loc), tape.gradient(term, loss),
            tape.gradient(term, baseline),
        )

    term, listed, grad_loc, grad_loss, grad_baseline = regime.run(fn)
    log_prob = -0.5 * (value - [0.2, 0.3]) ** 2 - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(term, log_prob * ([2.0, 5.0] - np.float32(1.5)), rtol=1e-6)
    np.testing.assert_allclose(listed, log_prob * [2.0, 5.0], rtol=1e-6)
    # d log N(v; loc, 1) / d loc = v - loc; the loss and baseline carry no gradient.
    np.testing.assert_allclose(grad_loc, (value - [0.2, 0.3]) * [0.5, 3.5], rtol=1e-6)
    assert grad_loss is None and grad_baseline is None


def _per_sample_gradients(loss_fn, mu, n):
    """Per-sample score-function gradients of E[x^2], x ~ N(mu, 1), via one loc per sample."""

    def fn():
        locs = tf.fill([n], tf.constant(mu, tf.float64))
        with tf.GradientTape() as tape:
            tape.watch(locs)
            stochastic = st_lib.StochasticTensor(NotParamNormal(locs, 1.0), loss_fn=loss_fn)
            term = stochastic.loss(tf.square(stochastic.value()))
        return stochastic.value(), tape.gradient(term, locs)

    return fn


def test_score_function_gradient_matches_closed_form(regime):
    # d/dmu E[x^2] = 2 mu; each sample's estimate is x^2 (x - mu).
    mu, n = 1.5, 20000
    x, grads = regime.run(_per_sample_gradients(sge.score_function, mu, n))
    np.testing.assert_allclose(grads, x**2 * (x - mu), rtol=1e-10)
    helpers.assert_within(grads.mean(), 2 * mu, helpers.mc_tolerance(grads.std(), n))


def test_constant_baseline_reduces_variance_keeps_mean(regime):
    # x = mu + e: the estimate x^2 (x - mu) has variance 87 at mu = 2, and with the baseline
    # E[x^2] = 5 it becomes e (4e + e^2 - 1), of variance 42; both have mean 2 mu = 4.
    mu, n = 2.0, 20000
    x_plain, plain = regime.run(_per_sample_gradients(sge.score_function, mu, n))
    with_baseline = sge.get_score_function_with_constant_baseline(5.0)
    x_base, based = regime.run(_per_sample_gradients(with_baseline, mu, n))
    np.testing.assert_allclose(based, (x_base**2 - 5.0) * (x_base - mu), rtol=1e-10)
    for grads in (plain, based):
        helpers.assert_within(grads.mean(), 2 * mu, helpers.mc_tolerance(grads.std(), n))
    ratio = based.var() / plain.var()
    assert 0.3 < ratio < 0.7, ratio  # the closed-form ratio is 42 / 87 = 0.48


# ---------------------------------------------------------------- the mean baseline


def _debiased_ema(means, decay):
    shadow, out = 0.0, []
    for t, r in enumerate(means, start=1):
        shadow = decay * shadow + (1 - decay) * r
        out.append(shadow / (1 - decay**t))
    return np.array(out)


def test_mean_baseline_is_the_debiased_ema_updated_before_read(regime):
    decay, steps = 0.8, 6

    def make_step():
        baseline_fn = sge.get_mean_baseline(ema_decay=decay)
        counter = tf.Variable(0.0)

        def step():
            k = counter.assign_add(1.0)
            loss = k * tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # mean over ALL: 3.5 k
            return baseline_fn(None, loss)

        return step

    baselines = regime.iterate(make_step, steps)
    expected = _debiased_ema(3.5 * np.arange(1, steps + 1), decay)
    np.testing.assert_allclose(baselines, expected, rtol=1e-5)


def test_mean_baseline_in_a_score_function_legacy_case(regime):
    # Legacy: d = 0.8, constant loss 3.2, six evaluations: the baseline is exactly 3.2, so the
    # term log(p) (3.2 - baseline) vanishes.
    def make_step():
        loss_fn = sge.get_score_function_with_baseline(sge.get_mean_baseline(0.8))

        def step():
            stochastic = st_lib.StochasticTensor(tfd.Bernoulli(probs=0.999999), loss_fn=loss_fn)
            return stochastic.loss(tf.constant(3.2))

        return step

    np.testing.assert_allclose(regime.iterate(make_step, 6), np.zeros(6), atol=1e-12)


def _no_scope(_):
    return tf.name_scope("counted")


def test_mean_baseline_state_per_regime(regime):
    # Graph mode (legacy): each call of the baseline function has its own state. Eager and
    # tf.function: one state per baseline function, created once, updated by every call.
    created = []

    def count(next_creator, **kwargs):
        created.append(kwargs.get("name"))
        return next_creator(**kwargs)

    def make_step():
        baseline_fn = sge.get_mean_baseline(ema_decay=0.5)
        counter = tf.Variable(0.0)

        def step():
            # (v1 graph mode only sees creations through tf.compat.v1.variable_creator_scope,
            # whose variables are then not initialized by global_variables_initializer.)
            scope = tf.variable_creator_scope if not regime.is_graph else _no_scope
            with scope(count):
                k = counter.assign_add(1.0)
                first = baseline_fn(None, tf.reshape(k, [1]))
                with tf.control_dependencies([first]):
                    second = baseline_fn(None, tf.reshape(10.0 * k, [1]))
            return first, second

        return step

    if regime.is_graph:
        with tf.Graph().as_default():
            make_step()()
            assert len(tf.compat.v1.global_variables()) == 1 + 4  # two calls, two variables each
        created.clear()
    results = np.array(regime.iterate(make_step, 3))
    if regime.is_graph:
        np.testing.assert_allclose(results[:, 0], _debiased_ema([1.0, 2.0, 3.0], 0.5), rtol=1e-6)
        np.testing.assert_allclose(results[:, 1], _debiased_ema([10.0, 20.0, 30.0], 0.5), rtol=1e-6)
    else:
        assert len(created) == 2  # created once, on the first call
        shared = _debiased_ema([1.0, 10.0, 2.0, 20.0, 3.0, 30.0], 0.5)
        np.testing.assert_allclose(results.reshape(-1), shared, rtol=1e-6)


def test_mean_baseline_reduces_variance_over_training_steps(regime):
    # Per-sample gradient estimates of d/dmu E[x^2] at mu = 2 over 40 steps of 500 samples:
    # after the moving average settles near E[x^2] = 5 the variance roughly halves (42 vs 87).
    mu, n, steps = 2.0, 500, 40

    def make_step():
        loss_fn = sge.get_score_function_with_baseline(sge.get_mean_baseline(0.8))

        def step():
            locs = tf.fill([n], tf.constant(mu, tf.float64))
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(locs)
                plain = st_lib.StochasticTensor(NotParamNormal(locs, 1.0))
                based = st_lib.StochasticTensor(NotParamNormal(locs, 1.0), loss_fn=loss_fn)
                plain_term = plain.loss(tf.square(plain.value()))
                based_term = based.loss(tf.square(based.value()))
            return tape.gradient(plain_term, locs), tape.gradient(based_term, locs)

        return step

    history = regime.iterate(make_step, steps)[10:]
    plain = np.concatenate([h[0] for h in history])
    based = np.concatenate([h[1] for h in history])
    assert based.var() < 0.7 * plain.var(), (based.var(), plain.var())
    # Same mean: 4 standard errors of the difference of two independent means.
    tol = helpers.mc_tolerance(np.sqrt(plain.var() + based.var()), plain.size)
    helpers.assert_within(based.mean() - plain.mean(), 0.0, tol)
    helpers.assert_within(based.mean(), 2 * mu, helpers.mc_tolerance(based.std(), based.size))


def test_baseline_created_inside_a_retraced_function_explains_itself():
    @tf.function
    def fn():
        return sge.get_mean_baseline()(None, tf.ones([2]))

    with pytest.raises(ValueError, match="outside the tf.function"):
        fn()


# ---------------------------------------------------------------- VIMCO


def _vimco_reference(loss):
    """Direct leave-one-out computation, not in log space (float64)."""
    loss = np.asarray(loss, np.float64)
    n = loss.shape[0]
    log_mean = np.log(loss.mean(0))
    out = np.empty_like(loss)
    for j in range(n):
        others = np.delete(loss, j, axis=0)
        geometric = np.exp(np.log(others).mean(0))
        out[j] = log_mean - np.log((others.sum(0) + geometric) / n)
    return out


@pytest.mark.parametrize("have_log_loss", [False, True])
def test_vimco_matches_direct_leave_one_out(regime, have_log_loss):
    small = np.array([[1.0, 1.5], [1e-6, 1e4], [2.0, 3.0]], np.float32)
    large = (100 * np.random.RandomState(0).uniform(size=(100, 50, 8))).astype(np.float32)

    def fn():
        advantage_fn = sge.get_vimco_advantage_fn(have_log_loss=have_log_loss)
        prepare = np.log if have_log_loss else (lambda x: x)
        return [advantage_fn(None, tf.constant(prepare(x))) for x in (small, large)]

    for actual, loss in zip(regime.run(fn), (small, large)):
        assert actual.shape == loss.shape
        np.testing.assert_allclose(actual, _vimco_reference(loss), atol=5e-5)


def test_vimco_gradient_matches_finite_differences(regime):
    loss = np.random.RandomState(1).uniform(0.5, 3.0, size=(4, 3))
    weights = np.random.RandomState(2).normal(size=(4, 3))

    def fn():
        x = tf.constant(loss)
        with tf.GradientTape() as tape:
            tape.watch(x)
            objective = tf.reduce_sum(weights * sge.get_vimco_advantage_fn()(None, x))
        return tape.gradient(objective, x)

    grad = regime.run(fn)
    numeric, h = np.zeros_like(loss), 1e-6
    for index in np.ndindex(loss.shape):
        step = np.zeros_like(loss)
        step[index] = h
        numeric[index] = (
            np.sum(weights * _vimco_reference(loss + step))
            - np.sum(weights * _vimco_reference(loss - step))
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, atol=1e-6)


def test_vimco_float16_spread_log_losses_stay_finite(regime):
    theta = np.random.RandomState(3).uniform(size=(10, 2000)).astype(np.float16)

    def fn():
        t = tf.constant(theta)
        with tf.GradientTape() as tape:
            tape.watch(t)
            log_loss = -tf.reduce_sum(t, axis=1)  # about -1000 +- 13: exp() would overflow
            advantage = sge.get_vimco_advantage_fn(have_log_loss=True)(None, log_loss)
            objective = tf.reduce_sum(advantage * np.arange(10, dtype=np.float16))
        return advantage, tape.gradient(objective, t)

    advantage, grad = regime.run(fn)
    assert advantage.dtype == np.float16 and advantage.shape == (10,)
    assert np.all(np.isfinite(advantage)) and np.all(np.isfinite(grad))
    reference = _vimco_reference(np.exp(-theta.astype(np.float64).sum(1) + 1000.0))
    np.testing.assert_allclose(advantage, reference, atol=0.05)  # float16 resolution


def test_vimco_needs_two_samples():
    advantage_fn = sge.get_vimco_advantage_fn()
    with pytest.raises(ValueError, match="at least 2 samples"):
        advantage_fn(None, tf.ones([1, 3]))
    with pytest.raises(ValueError, match="sample axis 0"):
        advantage_fn(None, tf.constant(1.0))
    with tf.Graph().as_default():
        loss = tf.compat.v1.placeholder(tf.float32, [None, 3])
        advantage = advantage_fn(None, loss)
        with tf.compat.v1.Session() as session:
            assert session.run(advantage, {loss: np.ones((2, 3))}).shape == (2, 3)
            with pytest.raises(tf.errors.InvalidArgumentError, match="at least 2 samples"):
                session.run(advantage, {loss: np.ones((1, 3))})


# ---------------------------------------------------------------- bad input, surface, warnings


def test_bad_arguments():
    with pytest.raises(TypeError, match="`advantage_fn` must be a callable"):
        sge.get_score_function_with_advantage()
    with pytest.raises(TypeError, match="`baseline_fn` must be a callable"):
        sge.get_score_function_with_baseline(3.0)
    with pytest.raises(TypeError, match="stochastic_tensor must be a StochasticTensor"):
        sge.score_function(tfd.Normal(0.0, 1.0), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\)"):
        sge.get_mean_baseline(ema_decay=1.5)
    with pytest.raises(TypeError, match="ema_decay must be a Python float"):
        sge.get_mean_baseline(ema_decay="0.9")
    baseline_fn = sge.get_mean_baseline()
    baseline_fn(None, tf.ones([2], tf.float32))
    with pytest.raises(TypeError, match="one baseline function per dtype"):
        baseline_fn(None, tf.ones([2], tf.float64))


def test_module_surface():
    # Legacy: get_vimco_advantage_fn is a module attribute that __all__ never listed.
    assert "get_vimco_advantage_fn" not in sge.__all__
    assert callable(sge.get_vimco_advantage_fn)
    assert st_lib.StochasticTensor.__init__.__defaults__[-1] is sge.score_function


@pytest.mark.usefixtures("fresh_deprecations")
def test_each_function_warns_once_naming_its_replacement():
    calls = [
        (lambda: sge.score_function(
            st_lib.StochasticTensor(tfd.Normal(0.0, 1.0)), 0.0, 1.0), "score_function"),
        (lambda: sge.get_score_function_with_advantage(lambda s, l: l), "with_advantage"),
        (lambda: sge.get_score_function_with_constant_baseline(1.0), "constant_baseline"),
        (lambda: sge.get_score_function_with_baseline(lambda s, l: l), "with_baseline"),
        (lambda: sge.get_mean_baseline(), "get_mean_baseline.*tfp.stats"),
        (lambda: sge.get_vimco_advantage_fn(), "get_vimco_advantage_fn.*VIMCO"),
    ]
    for call, match in calls:
        with pytest.warns(BayesflowDeprecationWarning, match=match):
            call()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            call()
