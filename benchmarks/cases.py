"""Benchmark cases: each pairs a package op with the TF2/TFP code a user would write by hand."""
import dataclasses
import time
from typing import Callable, Dict, Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor

tfd = tfp.distributions


@dataclasses.dataclass
class Case:
    name: str
    make_inputs: Callable[[int, int], Sequence[tf.Tensor]]
    package: Callable
    handwritten: Callable


def _normal_samples(n: int, batch: int):
    loc = tf.linspace(-1.0, 1.0, batch)
    z = tf.random.stateless_normal([n, batch], seed=[1, 2]) + loc
    return loc, z


def _f(x):
    return tf.sin(x) + x * x


CASES: Dict[str, Case] = {}


def _add(case: Case) -> None:
    CASES[case.name] = case


def _normal_and_samples(n: int, batch: int):
    # Distributions are composite tensors, so they pass into tf.function as arguments.
    loc, z = _normal_samples(n, batch)
    return tfd.Normal(loc, 1.0), z


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


_add(Case(
    "expectation (samples, score) + grad",
    _normal_samples,
    _score_gradient(lambda loc, z: monte_carlo.expectation(
        _f, z, tfd.Normal(loc, 1.0).log_prob, use_reparametrization=False)),
    _score_gradient(lambda loc, z: tfp.monte_carlo.expectation(
        _f, z, log_prob=tfd.Normal(loc, 1.0).log_prob, use_reparameterization=False)),
))


def _handwritten_importance(loc, z):
    lw = tfd.Normal(loc, 0.5).log_prob(z) - tfd.Normal(0.0, 1.0).log_prob(z)
    fz = _f(z)
    positive = tfp.math.reduce_logmeanexp(tf.math.log1p(tf.nn.relu(fz)) + lw, axis=0)
    negative = tfp.math.reduce_logmeanexp(tf.math.log1p(tf.nn.relu(-fz)) + lw, axis=0)
    return tf.exp(positive) - tf.exp(negative)


_add(Case(
    "expectation_importance_sampler",
    _normal_samples,
    lambda loc, z: monte_carlo.expectation_importance_sampler(
        _f, tfd.Normal(loc, 0.5).log_prob, tfd.Normal(0.0, 1.0), z=z),
    _handwritten_importance,
))
_add(Case(
    "expectation_importance_sampler_logspace",
    _normal_samples,
    lambda loc, z: monte_carlo.expectation_importance_sampler_logspace(
        tf.sin, tfd.Normal(loc, 0.5).log_prob, tfd.Normal(0.0, 1.0), z=z),
    lambda loc, z: tfp.math.reduce_logmeanexp(
        tf.sin(z) + tfd.Normal(loc, 0.5).log_prob(z) - tfd.Normal(0.0, 1.0).log_prob(z), axis=0),
))

_add(Case(
    "entropy_shannon (sample form)",
    _normal_and_samples,
    lambda p, z: entropy.entropy_shannon(p, z=z, form=entropy.ELBOForms.sample),
    lambda p, z: -tf.reduce_mean(p.log_prob(z), axis=0),
))


def _target_log_prob(z):
    return tfd.Normal(0.5, 2.0).log_prob(z)


_add(Case(
    "elbo_ratio (sample form)",
    _normal_and_samples,
    lambda q, z: entropy.elbo_ratio(_target_log_prob, q, z=z, form=entropy.ELBOForms.sample),
    lambda q, z: tf.reduce_mean(_target_log_prob(z) - q.log_prob(z), axis=0),
))
_add(Case(
    "renyi_ratio",
    _normal_and_samples,
    lambda q, z: entropy.renyi_ratio(_target_log_prob, q, 0.5, z=z),
    lambda q, z: tfp.math.reduce_logmeanexp(
        0.5 * (_target_log_prob(z) - q.log_prob(z)), axis=0) / 0.5,
))


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
))


def time_dependency_walk(graph_ops: int) -> float:
    """Seconds to build surrogate_loss over a chain of diamonds of about `graph_ops` ops."""
    with tf.Graph().as_default():
        choice = stochastic_tensor.StochasticTensor(tfd.Bernoulli(logits=tf.zeros([4]), dtype=tf.float32))
        x = tf.convert_to_tensor(choice)
        for _ in range(graph_ops // 3):  # each diamond adds three ops: two branches and a join
            x = (x * 1.001) * (x + 1.0)
        start = time.perf_counter()
        stochastic_graph.surrogate_loss([x])
        return time.perf_counter() - start
