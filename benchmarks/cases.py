"""Benchmark cases: each pairs a package op with the TF2/TFP code a user would write by hand.

Fairness rules every case follows: both sides get the same inputs, build their distributions in
the same place (both inside the timed function, or both receive them as arguments), compute the
same quantity with the same samples, and return the same structure. `run.py` checks the last two
before timing (`Case.stochastic` cases draw inside the function, so their values are compared in
eager mode only, where resetting the global seed makes both sides draw the same numbers).
"""
import dataclasses
import time
from typing import Callable, Dict, Optional, Sequence, Tuple

import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor
from tf_contrib_bayesflow import variational_inference

tfd = tfp.distributions


@dataclasses.dataclass
class Case:
    name: str
    make_inputs: Callable[[int, int], Sequence]
    package: Callable
    handwritten: Callable
    # Draws samples inside the function (values comparable only with a reset seed, in eager).
    stochastic: bool = False
    # Tolerance of the equality self-check: legacy formulas may round differently from TFP's.
    rtol: float = 1e-6
    # Not a package op: both sides are the same hand-written code, to show the noise floor.
    control: bool = False
    # The legacy formula written by hand, where it computes differently from `handwritten` (order
    # of summation, form of the surrogate). A cell that misses a target is measured against it
    # too: that separates what the legacy formula costs (kept for fidelity) from package overhead.
    legacy_formula: Optional[Callable] = None


CASES: Dict[str, Case] = {}


def _add(case: Case) -> None:
    CASES[case.name] = case


def _normal_samples(n: int, batch: int):
    loc = tf.linspace(-1.0, 1.0, batch)
    z = tf.random.stateless_normal([n, batch], seed=[1, 2]) + loc
    return loc, z


def _normal_and_samples(n: int, batch: int):
    # Distributions are composite tensors, so they pass into tf.function as arguments.
    loc, z = _normal_samples(n, batch)
    return tfd.Normal(loc, 1.0), z


def _f(x):
    return tf.sin(x) + x * x


def _target_log_prob(z):
    return tfd.Normal(0.5, 2.0).log_prob(z)


# ---------------------------------------------------------------------------- monte_carlo

_add(Case(
    "expectation (p, z)",
    _normal_and_samples,
    lambda p, z: monte_carlo.expectation(_f, p, z=z),
    lambda p, z: tfp.monte_carlo.expectation(_f, z),
))


def _score_gradient(expectation_fn):
    def run(loc, z):
        with tf.GradientTape() as tape:
            tape.watch(loc)
            value = expectation_fn(loc, z)
        return value, tape.gradient(value, loc)

    return run


def _legacy_score_surrogate(loc, z):
    x = tf.stop_gradient(z)
    fx, log_px = _f(x), tfd.Normal(loc, 1.0).log_prob(x)
    return tf.reduce_mean(fx + tf.stop_gradient(fx) * (log_px - tf.stop_gradient(log_px)), axis=0)


# The legacy surrogate is f + stop(f) (lp - stop(lp)), TFP's is DiCE's f exp(lp - stop(lp)):
# same value and first derivative, rounded differently.
_add(Case(
    "expectation (samples, score) + grad",
    _normal_samples,
    _score_gradient(lambda loc, z: monte_carlo.expectation(
        _f, z, tfd.Normal(loc, 1.0).log_prob, use_reparametrization=False)),
    _score_gradient(lambda loc, z: tfp.monte_carlo.expectation(
        _f, z, log_prob=tfd.Normal(loc, 1.0).log_prob, use_reparameterization=False)),
    rtol=1e-5,
    legacy_formula=_score_gradient(_legacy_score_surrogate),
))


def _handwritten_importance(loc, z):
    # What the spec's migration table tells a TFP user to write.
    lw = tfd.Normal(loc, 0.5).log_prob(z) - tfd.Normal(0.0, 1.0).log_prob(z)
    fz = _f(z)
    positive = tfp.math.reduce_logmeanexp(tf.math.log1p(tf.nn.relu(fz)) + lw, axis=0)
    negative = tfp.math.reduce_logmeanexp(tf.math.log1p(tf.nn.relu(-fz)) + lw, axis=0)
    return tf.exp(positive) - tf.exp(negative)


def _legacy_importance(loc, z):
    # Legacy: log(x + 1), and each half summed as (log f + log p) - log q.
    log_p, log_q, fz = tfd.Normal(loc, 0.5).log_prob(z), tfd.Normal(0.0, 1.0).log_prob(z), _f(z)
    positive = tfp.math.reduce_logmeanexp(tf.math.log(tf.nn.relu(fz) + 1.0) + log_p - log_q, 0)
    negative = tfp.math.reduce_logmeanexp(tf.math.log(tf.nn.relu(-fz) + 1.0) + log_p - log_q, 0)
    return tf.exp(positive) - tf.exp(negative)


_add(Case(
    "expectation_importance_sampler",
    _normal_samples,
    lambda loc, z: monte_carlo.expectation_importance_sampler(
        _f, tfd.Normal(loc, 0.5).log_prob, tfd.Normal(0.0, 1.0), z=z),
    _handwritten_importance,
    rtol=1e-4,  # legacy log(x + 1) versus log1p
    legacy_formula=_legacy_importance,
))
_add(Case(
    "expectation_importance_sampler_logspace",
    _normal_samples,
    lambda loc, z: monte_carlo.expectation_importance_sampler_logspace(
        tf.sin, tfd.Normal(loc, 0.5).log_prob, tfd.Normal(0.0, 1.0), z=z),
    lambda loc, z: tfp.math.reduce_logmeanexp(
        tf.sin(z) + tfd.Normal(loc, 0.5).log_prob(z) - tfd.Normal(0.0, 1.0).log_prob(z), axis=0),
    rtol=1e-5,
))

# ---------------------------------------------------------------------------- entropy

_add(Case(
    "entropy_shannon (sample form)",
    _normal_and_samples,
    lambda p, z: entropy.entropy_shannon(p, z=z, form=entropy.ELBOForms.sample),
    lambda p, z: -tf.reduce_mean(p.log_prob(z), axis=0),
))
_add(Case(
    "elbo_ratio (sample form)",
    _normal_and_samples,
    lambda q, z: entropy.elbo_ratio(_target_log_prob, q, z=z, form=entropy.ELBOForms.sample),
    lambda q, z: tf.reduce_mean(_target_log_prob(z) - q.log_prob(z), axis=0),
    rtol=1e-5,  # legacy adds two means, -mean(log q) + mean(log p): rounded differently
    legacy_formula=lambda q, z: (
        -tf.reduce_mean(q.log_prob(z), axis=0) + tf.reduce_mean(_target_log_prob(z), axis=0)),
))
_add(Case(
    "renyi_ratio",
    _normal_and_samples,
    lambda q, z: entropy.renyi_ratio(_target_log_prob, q, 0.5, z=z),
    lambda q, z: tfp.math.reduce_logmeanexp(
        0.5 * (_target_log_prob(z) - q.log_prob(z)), axis=0) / 0.5,
    rtol=1e-5,
))

# ---------------------------------------------------------------------------- stochastic_graph


def _logits_and_targets(n: int, batch: int):
    return tf.linspace(-1.0, 1.0, batch), tf.constant(n), tf.linspace(0.0, 1.0, batch)


def _reinforce_package(logits, n, target):
    with tf.GradientTape() as tape:
        tape.watch(logits)
        choice = stochastic_tensor.StochasticTensor(
            tfd.Bernoulli(logits=logits, dtype=tf.float32),
            dist_value_type=stochastic_tensor.SampleValue(n),
        )
        loss = tf.square(tf.convert_to_tensor(choice) - target)
        # Eager tensors have no graph to walk: name the stochastic tensor there.
        explicit = [choice] if tf.executing_eagerly() else None
        objective = tf.reduce_mean(stochastic_graph.surrogate_loss([loss], explicit))
    return objective, tape.gradient(objective, logits)


def _reinforce_handwritten(logits, n, target):
    with tf.GradientTape() as tape:
        tape.watch(logits)
        policy = tfd.Bernoulli(logits=logits, dtype=tf.float32)
        choice = tf.stop_gradient(policy.sample(n))
        loss = tf.square(choice - target)
        objective = tf.reduce_mean(loss + policy.log_prob(choice) * tf.stop_gradient(loss))
    return objective, tape.gradient(objective, logits)


_add(Case(
    "surrogate_loss + grad (REINFORCE)",
    _logits_and_targets,
    _reinforce_package,
    _reinforce_handwritten,
    stochastic=True,
))

# ---------------------------------------------------------------------------- variational_inference


def _loc_and_count(n: int, batch: int):
    return tf.linspace(-1.0, 1.0, batch), tf.constant(n)


def _elbo_package(loc, n):
    q = tfd.Normal(loc, 1.0)
    prior = tfd.Normal(0.0, 1.0)
    z = stochastic_tensor.StochasticTensor(q, dist_value_type=stochastic_tensor.SampleValue(n))
    log_likelihood = _target_log_prob(tf.convert_to_tensor(z))
    if tf.executing_eagerly():
        # Eager tensors have no graph to walk: pass the variational tensor and its prior.
        return variational_inference.elbo(log_likelihood, {z: prior})
    # Graph regimes: the legacy idiom, prior registered and found by walking the graph.
    variational_inference.register_prior(z, prior)
    return variational_inference.elbo(log_likelihood)


def _elbo_handwritten(loc, n):
    q = tfd.Normal(loc, 1.0)
    prior = tfd.Normal(0.0, 1.0)
    z = q.sample(n)
    return _target_log_prob(z) - tfd.kl_divergence(q, prior)


_add(Case(
    "elbo (analytic KL)",
    _loc_and_count,
    _elbo_package,
    _elbo_handwritten,
    stochastic=True,
))


# ---------------------------------------------------------------------------- noise floor


def _entropy_handwritten(p, z):
    return -tf.reduce_mean(p.log_prob(z), axis=0)


# The same code on both sides (two tf.function objects, so two identical traces): its ratios
# show how far from 1 timing noise alone moves a median on this machine.
_add(Case(
    "control: hand-written vs itself",
    _normal_and_samples,
    _entropy_handwritten,
    lambda p, z: _entropy_handwritten(p, z),
    control=True,
))


# ---------------------------------------------------------------------------- dependency walk


def _diamond_chain(x: tf.Tensor, graph_ops: int) -> tf.Tensor:
    """`x` followed by about `graph_ops` ops: a chain of diamonds, three ops each.

    Each diamond forks into two branches that join again, so a walk without a visited set would
    take 2**(diamonds) paths; the constants are shared so that every diamond is exactly 3 ops.
    """
    scale, shift = tf.constant(1.001), tf.constant(1.0)
    for _ in range(max(1, graph_ops // 3)):
        x = (x * scale) * (x + shift)
    return x


def _build_surrogate_graph(graph_ops: int) -> Callable:
    choice = stochastic_tensor.StochasticTensor(
        tfd.Bernoulli(logits=tf.zeros([4]), dtype=tf.float32)
    )
    loss = _diamond_chain(tf.convert_to_tensor(choice), graph_ops)
    return lambda: stochastic_graph.surrogate_loss([loss])


def _build_elbo_graph(graph_ops: int) -> Callable:
    q = tfd.Normal(tf.zeros([4]), 1.0)
    z = stochastic_tensor.StochasticTensor(q)
    variational_inference.register_prior(z, tfd.Normal(0.0, 1.0))
    log_likelihood = _diamond_chain(tf.convert_to_tensor(z), graph_ops)
    return lambda: variational_inference.elbo(log_likelihood)


WALKS = {"surrogate_loss": _build_surrogate_graph, "elbo": _build_elbo_graph}


def time_dependency_walk(kind: str, graph_ops: int, warm_reps: int = 3) -> Tuple[int, float, float]:
    """Builds a v1 graph of about `graph_ops` ops and times the op that walks it.

    Returns:
      (ops in the graph before the call, seconds of the first call, median seconds of
      `warm_reps` further calls). The first call is what a legacy program pays: it also reads
      each op's inputs for the first time, which TensorFlow then caches.
    """
    with tf.Graph().as_default() as graph:
        call = WALKS[kind](graph_ops)
        ops = len(graph.get_operations())
        start = time.perf_counter()
        call()
        cold = time.perf_counter() - start
        warm = []
        for _ in range(warm_reps):
            start = time.perf_counter()
            call()
            warm.append(time.perf_counter() - start)
    return ops, cold, sorted(warm)[len(warm) // 2]
