"""Tests of `stochastic_graph.surrogate_loss`: dependency discovery, eager paths, DiCE, training."""
import pathlib
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import BayesflowDeprecationWarning
from tf_contrib_bayesflow import stochastic_graph as sg
from tf_contrib_bayesflow import stochastic_tensor as st_lib
from tf_contrib_bayesflow._internal import graph_walk

tfd = tfp.distributions


class NotParamNormal(tfd.Normal):
    """The legacy tests' non-reparameterized Normal."""

    @property
    def reparameterization_type(self):
        return tfd.NOT_REPARAMETERIZED


def _score(stochastic):
    return stochastic.distribution.log_prob(stochastic.value())


# The graph walk exists in tf.function and v1 graph mode; eager mode has its own tests below.
WALK_REGIMES = pytest.mark.parametrize("regime", ["function", "graph"], indirect=True)


def _eager_list(regime, *stochastic_tensors):
    """The eager path needs the tensors listed (each is then charged with all losses)."""
    return list(stochastic_tensors) if regime.is_eager else None


def _at_mean(dist, **kwargs):
    """A deterministic score-charged stochastic tensor: the value is the (stopped) mean."""
    return st_lib.StochasticTensor(
        dist, dist_value_type=st_lib.MeanValue(stop_gradient=True), **kwargs
    )


# ---------------------------------------------------------------- legacy behaviour (graph walk)


def test_pathwise_only_surrogate_is_the_loss(regime):
    def fn():
        mu = tf.constant([0.0, 0.1, 0.2])
        prior = st_lib.StochasticTensor(tfd.Normal(mu, 1.0))
        likelihood = st_lib.StochasticTensor(tfd.Normal(prior, 1.0))
        loss = tf.square(tf.identity(likelihood) - mu)
        sum_loss = tf.reduce_sum(loss)
        listed = _eager_list(regime, prior, likelihood)
        return (
            loss,
            sg.surrogate_loss([loss], listed),
            sg.surrogate_loss([loss, sum_loss * tf.ones_like(loss)], listed),
            sum_loss,
        )

    loss, surrogate, both, sum_loss = regime.run(fn)
    np.testing.assert_array_equal(surrogate, loss)
    np.testing.assert_allclose(both, loss + sum_loss, rtol=1e-6)


def _legacy_chain():
    """prior -> likelihood (both not reparameterized) and an unrelated prior_2 (legacy test)."""
    mu = tf.constant([0.0, 0.1, 0.2])
    sigma = tf.constant([1.1, 1.2, 1.3])
    prior = st_lib.StochasticTensor(NotParamNormal(mu, sigma))
    likelihood = st_lib.StochasticTensor(NotParamNormal(prior, sigma))
    prior_2 = st_lib.StochasticTensor(NotParamNormal(mu, sigma))
    loss = tf.square(tf.identity(likelihood) - mu)
    part_loss = tf.square(tf.identity(prior) - mu)
    return mu, sigma, prior, likelihood, prior_2, loss, part_loss


@WALK_REGIMES
def test_score_terms_charge_only_downstream_losses(regime):
    def fn():
        mu, sigma, prior, likelihood, prior_2, loss, part_loss = _legacy_chain()
        stop = tf.stop_gradient
        sum_loss = tf.reduce_sum(loss) * tf.ones_like(loss)
        loss_nodeps = tf.square(tf.identity(prior_2) - mu)
        cases = {
            "one": (
                sg.surrogate_loss([loss]),
                loss + _score(likelihood) * stop(loss) + _score(prior) * stop(loss),
            ),
            "two": (
                sg.surrogate_loss([loss, part_loss]),
                loss + part_loss + _score(likelihood) * stop(loss)
                + _score(prior) * stop(part_loss + loss),
            ),
            "summed": (
                sg.surrogate_loss([sum_loss]),
                sum_loss + _score(likelihood) * stop(sum_loss) + _score(prior) * stop(sum_loss),
            ),
            "nodeps": (
                sg.surrogate_loss([loss, loss_nodeps]),
                loss + loss_nodeps + _score(likelihood) * stop(loss) + _score(prior) * stop(loss)
                + _score(prior_2) * stop(loss_nodeps),
            ),
            "explicit": (
                sg.surrogate_loss([loss], stochastic_tensors=[likelihood]),
                loss + _score(likelihood) * stop(loss),
            ),
        }
        return cases

    for name, (actual, expected) in regime.run(fn).items():
        np.testing.assert_allclose(actual, expected, rtol=1e-5, err_msg=name)


@WALK_REGIMES
def test_gradients_equal_those_of_the_expected_expression(regime):
    def fn():
        mu = tf.constant([0.0, 0.1, 0.2])
        sigma = tf.constant([1.1, 1.2, 1.3])
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([mu, sigma])
            prior = st_lib.StochasticTensor(NotParamNormal(mu, sigma))
            likelihood = st_lib.StochasticTensor(NotParamNormal(prior, sigma))
            loss = tf.square(tf.identity(likelihood) - mu)
            part_loss = tf.square(tf.identity(prior) - mu)
            surrogate = tf.reduce_sum(sg.surrogate_loss([loss, part_loss]))
            stop = tf.stop_gradient
            expected = tf.reduce_sum(
                loss + part_loss + _score(likelihood) * stop(loss)
                + _score(prior) * stop(loss + part_loss)
            )
        return tape.gradient(surrogate, [mu, sigma]), tape.gradient(expected, [mu, sigma])

    actual, expected = regime.run(fn)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-5)


def test_dependency_map_chains_conditionals_and_partial_losses():
    with tf.Graph().as_default():
        mu = tf.constant([0.0, 0.1])
        prior = st_lib.StochasticTensor(NotParamNormal(mu, 1.0))
        likelihood = st_lib.StochasticTensor(NotParamNormal(prior, 1.0))
        coin = st_lib.StochasticTensor(tfd.Bernoulli(probs=0.5))
        unrelated = st_lib.StochasticTensor(NotParamNormal(mu, 1.0))
        chained = tf.square(tf.identity(likelihood))
        # `coin` only decides which branch runs: a cond predicate is a data input.
        branch = tf.cond(tf.cast(coin, tf.bool), lambda: mu + 1.0, lambda: mu - 1.0)
        only_prior = tf.identity(prior) * 2.0
        dep_map = sg._stochastic_dependencies_map([chained, branch, only_prior])
        assert list(dep_map) == [prior, likelihood, coin]  # construction order; unrelated absent
        # Legacy compared with Python sets of tensors (hashable in graph mode).
        assert dep_map[prior] == {chained, only_prior}
        assert dep_map[likelihood] == {chained}
        assert dep_map[coin] == {branch}
        upstream = sg._upstream_stochastic_nodes([chained, branch, mu])
        assert upstream[chained] == {prior, likelihood} and upstream[mu] == set()
        assert unrelated not in upstream[branch]


@WALK_REGIMES
def test_walk_crosses_stop_gradient_but_not_control_inputs(regime):
    def fn():
        through_stop = _at_mean(NotParamNormal(tf.constant([1.0, 2.0]), 1.0))
        control_only = _at_mean(NotParamNormal(tf.constant([3.0, 4.0]), 1.0))
        with tf.control_dependencies([control_only.value()]):
            loss = tf.square(tf.stop_gradient(tf.identity(through_stop)) * 2.0)
        return sg.surrogate_loss([loss]), loss, _score(through_stop)

    surrogate, loss, score = regime.run(fn)
    np.testing.assert_allclose(surrogate, loss + score * loss, rtol=1e-6)


@WALK_REGIMES
def test_chain_of_40_diamonds_is_walked_in_linear_time(regime):
    def fn():
        root = _at_mean(NotParamNormal(tf.constant([0.3]), 1.0))
        x = tf.identity(root)
        for _ in range(40):  # legacy re-walked both arms of every diamond: 2**40 visits
            x = tf.sin(x) + tf.cos(x)
        start = time.perf_counter()
        surrogate = sg.surrogate_loss([x])
        assert time.perf_counter() - start < 2.0
        return surrogate, x, _score(root)

    surrogate, x, score = regime.run(fn)
    np.testing.assert_allclose(surrogate, x + score * x, rtol=1e-6)


def test_losses_of_different_shapes_broadcast(regime):
    probs = np.linspace(0.1, 0.9, 16).reshape(16, 1)

    def fn():
        # A [16, 1] sample feeding a [16, 10] loss and a [16, 1] loss.
        coin = st_lib.StochasticTensor(tfd.Bernoulli(probs=tf.constant(probs), dtype=tf.float64))
        wide = tf.cast(coin, tf.float64) * tf.ones([16, 10], tf.float64)
        narrow = tf.cast(coin, tf.float64) + 1.0
        # A [16, 10] score term charged with a [16, 1] loss (the real client's case).
        many = st_lib.StochasticTensor(NotParamNormal(tf.zeros([16, 10], tf.float64), 1.0))
        small = tf.reduce_sum(tf.identity(many), axis=1, keepdims=True)
        return (
            sg.surrogate_loss([wide, narrow], _eager_list(regime, coin)),
            sg.surrogate_loss([small], _eager_list(regime, many)),
            wide, narrow, small, _score(coin), _score(many),
        )

    mixed, client, wide, narrow, small, coin_score, many_score = regime.run(fn)
    np.testing.assert_allclose(mixed, wide + narrow + coin_score * (wide + narrow), rtol=1e-12)
    assert client.shape == (16, 10)
    np.testing.assert_allclose(client, small + many_score * small, rtol=1e-12)


def test_add_n_or_sum():
    with tf.Graph().as_default():
        same = [tf.ones([2, 3]), tf.ones([2, 3])]
        assert sg._add_n_or_sum(same).op.type == "AddN"
        assert sg._add_n_or_sum([tf.ones([2, 3]), tf.ones([2, 1])]).shape == (2, 3)
        unknown = tf.compat.v1.placeholder(tf.float32, [None, 3])
        assert sg._add_n_or_sum([unknown, unknown]).op.type != "AddN"


# ---------------------------------------------------------------- tf.function specifics


def test_function_finds_stochastic_tensors_created_outside_it():
    outer = _at_mean(NotParamNormal(tf.constant([1.0, 2.0]), 1.0))

    @tf.function
    def fn():
        loss = tf.square(tf.identity(outer))  # the eager value is a capture inside the graph
        return sg.surrogate_loss([loss]), loss

    surrogate, loss = fn()
    np.testing.assert_allclose(surrogate, loss + _score(outer) * loss, rtol=1e-6)


def test_nested_functions_walk_through_captures():
    @tf.function
    def outer_fn():
        outer = _at_mean(NotParamNormal(tf.constant([1.0, 2.0]), 1.0))
        shifted = tf.identity(outer) + 1.0

        @tf.function
        def inner_fn():
            loss = tf.square(shifted)
            return sg.surrogate_loss([loss]), loss

        surrogate, loss = inner_fn()
        return surrogate, loss, _score(outer)

    surrogate, loss, score = outer_fn()
    np.testing.assert_allclose(surrogate, loss + score * loss, rtol=1e-6)


# ---------------------------------------------------------------- eager paths


def _two_independent_losses():
    """Two deterministic score-charged tensors, each feeding one loss."""
    first = _at_mean(NotParamNormal(tf.constant([1.0, 2.0]), 1.0))
    second = _at_mean(NotParamNormal(tf.constant([-1.0, 0.5]), 2.0))
    return first, second, tf.square(tf.identity(first)), tf.identity(second) * 3.0


@pytest.mark.parametrize("candidates", [None, []], ids=["none", "empty"])
def test_eager_without_a_list_or_callable_raises(candidates):
    _, _, loss_1, loss_2 = _two_independent_losses()
    with pytest.raises(RuntimeError, match=r"(?s)stochastic_tensors=.*callable"):
        sg.surrogate_loss([loss_1, loss_2], stochastic_tensors=candidates)
    with pytest.raises(RuntimeError, match="no graph to walk"):
        sg._stochastic_dependencies_map([loss_1])
    with pytest.raises(RuntimeError, match="no graph to walk"):
        sg._upstream_stochastic_nodes([loss_1])


def test_eager_explicit_list_charges_every_listed_tensor_with_all_losses():
    first, second, loss_1, loss_2 = _two_independent_losses()
    surrogate = sg.surrogate_loss([loss_1, loss_2], stochastic_tensors=[first, second])
    total = loss_1 + loss_2
    expected = total + _score(first) * total + _score(second) * total
    np.testing.assert_allclose(surrogate, expected, rtol=1e-6)


def test_callable_gives_the_graph_charges_in_every_regime(regime):
    def build():
        _, _, loss_1, loss_2 = _two_independent_losses()
        return [loss_1, loss_2]

    surrogate = regime.run(lambda: sg.surrogate_loss(build))
    # Each tensor charged with its own loss only (log N(m; m, s) = -log(s sqrt(2 pi))).
    first_score = -0.5 * np.log(2 * np.pi) * np.ones(2)
    second_score = first_score - np.log(2.0)
    loss_1, loss_2 = np.array([1.0, 4.0]), np.array([-3.0, 1.5])
    expected = loss_1 + loss_2 + first_score * loss_1 + second_score * loss_2
    np.testing.assert_allclose(surrogate, expected, rtol=1e-6)


def test_callable_finds_eager_tensors_created_outside_it():
    outer = _at_mean(NotParamNormal(tf.constant([1.0, 2.0]), 1.0))
    surrogate = sg.surrogate_loss(lambda: [tf.square(tf.identity(outer))])
    expected = np.array([1.0, 4.0]) * (1.0 + _score(outer).numpy())
    np.testing.assert_allclose(surrogate, expected, rtol=1e-6)


def test_callable_draws_fresh_reproducible_samples_per_call():
    def run():
        tf.random.set_seed(7)
        return [
            sg.surrogate_loss(
                lambda: [tf.identity(st_lib.StochasticTensor(tfd.Normal(tf.zeros(3), 1.0)))]
            ).numpy()
            for _ in range(3)
        ]

    first, second = run(), run()
    assert len({tuple(draw) for draw in first}) == 3  # a new draw on every call
    np.testing.assert_array_equal(first, second)  # and the same stream for the same seed


# ---------------------------------------------------------------- DiCE


def _bernoulli_derivatives(regime, dice, n):
    def fn():
        logits = tf.constant(0.3, tf.float64)
        with tf.GradientTape() as outer:
            outer.watch(logits)
            with tf.GradientTape() as inner:
                inner.watch(logits)
                coin = st_lib.StochasticTensor(
                    tfd.Bernoulli(logits=logits, dtype=tf.float64),
                    dist_value_type=st_lib.SampleValue(n),
                )
                losses = [2.0 * tf.identity(coin)]  # f(x) = 2x
                listed = _eager_list(regime, coin)
                surrogate = tf.reduce_mean(sg.surrogate_loss(losses, listed, dice=dice))
            first = inner.gradient(surrogate, logits)
        return coin.value(), surrogate, first, outer.gradient(first, logits)

    return fn


@pytest.mark.parametrize("dice", [False, True], ids=["legacy", "dice"])
def test_first_and_second_derivatives_of_bernoulli(regime, dice):
    # E[2x], x ~ Bernoulli(sigmoid(t)): d/dt = 2s(1-s), d2/dt2 = 2s(1-s)(1-2s); s = sigmoid(.3).
    # Per sample, DiCE gives 2x(x-s) and 2x((x-s)^2 - s(1-s)); the legacy surrogate
    # f + lp*stop(f) gives the same first derivative but 2x * (-s(1-s)) as second derivative,
    # whose expectation -2s*s(1-s) ~ -0.281 is not the true -0.0728.
    n = 20000
    x, value, first, second = regime.run(_bernoulli_derivatives(regime, dice, n))
    s = 1.0 / (1.0 + np.exp(-0.3))
    per_first = 2 * x * (x - s)
    per_second = 2 * x * ((x - s) ** 2 - s * (1 - s)) if dice else 2 * x * -s * (1 - s)
    np.testing.assert_allclose(first, per_first.mean(), rtol=1e-10)
    np.testing.assert_allclose(second, per_second.mean(), rtol=1e-10)
    if dice:
        np.testing.assert_allclose(value, (2 * x).mean(), rtol=1e-12)  # the box has value 1
    exact_first = 2 * s * (1 - s)
    exact_second = 2 * s * (1 - s) * (1 - 2 * s) if dice else -2 * s * s * (1 - s)
    assert abs(exact_second - (-0.0728 if dice else -0.281)) < 5e-4
    # Tolerance: 4 standard errors of the per-sample estimates.
    helpers.assert_within(first, exact_first, helpers.mc_tolerance(per_first.std(), n))
    helpers.assert_within(second, exact_second, helpers.mc_tolerance(per_second.std(), n))


def test_dice_chain_and_pathwise_terms(regime):
    # x1 ~ N(t, 1) (score), x2 ~ N(x1, 1) (score), loss = x2^2 + t^2 (pathwise in t):
    # E[loss] = t^2 + 2 + t^2, so d/dt = 4t and d2/dt2 = 4; DiCE is exact for both.
    n, t0 = 100000, 0.5

    def fn():
        t = tf.constant(t0, tf.float64)
        with tf.GradientTape() as outer:
            outer.watch(t)
            with tf.GradientTape() as inner:
                inner.watch(t)
                x1 = st_lib.StochasticTensor(
                    NotParamNormal(t * tf.ones([n], tf.float64), 1.0)
                )
                x2 = st_lib.StochasticTensor(NotParamNormal(x1, 1.0))
                loss = tf.square(tf.identity(x2)) + tf.square(t)
                listed = _eager_list(regime, x1, x2)
                surrogate = tf.reduce_mean(sg.surrogate_loss([loss], listed, dice=True))
            first = inner.gradient(surrogate, t)
        return x1.value(), x2.value(), first, outer.gradient(first, t)

    x1, x2, first, second = regime.run(fn)
    # tau = log p(x1) + log p(x2 | x1): d tau/dt = x1 - t, d2 tau/dt2 = -1, and DiCE's
    # derivatives of loss * box are dL + L dtau and d2L + 2 dL dtau + L (d2tau + dtau^2).
    score, loss = x1 - t0, x2**2 + t0**2
    per_first = 2 * t0 + loss * score
    per_second = 2.0 + 2 * (2 * t0) * score + loss * (score**2 - 1.0)
    np.testing.assert_allclose(first, per_first.mean(), rtol=1e-8)
    np.testing.assert_allclose(second, per_second.mean(), rtol=1e-8)
    helpers.assert_within(first, 4 * t0, helpers.mc_tolerance(per_first.std(), n))
    helpers.assert_within(second, 4.0, helpers.mc_tolerance(per_second.std(), n))


# ---------------------------------------------------------------- training


N_TYPES, BATCH = 4, 64
_TYPES = np.arange(BATCH) % N_TYPES
_FEATURES = np.eye(N_TYPES, dtype=np.float32)[_TYPES]
_X = np.random.RandomState(0).normal(size=BATCH).astype(np.float32)
# Types 0 and 2 want the +1 function (route 0), types 1 and 3 the -1 function (route 1).
_BEST_ROUTE = np.array([0, 1, 0, 1])
_TARGET = (_X + np.where(_BEST_ROUTE[_TYPES] == 0, 1.0, -1.0)).astype(np.float32)


def _routing_losses(weights, keep=None):
    logits = tf.matmul(_FEATURES, weights)
    choice = st_lib.StochasticTensor(tfd.Categorical(logits=logits))
    if keep is not None:
        keep.append(choice)
    parts = tf.dynamic_partition(_X, choice, 2)
    indices = tf.dynamic_partition(tf.range(BATCH), choice, 2)
    routed = tf.dynamic_stitch(indices, [parts[0] + 1.0, parts[1] - 1.0])
    return [tf.square(routed - _TARGET)]


def _routing_step(weights, surrogate_of):
    def step():
        with tf.GradientTape() as tape:
            objective = tf.reduce_mean(surrogate_of(weights))
        update = weights.assign_sub(1.0 * tape.gradient(objective, weights))
        return tf.nn.softmax(update)

    return step


def _assert_best_routes(probabilities):
    best = probabilities[np.arange(N_TYPES), _BEST_ROUTE]
    assert np.all(best > 0.9), probabilities


def test_reinforce_routing_converges(regime):
    # Score-function SGD on the per-example surrogate: each example's loss is 0 on the right
    # route and 4 on the wrong one; the policy must learn the best route of every type. Eager
    # uses the documented callable path (the losses are traced and walked as in graph mode).
    def surrogate_of(weights):
        if regime.is_eager:
            return sg.surrogate_loss(lambda: _routing_losses(weights))
        return sg.surrogate_loss(_routing_losses(weights))

    def make_step():
        return _routing_step(tf.Variable(tf.zeros([N_TYPES, 2])), surrogate_of)

    _assert_best_routes(regime.iterate(make_step, 80)[-1])


def test_reinforce_routing_converges_eagerly_with_an_explicit_list():
    def surrogate_of(weights):
        keep = []
        losses = _routing_losses(weights, keep)
        return sg.surrogate_loss(losses, stochastic_tensors=keep)

    tf.random.set_seed(helpers.SEED)
    step = _routing_step(tf.Variable(tf.zeros([N_TYPES, 2])), surrogate_of)
    for _ in range(80):
        probabilities = step().numpy()
    _assert_best_routes(probabilities)


def test_vae_with_dense_layers_trains(regime):
    import tf_keras

    rng = np.random.RandomState(1)
    prototypes = rng.binomial(1, 0.5, size=(2, 12))
    data = prototypes[rng.randint(2, size=64)].astype(np.float32)
    data = np.abs(data - rng.binomial(1, 0.05, size=data.shape)).astype(np.float32)

    def make_step():
        encoder = tf_keras.layers.Dense(4)
        decoder = tf_keras.layers.Dense(12)

        def step():
            with tf.GradientTape() as tape:
                params = encoder(data)
                z = st_lib.StochasticTensor(
                    tfd.Normal(params[:, :2], tf.nn.softplus(params[:, 2:]) + 1e-3)
                )
                logits = decoder(z)  # the stochastic tensor is a layer input
                nll = -tf.reduce_sum(tfd.Bernoulli(logits=logits).log_prob(data), axis=1)
                kl = tf.reduce_sum(tfd.kl_divergence(z.distribution, tfd.Normal(0.0, 1.0)), 1)
                loss = nll + kl
                candidates = [z] if regime.is_eager else None
                surrogate = sg.surrogate_loss([loss], stochastic_tensors=candidates)
                objective = tf.reduce_mean(surrogate)
            variables = encoder.trainable_variables + decoder.trainable_variables
            grads = tape.gradient(objective, variables)
            updates = [v.assign_sub(0.05 * g) for v, g in zip(variables, grads)]
            with tf.control_dependencies(updates):
                return tf.reduce_mean(loss), tf.reduce_max(tf.abs(surrogate - loss))

        return step

    history = regime.iterate(make_step, 150)
    losses = np.array([h[0] for h in history])
    assert max(h[1] for h in history) == 0.0  # reparameterized: the surrogate is the loss
    assert losses[-10:].mean() < 0.6 * losses[:10].mean(), losses[::10]


# Legacy TF1 code, unchanged but for the imports: disable_v2_behavior (so ref variables and TF1
# control flow, Switch/Merge), placeholders, an optimizer's minimize and a Session loop.
_LEGACY_SCRIPT = """
import warnings
warnings.simplefilter("ignore")
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import tensorflow_probability as tfp
from tf_contrib_bayesflow import stochastic_graph as sg
from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
from tf_contrib_bayesflow import stochastic_tensor as st

tf.set_random_seed(0)
n_types, batch = 4, 64
types = np.arange(batch) % n_types
features = np.eye(n_types, dtype=np.float32)[types]
x = np.random.RandomState(0).normal(size=batch).astype(np.float32)
best = np.array([0, 1, 0, 1])
target = (x + np.where(best[types] == 0, 1.0, -1.0)).astype(np.float32)

inputs = tf.placeholder(tf.float32, [batch, n_types])
weights = tf.get_variable("w", [n_types, 2], initializer=tf.zeros_initializer())
choice = st.StochasticTensor(
    tfp.distributions.Categorical(logits=tf.matmul(inputs, weights)),
    loss_fn=sge.get_score_function_with_baseline())
parts = tf.dynamic_partition(x, choice, 2)
indices = tf.dynamic_partition(tf.range(batch), choice, 2)
routed = tf.dynamic_stitch(indices, [parts[0] + 1.0, parts[1] - 1.0])
# v1 control flow (Switch/Merge): a cond whose predicate depends on the sample.
flag = st.StochasticTensor(tfp.distributions.Bernoulli(logits=tf.zeros([])))
extra = tf.cond(tf.cast(flag, tf.bool), lambda: tf.zeros([batch]), lambda: tf.zeros([batch]))
loss = tf.square(routed - target) + extra
surrogate = sg.surrogate_loss([loss])
deps = sg._stochastic_dependencies_map([loss])
assert set(deps) == {choice, flag}, deps
train = tf.train.GradientDescentOptimizer(1.0).minimize(tf.reduce_mean(surrogate))
probs = tf.nn.softmax(weights)
with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    for _ in range(80):
        session.run(train, {inputs: features})
    p = session.run(probs)
assert np.all(p[np.arange(n_types), best] > 0.9), p
print("LEGACY-OK")
"""


def test_legacy_tf1_script_runs_unchanged():
    # A subprocess, because disable_v2_behavior changes process-wide state.
    result = subprocess.run(
        [sys.executable, "-c", _LEGACY_SCRIPT], capture_output=True, text=True, timeout=300,
        cwd=pathlib.Path(__file__).parents[1], env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )
    assert result.returncode == 0 and "LEGACY-OK" in result.stdout, result.stderr[-3000:]


# ---------------------------------------------------------------- bad input and warnings


def test_bad_sample_losses():
    stochastic = st_lib.StochasticTensor(tfd.Normal(tf.zeros(2), 1.0))
    loss = tf.ones([2])
    with pytest.raises(TypeError, match="sample_losses must be a list or tuple"):
        sg.surrogate_loss(loss)
    with pytest.raises(TypeError, match="sample_losses must be a list or tuple"):
        sg.surrogate_loss({"a": loss})
    for bad in (stochastic, tf.Variable([1.0]), np.ones(2, np.float32), [1.0]):
        with pytest.raises(TypeError, match="loss is not a Tensor"):
            sg.surrogate_loss([loss, bad], stochastic_tensors=[stochastic])
    with pytest.raises(ValueError, match="dimensionality 1 or greater"):
        sg.surrogate_loss([tf.constant(1.0)], stochastic_tensors=[stochastic])
    with pytest.raises(ValueError, match="must not be empty"):
        sg.surrogate_loss([])
    with pytest.raises(TypeError, match="stochastic_tensors must be None or a list"):
        sg.surrogate_loss([loss], stochastic_tensors=stochastic)
    with pytest.raises(TypeError, match="stochastic_tensors must hold StochasticTensors"):
        sg.surrogate_loss([loss], stochastic_tensors=[loss])
    with pytest.raises(TypeError, match="must return a list or tuple"):
        sg.surrogate_loss(lambda: loss)
    with tf.Graph().as_default():
        unknown = tf.compat.v1.placeholder(tf.float32, None)
        with pytest.raises(ValueError, match="dimensionality 1 or greater"):
            sg.surrogate_loss([unknown])


@WALK_REGIMES
def test_nothing_found_returns_the_plain_sum(regime):
    def fn():
        return sg.surrogate_loss([tf.ones([2, 1]), tf.ones([2, 3]) * 2.0])

    # Departure: legacy's add_n failed for these shapes; the broadcasting sum does not.
    np.testing.assert_array_equal(regime.run(fn), np.full((2, 3), 3.0))


@pytest.mark.usefixtures("fresh_deprecations")
def test_surrogate_loss_warns_once():
    loss = tf.ones([1])
    stochastic = st_lib.StochasticTensor(tfd.Normal(0.0, 1.0))
    with pytest.warns(BayesflowDeprecationWarning, match="stochastic_graph.surrogate_loss") as rec:
        sg.surrogate_loss([loss], stochastic_tensors=[stochastic])
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sg.surrogate_loss([loss], stochastic_tensors=[stochastic])


def test_identity_containers():
    a, b = tf.constant(1.0), tf.constant(1.0)
    items = graph_walk.IdentitySet([a, b, a])
    assert len(items) == 2 and a in items and tf.constant(1.0) not in items
    mapping = graph_walk.IdentityDict([(a, 1)])
    assert mapping[a] == 1 and b not in mapping
    with pytest.raises(KeyError):
        mapping[b]  # noqa: B018
