"""Scale-out with `tf.distribute.MirroredStrategy` over two logical CPUs: the package's ops,
`surrogate_loss` and the mean baseline inside `strategy.run` give the single-device results.

Splitting the CPU into logical devices must happen before TensorFlow initializes its devices,
which the pytest process has long done. So this file is also a script: run as
`python tests/test_distribute.py` it configures two logical CPUs, runs every single-device and
mirrored computation, and prints their results as one JSON line; the tests start it once (a
module fixture) and compare. Regime: `tf.function` (each mirrored step is a traced
`strategy.run`, as the strategy is meant to be used); one check runs `strategy.run` eagerly for
the traced-callable path of `surrogate_loss`.

How equality is arranged: the replicas get the two halves of one batch, and every random
quantity is given explicitly (samples `z`, or a stochastic tensor's draws through
`ReplayNormal`), so the single-device run on the whole batch sees the same numbers. A sum over
the batch is then the SUM over replicas of per-replica sums, a mean over axis 0 the MEAN of
per-replica means (equal shard sizes); float32 rounding of the different summation order is
the only difference (rtol 1e-5). The single-device numbers are themselves checked against
closed forms computed here in float64.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

REPLICAS = 2
SHARD = 4  # examples per replica
BATCH = REPLICAS * SHARD
STEPS = 4  # steps of the stateful baseline
DECAY = 0.9
W, C, LOG_S = 0.7, -0.2, 0.1  # initial variables of the model
RTOL = 1e-5  # float32 results of a different summation order
_RESULT_PREFIX = "DISTRIBUTE-RESULT "


def _data() -> dict:
    rng = np.random.RandomState(7)
    return {
        key: rng.normal(size=[STEPS, BATCH]).astype(np.float32) for key in ("x", "y", "z1", "z2")
    }


# ====================================================================== subprocess side


def _worker() -> None:  # pragma: no cover - runs in the subprocess
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS
    )
    import tensorflow_probability as tfp

    from tf_contrib_bayesflow import entropy
    from tf_contrib_bayesflow import monte_carlo
    from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
    from tf_contrib_bayesflow import stochastic_graph as sg
    from tf_contrib_bayesflow import stochastic_tensor as st_lib
    from tf_contrib_bayesflow import variational_inference as vi

    tfd = tfp.distributions

    class ReplayNormal(tfd.Normal):
        """A non-reparameterized Normal whose draws are given (`replay`). The draw is written
        `replay + 0 * (loc + scale)` so that, like a real draw, it depends on the parameters in
        the graph (the walk of `surrogate_loss` goes through it)."""

        replay = None

        @property
        def reparameterization_type(self):
            return tfd.NOT_REPARAMETERIZED

        def _sample_n(self, n, seed=None):
            del seed
            draw = self.replay + 0.0 * (self.loc + self.scale)
            return tf.broadcast_to(draw, tf.concat([[n], tf.shape(draw)], 0))

    def replay(loc, scale, z):
        dist = ReplayNormal(loc, scale)
        dist.replay = tf.convert_to_tensor(z)
        return dist

    strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(REPLICAS)])
    data = _data()
    sum_op, mean_op = tf.distribute.ReduceOp.SUM, tf.distribute.ReduceOp.MEAN
    results = {"replicas": strategy.num_replicas_in_sync}

    def shards(array):
        """A per-replica value: replica r gets array[r * SHARD:(r + 1) * SHARD]."""

        def shard(context):
            start = context.replica_id_in_sync_group * SHARD
            return tf.constant(array[start:start + SHARD])

        return strategy.experimental_distribute_values_from_function(shard)

    def reduced(op, per_replica):
        return tf.nest.map_structure(
            lambda v: strategy.reduce(op, v, axis=None).numpy().tolist(), per_replica
        )

    def local(per_replica):
        return [v.numpy().tolist() for v in strategy.experimental_local_results(per_replica)]

    def plain(structure):
        return tf.nest.map_structure(lambda t: t.numpy().tolist(), structure)

    def make_variables():
        return [tf.Variable(W, name="w"), tf.Variable(C, name="c"), tf.Variable(LOG_S, name="s")]

    single_vars = make_variables()
    with strategy.scope():
        mirrored_vars = make_variables()

    # ---------------------------------------- A. sample-based ops: the mean of per-replica means
    def ops_step(variables, z):
        loc, log_scale = variables[:2]
        with tf.GradientTape() as tape:
            q = tfd.Normal(loc, tf.exp(log_scale))
            score = monte_carlo.expectation(
                lambda s: tf.square(s - 1.0), samples=z, log_prob=q.log_prob,
                use_reparametrization=False,
            )
            elbo = entropy.elbo_ratio(
                lambda s: -0.5 * tf.square(s), q, z=z, form=entropy.ELBOForms.sample
            )
            shannon = entropy.entropy_shannon(q, z=z, form=entropy.ELBOForms.sample)
        return [score, elbo, shannon], tape.gradient([score, elbo, shannon], [loc, log_scale])

    @tf.function
    def ops_mirrored(z):
        return strategy.run(ops_step, args=(mirrored_vars, z))

    z = data["z1"][0]
    results["ops_single"] = plain(tf.function(ops_step)(single_vars, tf.constant(z)))
    results["ops_mirrored"] = reduced(mean_op, ops_mirrored(shards(z)))

    # ---------------------------------------- B. surrogate_loss (+ mean baseline, + DiCE)
    found = []  # stochastic tensors upstream of the loss, per trace (and replica)

    def model_losses(variables, loss_fn, x, y, z1, z2):
        w, c, log_s = variables
        prior = st_lib.StochasticTensor(replay(w * x, 1.0, z1), name="prior")
        likelihood = st_lib.StochasticTensor(
            replay(tf.identity(prior) + c, tf.exp(log_s), z2), name="likelihood", loss_fn=loss_fn
        )
        return [tf.square(tf.identity(likelihood) - y) + 0.1 * tf.square(w * x)]

    def surrogate_step(variables, loss_fn, x, y, z1, z2):
        with tf.GradientTape(persistent=True) as tape:
            losses = model_losses(variables, loss_fn, x, y, z1, z2)
            found.append(len(sg._stochastic_dependencies_map(losses)))
            surrogate = tf.reduce_sum(sg.surrogate_loss(losses))
            dice = tf.reduce_sum(sg.surrogate_loss(losses, dice=True))
        return surrogate, tape.gradient(surrogate, variables), tape.gradient(dice, variables)

    single_loss_fn = sge.get_score_function_with_baseline(sge.get_mean_baseline(DECAY))
    mirrored_loss_fn = sge.get_score_function_with_baseline(sge.get_mean_baseline(DECAY))

    @tf.function
    def surrogate_single(*batch):
        return surrogate_step(single_vars, single_loss_fn, *batch)

    @tf.function
    def surrogate_mirrored(*batch):
        return strategy.run(surrogate_step, args=(mirrored_vars, mirrored_loss_fn) + batch)

    names = ("x", "y", "z1", "z2")
    results["surrogate_single"], results["surrogate_mirrored"] = [], []
    for t in range(STEPS):
        batch = [data[k][t] for k in names]
        results["surrogate_single"].append(
            plain(surrogate_single(*(tf.constant(b) for b in batch)))
        )
        results["surrogate_mirrored"].append(
            reduced(sum_op, surrogate_mirrored(*(shards(b) for b in batch)))
        )
    results["found"] = found

    # ---------------------------------------- C. the mean baseline alone, per replica
    single_baseline = sge.get_mean_baseline(DECAY)
    mirrored_baseline = sge.get_mean_baseline(DECAY)

    def baseline_step(y):
        return mirrored_baseline(None, tf.square(y))

    baseline_mirrored = tf.function(lambda y: strategy.run(baseline_step, args=(y,)))
    results["baseline_single"] = [
        float(single_baseline(None, tf.square(tf.constant(data["y"][t])))) for t in range(STEPS)
    ]
    results["baseline_mirrored"] = [
        local(baseline_mirrored(shards(data["y"][t]))) for t in range(STEPS)
    ]

    # ---------------------------------------- D. a baseline whose state predates the strategy
    used_before = sge.get_mean_baseline(DECAY)
    used_before(None, tf.ones([2]))

    def reuse_step(y):
        return used_before(None, y)

    try:
        tf.function(lambda y: strategy.run(reuse_step, args=(y,)))(shards(data["y"][0]))
        results["reuse_error"] = None
    except ValueError as error:
        results["reuse_error"] = str(error)

    # ---------------------------------------- E. value_type blocks and the replica threads
    seen = {}

    def value_type_step(x):
        try:
            seen["outer_block"] = type(st_lib.get_current_value_type()).__name__
        except st_lib.NoValueTypeSetError:
            seen["outer_block"] = None
        default = st_lib.StochasticTensor(tfd.Normal(x, 1.0))
        with st_lib.value_type(st_lib.MeanValue()):
            inner = st_lib.StochasticTensor(tfd.Normal(x, 1.0))
        seen["default"] = type(default.value_type).__name__
        seen["inner_block"] = type(inner.value_type).__name__
        return inner.value()

    with st_lib.value_type(st_lib.MeanValue()):
        means = tf.function(lambda x: strategy.run(value_type_step, args=(x,)))(
            shards(data["x"][0])
        )
    seen["inner_values"] = local(means)
    results["value_type"] = seen

    # ---------------------------------------- F. eager strategy.run with a loss-building callable
    def eager_step(variables, x, y, z1, z2):
        with tf.GradientTape() as tape:
            surrogate = sg.surrogate_loss(
                lambda: model_losses(variables, sge.score_function, x, y, z1, z2)
            )
            objective = tf.reduce_sum(surrogate)
        return objective, tape.gradient(objective, variables)

    batch = [data[k][0] for k in names]
    results["eager_single"] = plain(eager_step(single_vars, *(tf.constant(b) for b in batch)))
    results["eager_mirrored"] = reduced(
        sum_op, strategy.run(eager_step, args=(mirrored_vars,) + tuple(shards(b) for b in batch))
    )

    # ---------------------------------------- G. variational_inference.elbo, priors found by walk
    def vi_step(variables, x, z):
        w, _, log_s = variables
        with tf.GradientTape() as tape:
            q = st_lib.StochasticTensor(replay(w * x, tf.exp(log_s), z), name="q")
            vi.register_prior(q, tfd.Normal(0.0, 1.0))
            log_likelihood = -0.5 * tf.square(tf.identity(q) - x)
            objective = tf.reduce_sum(vi.elbo(log_likelihood))  # default form: analytic KL
        return objective, tape.gradient(objective, [w, log_s])

    batch = [data["x"][0], data["z1"][0]]
    results["vi_single"] = plain(
        tf.function(vi_step)(single_vars, *(tf.constant(b) for b in batch))
    )
    results["vi_mirrored"] = reduced(
        sum_op,
        tf.function(lambda *b: strategy.run(vi_step, args=(mirrored_vars,) + b))(
            *(shards(b) for b in batch)
        ),
    )

    # ---------------------------------------- H. sampled stochastic tensors per replica
    def draw_step():
        return st_lib.StochasticTensor(tfd.Normal(tf.zeros([1000]), 1.0)).value()

    tf.random.set_seed(1)
    draws = local(tf.function(lambda: strategy.run(draw_step))())
    results["draw_moments"] = [[float(np.mean(d)), float(np.std(d))] for d in draws]
    results["draw_correlation"] = float(np.corrcoef(draws[0], draws[1])[0, 1])

    print(_RESULT_PREFIX + json.dumps(results), flush=True)


if __name__ == "__main__":
    _worker()


# ====================================================================== pytest side


@pytest.fixture(scope="module")
def results():
    root = pathlib.Path(__file__).parents[1]
    completed = subprocess.run(
        [sys.executable, __file__],
        capture_output=True, text=True, timeout=300, cwd=root,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "", "PYTHONPATH": str(root)},
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_RESULT_PREFIX)]
    assert completed.returncode == 0 and lines, completed.stderr[-4000:]
    return json.loads(lines[-1][len(_RESULT_PREFIX):])


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _close(actual, expected, rtol=RTOL, atol=0.0):
    actual, expected = _flatten(actual), _flatten(expected)
    assert len(actual) == len(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _normal_log_prob(value, loc, scale):
    return -0.5 * ((value - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def test_worker_runs_two_replicas(results):
    assert results["replicas"] == REPLICAS


def test_sample_ops_mean_of_replica_means_equals_single_device(results):
    z = _data()["z1"][0].astype(np.float64)
    loc, scale = W, np.exp(C)
    f = (z - 1.0) ** 2
    d_loc = (z - loc) / scale**2  # d log q / d loc
    d_log_scale = -1.0 + ((z - loc) / scale) ** 2  # d log q / d log scale
    neg_log_q = -_normal_log_prob(z, loc, scale)
    expected_values = [f.mean(), np.mean(-0.5 * z**2 + neg_log_q), neg_log_q.mean()]
    # z is given, so only the log-densities carry gradients: the score-function surrogate of
    # `expectation` gives mean(f * score); each of elbo_ratio and entropy_shannon -mean(score).
    expected_grads = [
        np.mean(f * d_loc) - 2 * np.mean(d_loc),
        np.mean(f * d_log_scale) - 2 * np.mean(d_log_scale),
    ]
    _close(results["ops_single"], [expected_values, expected_grads])
    _close(results["ops_mirrored"], results["ops_single"])


def _expected_surrogate(step: int, baseline: float):
    """Value and gradients (w, c, log_s) of the legacy and DiCE surrogates on the whole batch."""
    data = {k: v[step].astype(np.float64) for k, v in _data().items()}
    x, y, z1, z2 = data["x"], data["y"], data["z1"], data["z2"]
    s = np.exp(LOG_S)
    loss = (z2 - y) ** 2 + 0.1 * (W * x) ** 2
    prior_lp = _normal_log_prob(z1, W * x, 1.0)
    lik_lp = _normal_log_prob(z2, z1 + C, s)
    d_prior_w = (z1 - W * x) * x
    d_lik_c = (z2 - z1 - C) / s**2
    d_lik_log_s = -1.0 + ((z2 - z1 - C) / s) ** 2
    pathwise_w = np.sum(0.2 * W * x**2)
    # Legacy: the prior is charged with the loss, the likelihood with the loss minus baseline.
    value = np.sum(loss + prior_lp * loss + lik_lp * (loss - baseline))
    grads = [
        pathwise_w + np.sum(d_prior_w * loss),
        np.sum(d_lik_c * (loss - baseline)),
        np.sum(d_lik_log_s * (loss - baseline)),
    ]
    # DiCE applies no baseline.
    dice = [grads[0], np.sum(d_lik_c * loss), np.sum(d_lik_log_s * loss)]
    return value, grads, dice, loss


def _ema_baselines(batch_means):
    shadow, out = 0.0, []
    for t, mean in enumerate(batch_means, start=1):
        shadow = DECAY * shadow + (1 - DECAY) * mean
        out.append(shadow / (1 - DECAY**t))
    return out


def test_surrogate_loss_in_mirrored_function_equals_single_device(results):
    losses = [_expected_surrogate(t, 0.0)[3] for t in range(STEPS)]
    baselines = _ema_baselines([loss.mean() for loss in losses])
    for t in range(STEPS):
        value, grads, dice, _ = _expected_surrogate(t, baselines[t])
        single, mirrored = results["surrogate_single"][t], results["surrogate_mirrored"][t]
        # Relative to the largest gradient: cancellation in a sum of large score terms.
        scale = np.max(np.abs(grads + dice))
        _close(single[1:], [grads, dice], atol=RTOL * scale)
        np.testing.assert_allclose(single[0], value, rtol=RTOL)
        _close(mirrored, single, atol=RTOL * scale)
    # Each replica's graph walk (in the one FuncGraph both replicas build into) found exactly
    # its own prior and likelihood, not the other replica's registered tensors.
    assert results["found"] and set(results["found"]) == {2}


def test_mean_baseline_is_mirrored_and_equals_single_device(results):
    y = _data()["y"].astype(np.float64)
    expected = _ema_baselines([np.mean(y[t] ** 2) for t in range(STEPS)])
    np.testing.assert_allclose(results["baseline_single"], expected, rtol=RTOL)
    for t in range(STEPS):
        # Every replica reads the same, synchronized baseline (the counter advanced once).
        np.testing.assert_allclose(results["baseline_mirrored"][t], [expected[t]] * REPLICAS,
                                   rtol=RTOL)


def test_baseline_state_made_outside_the_strategy_is_refused(results):
    assert results["reuse_error"] is not None
    assert "outside the tf.distribute strategy" in results["reuse_error"]
    assert "inside strategy.run" in results["reuse_error"]


def test_value_type_blocks_do_not_reach_replica_threads(results):
    # MirroredStrategy runs each replica function in a thread of its own, and value_type
    # stacks are per thread: a block around strategy.run is not seen inside it.
    seen = results["value_type"]
    assert seen["outer_block"] is None
    assert seen["default"] == "SampleValue"
    assert seen["inner_block"] == "MeanValue"
    x = _data()["x"][0]
    np.testing.assert_allclose(np.concatenate(seen["inner_values"]), x, rtol=RTOL)


def test_eager_strategy_run_with_traced_callable_equals_single_device(results):
    value, _, dice, _ = _expected_surrogate(0, 0.0)
    # score_function without a baseline: the legacy gradient equals the DiCE one.
    scale = np.max(np.abs(dice))
    _close(results["eager_single"], [value, dice], atol=RTOL * scale)
    _close(results["eager_mirrored"], results["eager_single"], atol=RTOL * scale)


def test_variational_elbo_in_mirrored_function_equals_single_device(results):
    data = _data()
    x, z = data["x"][0].astype(np.float64), data["z1"][0].astype(np.float64)
    s = np.exp(LOG_S)
    # KL(N(w x, s) || N(0, 1)) per example; the sampled log likelihood carries no gradient
    # (the draw is not reparameterized), so the gradients are those of -KL.
    kl = -np.log(s) + 0.5 * (s**2 + (W * x) ** 2) - 0.5
    value = np.sum(-0.5 * (z - x) ** 2 - kl)
    grads = [-np.sum(W * x**2), -BATCH * (s**2 - 1.0)]
    _close(results["vi_single"], [value, grads])
    _close(results["vi_mirrored"], results["vi_single"])


def test_replicas_draw_independent_samples(results):
    # With a global seed each replica's sampling op gets its own op seed: the two replicas'
    # 1000 standard-normal draws must look independent (|corr| < 4 / sqrt(1000) ~ 0.13) and
    # standard (mean within 4 standard errors; std within 0.1, 4.5 of its standard errors).
    assert abs(results["draw_correlation"]) < 4 / np.sqrt(1000)
    for mean, std in results["draw_moments"]:
        assert abs(mean) < 4 / np.sqrt(1000) and abs(std - 1.0) < 0.1
