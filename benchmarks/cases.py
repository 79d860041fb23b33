"""Benchmark cases: each pairs a package op with the TF2/TFP code a user would write by hand."""
import dataclasses
from typing import Callable, Dict, Optional, Sequence

import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import monte_carlo

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

# Set by the stochastic-graph cases once they exist: size -> seconds to build surrogate_loss.
time_dependency_walk: Optional[Callable[[int], float]] = None
