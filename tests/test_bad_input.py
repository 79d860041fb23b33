"""Bad input, systematically: every public callable, fed wrong input, fails early and clearly.

`CASES` is a table of `Case(target, what, build, error, match, names, ...)`. `build()` creates the
arguments (inside the graph under test, before its ops are counted) and returns the failing
zero-argument call. Every case runs eagerly and in a `tf.compat.v1` graph; the call must raise
`error` (the legacy exception type where legacy defined one), with a message that matches `match`
and contains `names`, the name of the bad argument (for a legacy message that names no argument,
the words by which it identifies the bad value).

"Raised before any op is built": in graph mode the failing call must add no operation to the
graph, unless the case gives `builds_ops`, the reason it cannot (the checked property exists only
once user code or a sampler has been built). `at_run` cases are value checks that legacy made op
errors (`InvalidArgumentError`): eagerly they raise at once, in a graph when the result runs.

`test_every_public_callable_has_a_case` reads each module's `__all__` (plus the legacy private
helpers legacy code calls, and the legacy classes and functions of `distributions`), so a public
callable without a case fails the suite.
"""
import dataclasses
import functools
import re
from typing import Any, Callable, Optional, Tuple

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import distributions as legacy_distributions
from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow import monte_carlo as mc
from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
from tf_contrib_bayesflow import stochastic_graph as sg
from tf_contrib_bayesflow import stochastic_tensor as st
from tf_contrib_bayesflow import stochastic_variables as sv
from tf_contrib_bayesflow import variational_inference as vi

tfd = tfp.distributions

MODULES = {
    "distributions": legacy_distributions,
    "entropy": entropy,
    "monte_carlo": mc,
    "stochastic_gradient_estimators": sge,
    "stochastic_graph": sg,
    "stochastic_tensor": st,
    "stochastic_variables": sv,
    "variational_inference": vi,
}
MODES = ("eager", "graph")
EAGER = ("eager",)
GRAPH = ("graph",)

# The failing call with its arguments bound (they are built when `build()` runs).
call = functools.partial
IS = mc.expectation_importance_sampler
ISL = mc.expectation_importance_sampler_logspace


@dataclasses.dataclass(frozen=True)
class Case:
    target: str  # "<module>.<public name>" under test
    what: str  # the bad input
    build: Callable[[], Callable[[], Any]]
    error: type
    match: str  # regex the message must match
    names: Optional[str]  # substring of the message naming the bad argument
    modes: Tuple[str, ...] = MODES
    builds_ops: Optional[str] = None  # why ops exist before the error can be raised
    at_run: bool = False

    @property
    def module(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        return f"{self.target}: {self.what}"


# ------------------------------------------------------------------------------ argument makers


class _NotReparameterized(tfd.Normal):
    @property
    def reparameterization_type(self):
        return tfd.NOT_REPARAMETERIZED


def normal(dtype=tf.float32):
    """N([0, 1], 1): batch shape [2]."""
    return tfd.Normal(tf.constant([0.0, 1.0], dtype), tf.constant(1.0, dtype))


def prior(dtype=tf.float32):
    return tfd.Normal(tf.constant(0.0, dtype), tf.constant(1.0, dtype))


def scored(**kwargs):
    """A stochastic tensor (value shape [2]) that is charged a score-function term."""
    return st.StochasticTensor(_NotReparameterized([0.0, 1.0], 1.0), **kwargs)


def zeros(*shape):
    return tf.zeros(shape)


def zeros64(*shape):
    return tf.zeros(shape, tf.float64)


def with_scored(make_call):
    """`make_call(q)` for a fresh scored stochastic tensor `q` (for calls that use it twice)."""
    return make_call(scored())


def identity(x):
    return x


def to_float64(x):
    return tf.cast(x, tf.float64)


def loss_of(stochastic):
    """A per-sample loss of shape [2] downstream of `stochastic`."""
    return tf.square(tf.convert_to_tensor(stochastic))


def returns(value):
    """A `(stochastic_tensor, loss) -> value` function (an advantage or baseline function)."""
    return lambda stochastic_tensor, loss: value


def score_call(fn, *args, **kwargs):
    """`fn(stochastic tensor, its value, *args)` as the failing call, with a fresh tensor."""
    stochastic = scored()
    return call(fn, stochastic, stochastic.value(), *args, **kwargs)


def getter_call(**kwargs):
    return call(sv.get_stochastic_variable, tf.compat.v1.get_variable, "w", **kwargs)


# Reasons why a check cannot come before any op.
USER_CODE = "the value is computed by user code (f, log_p, ...), built before it can be read"
LOG_PROB = "the dtype or shape of log_prob(value) is known only once it is built"
VARIABLES = "the parameter variables are created before the distribution is constructed"


# ------------------------------------------------------------------------------------- monte_carlo

MONTE_CARLO = [
    # expectation, TF 1.0-1.3 form.
    Case(
        "monte_carlo.expectation", "f not callable",
        lambda: call(mc.expectation, 3, normal(), n=2),
        TypeError, r"`f` must be a callable function", "`f`",
    ),
    Case(
        "monte_carlo.expectation", "p= not a distribution",
        lambda: call(mc.expectation, identity, p=[0.0, 1.0], n=2),
        TypeError, r"p must be an instance of Distribution", "p must",
    ),
    Case(
        "monte_carlo.expectation", "neither n nor z",
        lambda: call(mc.expectation, identity, normal()),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "monte_carlo.expectation", "both n and z",
        lambda: call(mc.expectation, identity, normal(), z=zeros(3, 2), n=3),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "monte_carlo.expectation", "n = 0",
        lambda: call(mc.expectation, identity, normal(), n=0),
        ValueError, r"n must be positive, got 0", "n must",
    ),
    Case(
        "monte_carlo.expectation", "n negative",
        lambda: call(mc.expectation, identity, normal(), n=-2),
        ValueError, r"n must be positive", "n must",
    ),
    Case(
        "monte_carlo.expectation", "n a negative constant tensor",
        lambda: call(mc.expectation, identity, normal(), n=tf.constant(-3)),
        ValueError, r"n must be positive, got -3", "n must",
    ),
    Case(
        "monte_carlo.expectation", "n a Python float",
        lambda: call(mc.expectation, identity, normal(), n=2.5),
        TypeError, r"n must be an integer", "n must",
    ),
    Case(
        "monte_carlo.expectation", "n a bool",
        lambda: call(mc.expectation, identity, normal(), n=True),
        TypeError, r"n must be an integer", "n must",
    ),
    Case(
        "monte_carlo.expectation", "n a float tensor",
        lambda: call(mc.expectation, identity, normal(), n=tf.constant(2.0)),
        TypeError, r"n must be an integer Tensor, got dtype float32", "n must",
    ),
    Case(
        "monte_carlo.expectation", "n a list",
        lambda: call(mc.expectation, identity, normal(), n=[3]),
        TypeError, r"n must be an integer", "n must",
    ),
    Case(
        "monte_carlo.expectation", "z with 0 samples (NaN mean)",
        lambda: call(mc.expectation, identity, normal(), z=zeros(0, 2)),
        ValueError, r"z holds 0 samples along axis 0", "z holds",
    ),
    Case(
        "monte_carlo.expectation", "z an empty Python list",
        lambda: call(mc.expectation, identity, normal(), z=[]),
        ValueError, r"z holds 0 samples", "z holds",
    ),
    Case(
        "monte_carlo.expectation", "z a Python scalar",
        lambda: call(mc.expectation, identity, normal(), z=1.0),
        ValueError, r"z must have a sample axis 0", "z must",
    ),
    Case(
        "monte_carlo.expectation", "f(z) a scalar",
        lambda: call(mc.expectation, tf.reduce_sum, normal(), z=zeros(3, 2)),
        ValueError, r"f\(z\) must have a sample axis 0", "f(z)",
        builds_ops=USER_CODE,
    ),
    Case(
        "monte_carlo.expectation", "a distribution with sample-form keywords",
        lambda: call(mc.expectation, identity, normal(), axis=0),
        TypeError, r"together with \['axis'\]", "axis",
    ),
    Case(
        "monte_carlo.expectation", "keywords of both forms",
        lambda: call(mc.expectation, identity, samples=zeros(2), n=2),
        TypeError, r"mixes its two legacy call forms", "['n']",
    ),
    Case(
        "monte_carlo.expectation", "n= with samples",
        lambda: call(mc.expectation, identity, zeros(2), n=2),
        TypeError, r"second argument is not a distribution", "['n']",
    ),
    Case(
        "monte_carlo.expectation", "unknown keyword",
        lambda: call(mc.expectation, identity, normal(), n=2, bogus=1),
        TypeError, r"unexpected arguments \['bogus'\]", "bogus",
    ),
    Case(
        "monte_carlo.expectation", "too many positional arguments",
        lambda: call(mc.expectation, identity, normal(), None, 2, None, "e", "extra"),
        TypeError, r"takes at most 6 arguments, got 7", "expectation(f, p, z, n, seed, name)",
    ),
    Case(
        "monte_carlo.expectation", "neither p nor samples",
        lambda: call(mc.expectation, identity),
        TypeError, r"needs either a distribution `p`", "`samples`",
    ),
    # expectation, TF 1.4+ sample form.
    Case(
        "monte_carlo.expectation", "f not callable (sample form)",
        lambda: call(mc.expectation, "f", zeros(3)),
        ValueError, r"^`f` must be a callable function", "`f`",
    ),
    Case(
        "monte_carlo.expectation", "log_prob not callable",
        lambda: call(
            mc.expectation, identity, zeros(3), log_prob=None, use_reparametrization=False
        ),
        ValueError, r"^`log_prob` must be a callable function", "`log_prob`",
    ),
    Case(
        "monte_carlo.expectation", "axis out of range",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis=2),
        ValueError, r"axis 2 is out of range for f\(samples\) of rank 2", "axis",
    ),
    Case(
        "monte_carlo.expectation", "negative axis out of range",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis=-3),
        ValueError, r"axis -3 is out of range", "axis",
    ),
    Case(
        "monte_carlo.expectation", "axis 0 of scalar samples",
        lambda: call(mc.expectation, identity, tf.constant(1.0)),
        ValueError, r"axis 0 is out of range for f\(samples\) of rank 0", "axis",
    ),
    Case(
        "monte_carlo.expectation", "axis a string",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis="0"),
        TypeError, r"axis must be None, an int, a list of ints", "axis",
    ),
    Case(
        "monte_carlo.expectation", "axis a float",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis=0.0),
        TypeError, r"axis must be None, an int", "axis",
    ),
    Case(
        "monte_carlo.expectation", "axis a bool",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis=True),
        TypeError, r"axis must be None, an int", "axis",
    ),
    Case(
        "monte_carlo.expectation", "axis a list holding a float",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis=[0, 1.0]),
        TypeError, r"axis must be None, an int, a list of ints", "axis",
    ),
    Case(
        "monte_carlo.expectation", "axis a float tensor",
        lambda: call(mc.expectation, identity, zeros(3, 2), axis=tf.constant(0.0)),
        TypeError, r"axis must be .* an integer Tensor", "axis",
    ),
    Case(
        "monte_carlo.expectation", "samples with 0 samples (NaN mean)",
        lambda: call(mc.expectation, identity, zeros(0, 2)),
        ValueError, r"f\(samples\) \(shape \(0, 2\)\) holds no samples along axis 0", "samples",
    ),
    Case(
        "monte_carlo.expectation", "an empty axis among several",
        lambda: call(mc.expectation, identity, zeros(3, 0), axis=[0, 1]),
        ValueError, r"holds no samples along axis \[0, 1\]", "samples",
    ),
    Case(
        "monte_carlo.expectation", "log_prob of another dtype than f",
        lambda: call(
            mc.expectation, identity, zeros(3), log_prob=lambda x: zeros64(3),
            use_reparametrization=False,
        ),
        TypeError,
        r"log_prob\(samples\) must have the dtype of f\(samples\), float32, got float64",
        "log_prob",
        builds_ops=USER_CODE,
    ),
    # expectation_v2 (TF 1.3): TFP's function with the same argument checks.
    Case(
        "monte_carlo.expectation_v2", "f not callable",
        lambda: call(mc.expectation_v2, 3, zeros(3)),
        ValueError, r"^`f` must be a callable function\.$", "`f`",
    ),
    Case(
        "monte_carlo.expectation_v2", "log_prob not callable",
        lambda: call(mc.expectation_v2, identity, zeros(3), use_reparametrization=False),
        ValueError, r"^`log_prob` must be a callable function\.$", "`log_prob`",
    ),
    Case(
        "monte_carlo.expectation_v2", "axis out of range",
        lambda: call(mc.expectation_v2, identity, zeros(3, 2), axis=5),
        ValueError, r"axis 5 is out of range", "axis",
    ),
    Case(
        "monte_carlo.expectation_v2", "axis a string",
        lambda: call(mc.expectation_v2, identity, zeros(3, 2), axis="a"),
        TypeError, r"axis must be None, an int", "axis",
    ),
    Case(
        "monte_carlo.expectation_v2", "samples with 0 samples (NaN mean)",
        lambda: call(mc.expectation_v2, identity, zeros(0, 2)),
        ValueError, r"holds no samples along axis 0", "samples",
    ),
    # Importance samplers.
    Case(
        "monte_carlo.expectation_importance_sampler", "f not callable",
        lambda: call(IS, None, prior().log_prob, normal(), n=2),
        TypeError, r"`f` must be a callable function", "`f`",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "log_p not callable",
        lambda: call(IS, identity, prior(), normal(), n=2),
        TypeError, r"`log_p` must be a callable function", "`log_p`",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "sampling_dist_q not a distribution",
        lambda: call(IS, identity, prior().log_prob, zeros(3, 2), n=2),
        TypeError, r"sampling_dist_q must be an instance of Distribution", "sampling_dist_q",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "neither n nor z",
        lambda: call(IS, identity, prior().log_prob, normal()),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "n = 0",
        lambda: call(IS, identity, prior().log_prob, normal(), n=0),
        ValueError, r"n must be positive", "n must",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "float64 z into a float32 q",
        lambda: call(IS, identity, prior().log_prob, normal(), z=zeros64(3, 2)),
        TypeError, r"z must have the dtype of sampling_dist_q, float32, got float64", "z must",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "z with 0 samples (NaN)",
        lambda: call(IS, identity, prior().log_prob, normal(), z=zeros(0, 2)),
        ValueError, r"z holds 0 samples", "z holds",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "log_p(z) of another dtype",
        lambda: call(IS, identity, to_float64, normal(), z=zeros(3, 2)),
        TypeError, r"log_p\(z\) must have the dtype of sampling_dist_q.log_prob\(z\)", "log_p(z)",
        builds_ops=USER_CODE,
    ),
    Case(
        "monte_carlo.expectation_importance_sampler", "f(z) of another dtype",
        lambda: call(IS, lambda z: tf.cast(z, tf.int32), prior().log_prob, normal(), z=zeros(3, 2)),
        TypeError, r"f\(z\) must have the dtype of .*, float32, got int32", "f(z)",
        builds_ops=USER_CODE,
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "log_f not callable",
        lambda: call(ISL, 0.0, prior().log_prob, normal(), n=2),
        TypeError, r"`log_f` must be a callable function", "`log_f`",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "sampling_dist_q a class",
        lambda: call(ISL, identity, prior().log_prob, tfd.Normal, n=2),
        TypeError, r"sampling_dist_q must be an instance of Distribution", "sampling_dist_q",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "both n and z",
        lambda: call(ISL, identity, prior().log_prob, normal(), z=zeros(3, 2), n=3),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "float64 z into a float32 q",
        lambda: call(ISL, identity, prior().log_prob, normal(), z=zeros64(3, 2)),
        TypeError, r"z must have the dtype of sampling_dist_q", "z must",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "z a scalar",
        lambda: call(ISL, identity, prior().log_prob, normal(), z=tf.constant(0.5)),
        ValueError, r"z must have a sample axis 0", "z must",
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "log_f(z) of another dtype",
        lambda: call(ISL, to_float64, prior().log_prob, normal(), z=zeros(3, 2)),
        TypeError,
        r"log_f\(z\) must have the dtype of .*, float32, got float64",
        "log_f(z)",
        builds_ops=USER_CODE,
    ),
    Case(
        "monte_carlo.expectation_importance_sampler_logspace", "n negative",
        lambda: call(ISL, identity, prior().log_prob, normal(), n=-1),
        ValueError, r"n must be positive", "n must",
    ),
    # Legacy private helpers that legacy tests and code call.
    Case(
        "monte_carlo._get_samples", "both n and z",
        lambda: call(mc._get_samples, normal(), zeros(3, 2), 3, None),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "monte_carlo._get_samples", "neither n nor z",
        lambda: call(mc._get_samples, normal(), None, None, None),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "monte_carlo._get_samples", "n with a non-distribution",
        lambda: call(mc._get_samples, "normal", None, 3, None),
        TypeError, r"dist must be an instance of Distribution", "dist must",
    ),
    Case(
        "monte_carlo._get_samples", "n = 0",
        lambda: call(mc._get_samples, normal(), None, 0, None),
        ValueError, r"n must be positive", "n must",
    ),
    Case(
        "monte_carlo._get_samples", "n a string",
        lambda: call(mc._get_samples, normal(), None, "3", None),
        TypeError, r"n must be an integer", "n must",
    ),
    Case(
        "monte_carlo._get_samples", "z with 0 samples",
        lambda: call(mc._get_samples, normal(), np.zeros([0, 2]), None, None),
        ValueError, r"z holds 0 samples", "z holds",
    ),
    Case(
        "monte_carlo._logspace_mean", "a scalar",
        lambda: call(mc._logspace_mean, tf.constant(1.0)),
        ValueError, r"log_values must have a sample axis 0", "log_values",
    ),
    Case(
        "monte_carlo._logspace_mean", "a Python scalar",
        lambda: call(mc._logspace_mean, 1.0),
        ValueError, r"log_values must have a sample axis 0", "log_values",
    ),
    Case(
        "monte_carlo._logspace_mean", "0 samples (NaN)",
        lambda: call(mc._logspace_mean, zeros(0, 2)),
        ValueError, r"log_values holds 0 samples", "log_values",
    ),
    Case(
        "monte_carlo._logspace_mean", "integer values",
        lambda: call(mc._logspace_mean, tf.constant([1, 2])),
        TypeError, r"log_values must have a floating-point dtype", "log_values",
    ),
    Case(
        "monte_carlo._logspace_mean", "a list of strings",
        lambda: call(mc._logspace_mean, ["a", "b"]),
        TypeError, r"log_values must have a floating-point dtype", "log_values",
    ),
    Case(
        "monte_carlo._sample_mean", "a scalar",
        lambda: call(mc._sample_mean, tf.constant(1.0)),
        ValueError, r"values must have a sample axis 0", "values",
    ),
    Case(
        "monte_carlo._sample_mean", "0 samples (NaN)",
        lambda: call(mc._sample_mean, []),
        ValueError, r"values holds 0 samples", "values",
    ),
    Case(
        "monte_carlo._sample_max", "a scalar",
        lambda: call(mc._sample_max, 2.0),
        ValueError, r"values must have a sample axis 0", "values",
    ),
    Case(
        "monte_carlo._sample_max", "0 samples (-inf)",
        lambda: call(mc._sample_max, zeros(0, 3)),
        ValueError, r"values holds 0 samples", "values",
    ),
]

# ----------------------------------------------------------------------------------------- entropy

SAMPLE = entropy.ELBOForms.sample
RENYI_ALPHA_ARGS = {"step": 1.0, "decay_time": 3.0, "alpha_min": 0.1, "alpha_max": 0.9}

ENTROPY = [
    Case(
        "entropy.entropy_shannon", "p not a distribution",
        lambda: call(entropy.entropy_shannon, zeros(2)),
        TypeError, r"p must be an instance of Distribution", "p must",
    ),
    Case(
        "entropy.entropy_shannon", "form a string",
        lambda: call(entropy.entropy_shannon, normal(), form="sample"),
        ValueError, r"^ELBOForm not handled by this function: 'sample' \(form must be", "form",
    ),
    Case(
        "entropy.entropy_shannon", "form analytic_kl",
        lambda: call(entropy.entropy_shannon, normal(), form=entropy.ELBOForms.analytic_kl),
        ValueError, r"^ELBOForm not handled by this function: ELBOForms.analytic_kl", "form",
    ),
    Case(
        "entropy.ELBOForms", "the class itself as form",
        lambda: call(entropy.entropy_shannon, normal(), form=entropy.ELBOForms),
        ValueError, r"^ELBOForm not handled by this function", "form",
    ),
    Case(
        "entropy.entropy_shannon", "n with analytic_entropy",
        lambda: call(
            entropy.entropy_shannon, normal(), n=3, form=entropy.ELBOForms.analytic_entropy
        ),
        ValueError, r"^If form == ELBOForms.analytic_entropy, n must be None\.$", "n must",
    ),
    Case(
        "entropy.entropy_shannon", "sample form without n or z",
        lambda: call(entropy.entropy_shannon, normal(), form=SAMPLE),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "entropy.entropy_shannon", "sample form, n = 0",
        lambda: call(entropy.entropy_shannon, normal(), n=0, form=SAMPLE),
        ValueError, r"n must be positive", "n must",
    ),
    Case(
        "entropy.entropy_shannon", "sample form, float64 z into a float32 p",
        lambda: call(entropy.entropy_shannon, normal(), z=zeros64(3, 2), form=SAMPLE),
        TypeError, r"z must have the dtype of p, float32, got float64", "z must",
    ),
    Case(
        "entropy.entropy_shannon", "sample form, z with 0 samples (NaN)",
        lambda: call(entropy.entropy_shannon, normal(), z=zeros(0, 2), form=SAMPLE),
        ValueError, r"z holds 0 samples", "z holds",
    ),
    Case(
        "entropy.entropy_shannon", "sample form, log_prob(z) without a sample axis",
        lambda: call(
            entropy.entropy_shannon, tfd.MultivariateNormalDiag(zeros(3), tf.ones([3])),
            z=zeros(3), form=SAMPLE,
        ),
        ValueError, r"p.log_prob\(z\) must have a sample axis 0", "p.log_prob(z)",
        builds_ops=LOG_PROB,
    ),
    Case(
        "entropy.elbo_ratio", "log_p not callable",
        lambda: call(entropy.elbo_ratio, prior(), normal(), n=2),
        TypeError, r"`log_p` must be a callable function", "`log_p`",
    ),
    Case(
        "entropy.elbo_ratio", "q not a distribution",
        lambda: call(entropy.elbo_ratio, prior().log_prob, [0.0], n=2),
        TypeError, r"q must be an instance of Distribution", "q must",
    ),
    Case(
        "entropy.elbo_ratio", "neither n nor z",
        lambda: call(entropy.elbo_ratio, prior().log_prob, normal()),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "entropy.elbo_ratio", "n negative",
        lambda: call(entropy.elbo_ratio, prior().log_prob, normal(), n=-5),
        ValueError, r"n must be positive", "n must",
    ),
    Case(
        "entropy.elbo_ratio", "float64 z into a float32 q",
        lambda: call(entropy.elbo_ratio, prior().log_prob, normal(), z=zeros64(3, 2)),
        TypeError, r"z must have the dtype of q, float32, got float64", "z must",
    ),
    Case(
        "entropy.elbo_ratio", "z with 0 samples (NaN)",
        lambda: call(entropy.elbo_ratio, prior().log_prob, normal(), z=zeros(0, 2)),
        ValueError, r"z holds 0 samples", "z holds",
    ),
    Case(
        "entropy.elbo_ratio", "form analytic_kl",
        lambda: call(
            entropy.elbo_ratio, prior().log_prob, normal(), n=2, form=entropy.ELBOForms.analytic_kl
        ),
        ValueError, r"^ELBOForm not handled by this function", "form",
    ),
    Case(
        "entropy.elbo_ratio", "form None-like string",
        lambda: call(entropy.elbo_ratio, prior().log_prob, normal(), n=2, form="default"),
        ValueError, r"^ELBOForm not handled by this function", "form",
    ),
    Case(
        "entropy.elbo_ratio", "log_p(z) of another dtype",
        lambda: call(entropy.elbo_ratio, to_float64, normal(), z=zeros(3, 2)),
        TypeError,
        r"log_p\(z\) must have the dtype of the entropy of q, float32, got float64",
        "log_p(z)",
        builds_ops=USER_CODE,
    ),
    Case(
        "entropy.renyi_ratio", "log_p not callable",
        lambda: call(entropy.renyi_ratio, "log_p", normal(), 0.5, n=2),
        TypeError, r"`log_p` must be a callable function", "`log_p`",
    ),
    Case(
        "entropy.renyi_ratio", "q not a distribution",
        lambda: call(entropy.renyi_ratio, prior().log_prob, None, 0.5, n=2),
        TypeError, r"q must be an instance of Distribution", "q must",
    ),
    Case(
        "entropy.renyi_ratio", "alpha = 1 (division by 0: NaN)",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), 1, n=2),
        ValueError, r"alpha must not be 1", "alpha",
    ),
    Case(
        "entropy.renyi_ratio", "a NumPy alpha holding 1",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), np.array([0.5, 1.0]), n=2),
        ValueError, r"alpha must not be 1", "alpha",
    ),
    Case(
        "entropy.renyi_ratio", "alpha None",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), None, n=2),
        TypeError, r"alpha must be a real number, array or Tensor, got NoneType", "alpha",
    ),
    Case(
        "entropy.renyi_ratio", "alpha a string",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), "0.5", n=2),
        TypeError, r"alpha must be a real number, array or Tensor, got str", "alpha",
    ),
    Case(
        "entropy.renyi_ratio", "alpha a string tensor",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), tf.constant("0.5"), n=2),
        TypeError, r"alpha must be a real number, array or Tensor", "alpha",
    ),
    Case(
        "entropy.renyi_ratio", "alpha a tensor of another dtype",
        lambda: call(
            entropy.renyi_ratio, prior().log_prob, normal(), tf.constant(0.5, tf.float64),
            z=zeros(3, 2),
        ),
        TypeError,
        r"alpha must have the dtype of log_p\(z\) - q.log_prob\(z\), float32, got float64",
        "alpha",
        builds_ops="the log ratios' dtype is known once log_p(z) is built",
    ),
    Case(
        "entropy.renyi_ratio", "neither n nor z",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), 0.5),
        ValueError, r"exactly one", '"n" and "z"',
    ),
    Case(
        "entropy.renyi_ratio", "float64 z into a float32 q",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), 0.5, z=zeros64(3, 2)),
        TypeError, r"z must have the dtype of q", "z must",
    ),
    Case(
        "entropy.renyi_ratio", "z with 0 samples (NaN)",
        lambda: call(entropy.renyi_ratio, prior().log_prob, normal(), 0.5, z=zeros(0, 2)),
        ValueError, r"z holds 0 samples", "z holds",
    ),
    Case(
        "entropy.renyi_ratio", "log_p(z) of another dtype",
        lambda: call(entropy.renyi_ratio, to_float64, normal(), 0.5, z=zeros(3, 2)),
        TypeError,
        r"log_p\(z\) must have the dtype of q.log_prob\(z\), float32, got float64",
        "log_p(z)",
        builds_ops=USER_CODE,
    ),
] + [
    Case(
        "entropy.renyi_alpha", f"{arg} not a scalar",
        lambda arg=arg: call(entropy.renyi_alpha, **dict(RENYI_ALPHA_ARGS, **{arg: [0.5, 0.5]})),
        ValueError, rf"^{arg} must be scalar", f"{arg} must",
    )
    for arg in ("step", "decay_time", "alpha_min", "alpha_max")
] + [
    Case(
        "entropy.renyi_alpha", "step a non-scalar tensor",
        lambda: call(entropy.renyi_alpha, zeros(2), 3.0, 0.1),
        ValueError, r"^step must be scalar", "step must",
    ),
    Case(
        "entropy.renyi_alpha", "alpha_min a Python int",
        lambda: call(entropy.renyi_alpha, 1.0, 3.0, 0),
        TypeError, r"alpha_min must be a floating-point scalar", "alpha_min",
    ),
    Case(
        "entropy.renyi_alpha", "alpha_min an int tensor",
        lambda: call(entropy.renyi_alpha, 1.0, 3.0, tf.constant(0)),
        TypeError, r"alpha_min must be a floating-point scalar", "alpha_min",
    ),
    Case(
        "entropy.renyi_alpha", "step a string",
        lambda: call(entropy.renyi_alpha, "1", 3.0, 0.1),
        TypeError, r"step must be a real number", "step must",
    ),
    Case(
        "entropy.renyi_alpha", "alpha_max None",
        lambda: call(entropy.renyi_alpha, 1.0, 3.0, 0.1, None),
        TypeError, r"alpha_max must be a real number", "alpha_max",
    ),
    Case(
        "entropy.renyi_alpha", "alpha_max a tensor of another dtype",
        lambda: call(entropy.renyi_alpha, 1.0, 3.0, tf.constant(0.1), tf.constant(0.9, tf.float64)),
        ValueError, r"alpha_max must have alpha_min's dtype float32, got float64", "alpha_max",
    ),
    Case(
        "entropy.renyi_alpha", "decay_time = 0",
        lambda: call(entropy.renyi_alpha, 1.0, 0.0, 0.1),
        tf.errors.InvalidArgumentError, r"decay_time must be positive", "decay_time",
        at_run=True,
    ),
    Case(
        "entropy.renyi_alpha", "decay_time = 0, fed at run time",
        lambda: call(entropy.renyi_alpha, 1.0, tf.compat.v1.placeholder_with_default(0.0, []), 0.1),
        tf.errors.InvalidArgumentError, r"decay_time must be positive", "decay_time",
        modes=GRAPH, at_run=True,
    ),
    Case(
        "entropy.renyi_alpha", "step negative",
        lambda: call(entropy.renyi_alpha, -1.0, 3.0, 0.1),
        tf.errors.InvalidArgumentError, r"step must be non-negative", "step must",
        at_run=True,
    ),
]

# ------------------------------------------------------------------------------- stochastic_tensor

NOT_A_VALUE_TYPE = r"dist_value_type must be a Distribution Value Type"

STOCHASTIC_TENSOR = [
    Case(
        "stochastic_tensor.StochasticTensor", "dist not a distribution",
        lambda: call(st.StochasticTensor, 3),
        TypeError, r"^dist must be an instance of Distribution", "dist must",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "dist a tensor",
        lambda: call(st.StochasticTensor, zeros(2)),
        TypeError, r"^dist must be an instance of Distribution", "dist must",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "dist a class that is no distribution",
        lambda: call(st.StochasticTensor, dict),
        TypeError, r"^dist must be an instance of Distribution, or \(TF 0.11 form\)", "dist must",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "distribution keywords after an instance",
        lambda: call(st.StochasticTensor, normal(), loc=1.0),
        TypeError, r"unexpected keyword arguments \['loc'\]", "loc",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "TF 0.11 class without a required argument",
        lambda: call(st.StochasticTensor, legacy_distributions.Normal, loc=0.0),
        TypeError, r"missing a required argument: 'scale'", "scale",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "dist_value_type a string",
        lambda: call(st.StochasticTensor, normal(), dist_value_type="sample"),
        TypeError, NOT_A_VALUE_TYPE, "dist_value_type",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "dist_value_type a class",
        lambda: call(st.StochasticTensor, normal(), dist_value_type=st.SampleValue),
        TypeError, NOT_A_VALUE_TYPE, "dist_value_type",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "loss_fn not callable",
        lambda: call(st.StochasticTensor, normal(), loss_fn=3),
        TypeError, r"^loss_fn must be callable", "loss_fn",
    ),
    Case(
        "stochastic_tensor.StochasticTensor", "name not a string",
        lambda: call(st.StochasticTensor, normal(), name=3),
        TypeError, r"name must be a string or None", "name must",
    ),
    Case(
        "stochastic_tensor.StochasticTensor",
        "loss of a SampleAndReshapeValue merged into the batch",
        lambda: call(scored(dist_value_type=st.SampleAndReshapeValue(3)).loss, zeros(6)),
        ValueError, r"does not line up with the distribution", "SampleAndReshapeValue",
    ),
    Case(
        "stochastic_tensor.NormalTensor", "TF 0.11 wrapper with an unknown keyword",
        lambda: call(st.NormalTensor, loc=0.0, scale=1.0, bogus=2),
        TypeError, r"unexpected keyword argument 'bogus'", "bogus",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "dist not a distribution",
        lambda: call(st.ObservedStochasticTensor, "dist", zeros(2)),
        TypeError, r"^dist must be an instance of Distribution", "dist must",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "value of a smaller rank",
        lambda: call(st.ObservedStochasticTensor, normal(), tf.constant(1.0)),
        ValueError, r"^Rank of observed value \(0\) must be >= rank of a sample", "observed value",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "value of an incompatible shape",
        lambda: call(st.ObservedStochasticTensor, normal(), zeros(4, 3)),
        ValueError, r"^Shape of observed value \(4, 3\) is incompatible", "observed value",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "an int value for a float distribution",
        lambda: call(st.ObservedStochasticTensor, normal(), tf.constant([0, 1])),
        ValueError,
        r"^Type of observed value \(int32\) does not match type of distribution \(float32\)",
        "observed value",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "a float64 value for a float32 distribution",
        lambda: call(st.ObservedStochasticTensor, normal(), zeros64(2)),
        ValueError, r"^Type of observed value \(float64\)", "observed value",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "distribution keywords after an instance",
        lambda: call(st.ObservedStochasticTensor, normal(), zeros(2), scale=1.0),
        TypeError, r"unexpected keyword arguments \['scale'\]", "scale",
    ),
    Case(
        "stochastic_tensor.ObservedStochasticTensor", "name not a string",
        lambda: call(st.ObservedStochasticTensor, normal(), zeros(2), name=1),
        TypeError, r"name must be a string or None", "name must",
    ),
    Case(
        "stochastic_tensor.MeanValue", "stop_gradient a tensor",
        lambda: call(st.MeanValue, tf.constant(True)),
        TypeError, r"stop_gradient must be a Python bool", "stop_gradient",
    ),
    Case(
        "stochastic_tensor.MeanValue", "stop_gradient a string",
        lambda: call(st.MeanValue, "no"),
        TypeError, r"stop_gradient must be a Python bool", "stop_gradient",
    ),
    Case(
        "stochastic_tensor.SampleValue", "shape a float",
        lambda: call(st.SampleValue, 2.5),
        TypeError, r"shape must be an int, a tuple or list of ints", "shape must",
    ),
    Case(
        "stochastic_tensor.SampleValue", "shape a string",
        lambda: call(st.SampleValue, "2"),
        TypeError, r"shape must be an int", "shape must",
    ),
    Case(
        "stochastic_tensor.SampleValue", "shape negative",
        lambda: call(st.SampleValue, -1),
        ValueError, r"shape must not have negative dimensions, got -1", "shape must",
    ),
    Case(
        "stochastic_tensor.SampleValue", "shape a tuple with a negative dimension",
        lambda: call(st.SampleValue, (2, -1)),
        ValueError, r"shape must not have negative dimensions", "shape must",
    ),
    Case(
        "stochastic_tensor.SampleValue", "shape a float tensor",
        lambda: call(st.SampleValue, tf.constant(2.0)),
        TypeError, r"shape must be an integer sample shape, got a float32 tensor", "shape must",
    ),
    Case(
        "stochastic_tensor.SampleValue", "both shape and the TF 0.11 n",
        lambda: call(st.SampleValue, 2, n=3),
        TypeError, r"got both shape=2 and the TF 0.11 keyword n=3", "shape=2",
    ),
    Case(
        "stochastic_tensor.SampleValue", "TF 0.11 n a float",
        lambda: call(st.SampleValue, n=1.5),
        TypeError, r"n must be a Python int or an integer tensor", "n must",
    ),
    Case(
        "stochastic_tensor.SampleValue", "stop_gradient a tensor",
        lambda: call(st.SampleValue, stop_gradient=tf.constant(False)),
        TypeError, r"stop_gradient must be a Python bool", "stop_gradient",
    ),
    Case(
        "stochastic_tensor.SampleAndReshapeValue", "n negative",
        lambda: call(st.SampleAndReshapeValue, -1),
        ValueError, r"n must be >= 0, got -1", "n must",
    ),
    Case(
        "stochastic_tensor.SampleAndReshapeValue", "n a float",
        lambda: call(st.SampleAndReshapeValue, 2.0),
        TypeError, r"n must be a Python int", "n must",
    ),
    Case(
        "stochastic_tensor.SampleAndReshapeValue", "n a float tensor",
        lambda: call(st.SampleAndReshapeValue, tf.constant(2.0)),
        TypeError, r"n must be an integer, got a float32 tensor", "n must",
    ),
    Case(
        "stochastic_tensor.SampleAndReshapeValue", "stop_gradient a tensor",
        lambda: call(st.SampleAndReshapeValue, 2, tf.constant(True)),
        TypeError, r"stop_gradient must be a Python bool", "stop_gradient",
    ),
    Case(
        "stochastic_tensor.value_type", "not a value type",
        lambda: st.value_type("mean").__enter__,
        TypeError, NOT_A_VALUE_TYPE, "dist_value_type",
    ),
    Case(
        "stochastic_tensor.value_type", "a value type class",
        lambda: st.value_type(st.MeanValue).__enter__,
        TypeError, NOT_A_VALUE_TYPE, "dist_value_type",
    ),
    Case(
        "stochastic_tensor.get_current_value_type", "outside every value_type block",
        lambda: st.get_current_value_type,
        st.NoValueTypeSetError, r"^No value type currently set for this thread", None,
    ),
    Case(
        "stochastic_tensor.get_current_value_type", "an argument",
        lambda: call(st.get_current_value_type, st.MeanValue()),
        TypeError, r"takes 0 positional arguments", "get_current_value_type()",
    ),
    Case(
        "stochastic_tensor.BaseStochasticTensor", "instantiated (abstract)",
        lambda: st.BaseStochasticTensor,
        TypeError, r"Can't instantiate abstract class", "BaseStochasticTensor",
    ),
]

# -------------------------------------------------------------------------------- stochastic_graph

STOCHASTIC_GRAPH = [
    Case(
        "stochastic_graph.surrogate_loss", "a tensor, not a list",
        lambda: call(sg.surrogate_loss, loss_of(scored())),
        TypeError, r"^sample_losses must be a list or tuple", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a stochastic tensor, not a list",
        lambda: call(sg.surrogate_loss, scored()),
        TypeError, r"^sample_losses must be a list or tuple", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "an empty list",
        lambda: call(sg.surrogate_loss, []),
        ValueError, r"^sample_losses must not be empty", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a NumPy loss",
        lambda: call(sg.surrogate_loss, [np.ones(2)]),
        TypeError, r"^loss is not a Tensor", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a Python float loss",
        lambda: call(sg.surrogate_loss, [1.0]),
        TypeError, r"^loss is not a Tensor", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a stochastic tensor as loss",
        lambda: call(sg.surrogate_loss, [scored()]),
        TypeError, r"^loss is not a Tensor", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a scalar loss",
        lambda: call(sg.surrogate_loss, [tf.reduce_sum(loss_of(scored()))]),
        ValueError, r"^loss must have dimensionality 1 or greater", "loss must",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a loss of unknown rank",
        lambda: call(sg.surrogate_loss, [tf.compat.v1.placeholder(tf.float32, shape=None)]),
        ValueError, r"^loss must have dimensionality 1 or greater", "loss must",
        modes=GRAPH,
    ),
    Case(
        "stochastic_graph.surrogate_loss", "losses of different dtypes",
        lambda: call(sg.surrogate_loss, [loss_of(scored()), zeros64(2)]),
        TypeError,
        r"sample_losses must have the dtype of the first loss, float32, got float64",
        "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "losses that do not broadcast",
        lambda: call(sg.surrogate_loss, [loss_of(scored()), zeros(3)]),
        ValueError, r"sample_losses have static shapes that do not broadcast", "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "stochastic_tensors a single stochastic tensor",
        lambda: with_scored(lambda s: call(sg.surrogate_loss, [loss_of(s)], s)),
        TypeError, r"^stochastic_tensors must be None or a list", "stochastic_tensors",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "stochastic_tensors holding a tensor",
        lambda: with_scored(lambda s: call(sg.surrogate_loss, [loss_of(s)], [s.value()])),
        TypeError, r"^stochastic_tensors must hold StochasticTensors", "stochastic_tensors",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "a callable returning a tensor",
        lambda: (lambda loss: call(sg.surrogate_loss, lambda: loss))(zeros(2)),
        TypeError,
        r"the callable passed as sample_losses must return a list or tuple",
        "sample_losses",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "dice a tensor",
        lambda: call(sg.surrogate_loss, [loss_of(scored())], dice=tf.constant(True)),
        TypeError, r"dice must be a Python bool", "dice",
    ),
    Case(
        "stochastic_graph.surrogate_loss", "eager losses and nothing to charge them to",
        lambda: call(sg.surrogate_loss, [loss_of(scored())]),
        RuntimeError,
        r"(?s)cannot find the StochasticTensors upstream of eager losses.*stochastic_tensors=",
        "stochastic_tensors",
        modes=EAGER,
    ),
    Case(
        "stochastic_graph._stochastic_dependencies_map", "a single tensor",
        lambda: call(sg._stochastic_dependencies_map, loss_of(scored())),
        TypeError, r"^fixed_losses must be a list or tuple", "fixed_losses",
    ),
    Case(
        "stochastic_graph._stochastic_dependencies_map", "stochastic_tensors holding an int",
        lambda: call(sg._stochastic_dependencies_map, [loss_of(scored())], [3]),
        TypeError, r"^stochastic_tensors must hold StochasticTensors", "stochastic_tensors",
    ),
    Case(
        "stochastic_graph._stochastic_dependencies_map", "eager losses",
        lambda: call(sg._stochastic_dependencies_map, [loss_of(scored())]),
        RuntimeError,
        r"Cannot find the StochasticTensors upstream of the eager tensor",
        "eager tensor",
        modes=EAGER,
    ),
    Case(
        "stochastic_graph._upstream_stochastic_nodes", "a single tensor",
        lambda: call(sg._upstream_stochastic_nodes, loss_of(scored())),
        TypeError, r"^tensors must be a list or tuple", "tensors must",
    ),
    Case(
        "stochastic_graph._upstream_stochastic_nodes", "eager tensors",
        lambda: call(sg._upstream_stochastic_nodes, [loss_of(scored())]),
        RuntimeError, r"upstream of the eager tensor", "eager tensor",
        modes=EAGER,
    ),
    Case(
        "stochastic_graph._add_n_or_sum", "no terms",
        lambda: call(sg._add_n_or_sum, []),
        ValueError, r"^terms must not be empty", "terms",
    ),
    Case(
        "stochastic_graph._add_n_or_sum", "terms of different dtypes",
        lambda: call(sg._add_n_or_sum, [zeros(2), zeros64(2)]),
        TypeError, r"^terms must have the dtype of the first term", "terms",
    ),
]

# -------------------------------------------------------------------------------------- estimators

NOT_A_STOCHASTIC_TENSOR = r"^stochastic_tensor must be a StochasticTensor"

ESTIMATORS = [
    Case(
        "stochastic_gradient_estimators.score_function", "an int as stochastic_tensor",
        lambda: call(sge.score_function, 3, zeros(2), zeros(2)),
        TypeError, NOT_A_STOCHASTIC_TENSOR, "stochastic_tensor",
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "a distribution as stochastic_tensor",
        lambda: call(sge.score_function, normal(), zeros(2), zeros(2)),
        TypeError, NOT_A_STOCHASTIC_TENSOR, "stochastic_tensor",
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "value of another dtype",
        lambda: call(sge.score_function, scored(), zeros64(2), zeros(2)),
        TypeError,
        r"value must have the dtype of stochastic_tensor's distribution, float32, got float64",
        "value must",
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "value a string",
        lambda: call(sge.score_function, scored(), "0", zeros(2)),
        TypeError, r"value must be a real number", "value must",
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "loss of another dtype",
        lambda: score_call(sge.score_function, zeros64(2)),
        TypeError, r"loss must have the dtype of log_prob\(value\), float32, got float64", "loss",
        builds_ops=LOG_PROB,
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "loss a string",
        lambda: score_call(sge.score_function, "3.2"),
        TypeError, r"loss must be a real number, array or Tensor, got str", "loss",
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "loss that does not broadcast",
        lambda: score_call(sge.score_function, zeros(3)),
        ValueError, r"log_prob\(value\) and loss have static shapes that do not broadcast", "loss",
        builds_ops=LOG_PROB,
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "baseline of another dtype",
        lambda: score_call(sge.score_function, zeros(2), baseline=zeros64(2)),
        TypeError, r"baseline must have the dtype of loss, float32, got float64", "baseline",
    ),
    Case(
        "stochastic_gradient_estimators.score_function", "baseline a string",
        lambda: score_call(sge.score_function, zeros(2), baseline="1"),
        TypeError, r"baseline must be a real number", "baseline",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_advantage", "advantage_fn None",
        lambda: call(sge.get_score_function_with_advantage, None),
        TypeError, r"`advantage_fn` must be a callable function", "advantage_fn",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_advantage", "advantage_fn a tensor",
        lambda: call(sge.get_score_function_with_advantage, zeros(2)),
        TypeError, r"`advantage_fn` must be a callable function", "advantage_fn",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_advantage",
        "an advantage of another dtype",
        lambda: score_call(sge.get_score_function_with_advantage(returns(zeros64(2))), zeros(2)),
        TypeError,
        r"advantage_fn\(\.\.\.\) must have the dtype of log_prob\(value\)",
        "advantage_fn",
        builds_ops=LOG_PROB,
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_advantage",
        "a non-stochastic tensor given to the returned function",
        lambda: call(sge.get_score_function_with_advantage(returns(0.0)), zeros(2), zeros(2), 1.0),
        TypeError, NOT_A_STOCHASTIC_TENSOR, "stochastic_tensor",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_constant_baseline",
        "baseline a string",
        lambda: call(sge.get_score_function_with_constant_baseline, "9.8"),
        TypeError, r"baseline must be a real number, array or Tensor, got str", "baseline",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_constant_baseline",
        "baseline of another dtype",
        lambda: score_call(sge.get_score_function_with_constant_baseline(zeros64(2)), zeros(2)),
        TypeError, r"baseline must have the dtype of loss, float32, got float64", "baseline",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_baseline",
        "baseline_fn not callable",
        lambda: call(sge.get_score_function_with_baseline, 3.0),
        TypeError, r"`baseline_fn` must be a callable function", "baseline_fn",
    ),
    Case(
        "stochastic_gradient_estimators.get_score_function_with_baseline",
        "baseline_fn returning another dtype",
        lambda: score_call(sge.get_score_function_with_baseline(returns(zeros64(2))), zeros(2)),
        TypeError, r"baseline must have the dtype of loss", "baseline",
    ),
    Case(
        "stochastic_gradient_estimators.get_mean_baseline", "ema_decay = 1",
        lambda: call(sge.get_mean_baseline, 1.0),
        ValueError, r"ema_decay must be in \[0, 1\)", "ema_decay",
    ),
    Case(
        "stochastic_gradient_estimators.get_mean_baseline", "ema_decay negative",
        lambda: call(sge.get_mean_baseline, -0.5),
        ValueError, r"ema_decay must be in \[0, 1\)", "ema_decay",
    ),
    Case(
        "stochastic_gradient_estimators.get_mean_baseline", "ema_decay a string",
        lambda: call(sge.get_mean_baseline, "0.99"),
        TypeError, r"ema_decay must be a Python float", "ema_decay",
    ),
    Case(
        "stochastic_gradient_estimators.get_mean_baseline", "ema_decay a tensor",
        lambda: call(sge.get_mean_baseline, tf.constant(0.99)),
        TypeError, r"ema_decay must be a Python float", "ema_decay",
    ),
    Case(
        "stochastic_gradient_estimators.get_mean_baseline", "an integer loss",
        lambda: call(sge.get_mean_baseline(), None, tf.constant([1, 2])),
        TypeError, r"loss must have a floating-point dtype", "loss",
    ),
    Case(
        "stochastic_gradient_estimators.get_vimco_advantage_fn", "have_log_loss a tensor",
        lambda: call(sge.get_vimco_advantage_fn, tf.constant(True)),
        TypeError, r"have_log_loss must be a Python bool", "have_log_loss",
    ),
    Case(
        "stochastic_gradient_estimators.get_vimco_advantage_fn", "have_log_loss a string",
        lambda: call(sge.get_vimco_advantage_fn, "yes"),
        TypeError, r"have_log_loss must be a Python bool", "have_log_loss",
    ),
    Case(
        "stochastic_gradient_estimators.get_vimco_advantage_fn", "an integer loss",
        lambda: call(sge.get_vimco_advantage_fn(), None, tf.constant([1, 2])),
        TypeError, r"loss must have a floating-point dtype", "loss",
    ),
    Case(
        "stochastic_gradient_estimators.get_vimco_advantage_fn", "a scalar loss",
        lambda: call(sge.get_vimco_advantage_fn(), None, tf.constant(1.0)),
        ValueError, r"VIMCO needs a loss with a sample axis 0", "loss",
    ),
    Case(
        "stochastic_gradient_estimators.get_vimco_advantage_fn", "one sample",
        lambda: call(sge.get_vimco_advantage_fn(), None, tf.ones([1, 3])),
        ValueError, r"at least 2 samples along axis 0 of the loss, got 1", "loss",
    ),
    Case(
        "stochastic_gradient_estimators.get_vimco_advantage_fn",
        "a negative Python loss (log: NaN)",
        lambda: call(sge.get_vimco_advantage_fn(), None, [-1.0, 2.0]),
        ValueError, r"loss must be positive", "loss",
    ),
]

# ---------------------------------------------------------------------------- stochastic_variables

STOCHASTIC_VARIABLES = [
    Case(
        "stochastic_variables.get_stochastic_variable", "getter not callable",
        lambda: call(sv.get_stochastic_variable, "get_variable", "w", shape=[2]),
        TypeError, r"`getter` must be a callable function", "getter",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "dist_cls not callable",
        lambda: getter_call(shape=[2], dist_cls="Normal"),
        TypeError, r"^dist_cls must be a distribution class", "dist_cls",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "dist_cls without param_static_shapes",
        lambda: getter_call(shape=[2], dist_cls=dict),
        AttributeError, r"dist_cls .* has no param_static_shapes", "dist_cls",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "dist_kwargs a list",
        lambda: getter_call(shape=[2], dist_kwargs=[("validate_args", True)]),
        TypeError, r"^dist_kwargs must be None or a dict", "dist_kwargs",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "param_initializers a list",
        lambda: getter_call(shape=[2], param_initializers=[tf.zeros_initializer()]),
        TypeError, r"^param_initializers must be None or a dict", "param_initializers",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "prior neither distribution nor callable",
        lambda: getter_call(shape=[2], prior=0.0),
        TypeError, r"^prior must be a Distribution or a callable", "prior",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "shape with a negative dimension",
        lambda: getter_call(shape=[-1]),
        ValueError, r"^shape must be a variable shape, got \[-1\]", "shape must",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "shape a string",
        lambda: getter_call(shape="ab"),
        TypeError, r"^shape must be a variable shape, got 'ab'", "shape must",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "a callable prior returning a number",
        lambda: getter_call(shape=[2], prior=lambda shape, dtype: 0.0),
        TypeError, r"^prior must be a Distribution", "prior",
        builds_ops="a callable prior is called with the value's shape: variables and value exist",
    ),
    Case(
        "stochastic_variables.get_stochastic_variable", "dist_kwargs with an unknown keyword",
        lambda: getter_call(shape=[2], dist_kwargs={"bogus": 1}),
        TypeError, r"unexpected keyword argument 'bogus'", "bogus",
        builds_ops=VARIABLES,
    ),
    Case(
        "stochastic_variables.make_stochastic_variable_getter", "dist_cls not callable",
        lambda: call(sv.make_stochastic_variable_getter, 3),
        TypeError, r"^dist_cls must be a distribution class", "dist_cls",
    ),
    Case(
        "stochastic_variables.make_stochastic_variable_getter", "dist_kwargs a string",
        lambda: call(sv.make_stochastic_variable_getter, None, dist_kwargs="validate_args"),
        TypeError, r"^dist_kwargs must be None or a dict", "dist_kwargs",
    ),
    Case(
        "stochastic_variables.make_stochastic_variable_getter", "param_initializers a tensor",
        lambda: call(sv.make_stochastic_variable_getter, None, param_initializers=zeros(2)),
        TypeError, r"^param_initializers must be None or a dict", "param_initializers",
    ),
    Case(
        "stochastic_variables.make_stochastic_variable_getter", "prior a tensor",
        lambda: call(sv.make_stochastic_variable_getter, None, prior=zeros(2)),
        TypeError, r"^prior must be a Distribution or a callable", "prior",
    ),
]

# --------------------------------------------------------------------------- variational_inference

NOT_A_FORM = r"^form must be an ELBOForms constant$"


VARIATIONAL_INFERENCE = [
    Case(
        "variational_inference.register_prior", "variational a tensor",
        lambda: call(vi.register_prior, zeros(2), prior()),
        TypeError, r"^variational must be a StochasticTensor", "variational",
    ),
    Case(
        "variational_inference.register_prior", "variational a distribution",
        lambda: call(vi.register_prior, normal(), prior()),
        TypeError, r"^variational must be a StochasticTensor", "variational",
    ),
    Case(
        "variational_inference.register_prior", "prior not a distribution",
        lambda: call(vi.register_prior, scored(), 3),
        TypeError, r"^prior must be a Distribution", "prior",
    ),
    Case(
        "variational_inference.register_prior", "prior a distribution class",
        lambda: call(vi.register_prior, scored(), tfd.Normal),
        TypeError, r"^prior must be a Distribution", "prior",
    ),
    Case(
        "variational_inference.elbo", "form a string",
        lambda: with_scored(lambda q: call(vi.elbo, loss_of(q), {q: prior()}, form="sample")),
        TypeError, NOT_A_FORM, "form",
    ),
    Case(
        "variational_inference.ELBOForms", "the class itself as form",
        lambda: with_scored(lambda q: call(vi.elbo, loss_of(q), {q: prior()}, form=vi.ELBOForms)),
        TypeError, NOT_A_FORM, "form",
    ),
    Case(
        "variational_inference.ELBOForms", "check_form of a string",
        lambda: call(vi.ELBOForms.check_form, "default"),
        TypeError, NOT_A_FORM, "form",
    ),
    Case(
        "variational_inference.elbo", "variational_with_prior a list",
        lambda: with_scored(lambda q: call(vi.elbo, loss_of(q), [q])),
        TypeError, r"^variational_with_prior must be None or a dict", "variational_with_prior",
    ),
    Case(
        "variational_inference.elbo", "a key that is no stochastic tensor",
        lambda: call(vi.elbo, zeros(2), {"q": prior()}),
        TypeError, r"^variationals must be StochasticTensors", "variationals",
    ),
    Case(
        "variational_inference.elbo", "a prior that is no distribution",
        lambda: with_scored(lambda q: call(vi.elbo, loss_of(q), {q: 0.0})),
        TypeError, r"^priors must be Distribution objects", "priors",
    ),
    Case(
        "variational_inference.elbo", "a None prior",
        lambda: with_scored(lambda q: call(vi.elbo, loss_of(q), {q: None})),
        ValueError, r"^No prior specified for StochasticTensor", "prior",
    ),
    Case(
        "variational_inference.elbo", "log_likelihood None",
        lambda: with_scored(lambda q: call(vi.elbo, None, {q: prior()})),
        TypeError, r"^log_likelihood must be a Tensor", "log_likelihood",
    ),
    Case(
        "variational_inference.elbo", "log_likelihood a string",
        lambda: with_scored(lambda q: call(vi.elbo, "ll", {q: prior()})),
        TypeError, r"^log_likelihood must have a floating-point dtype", "log_likelihood",
    ),
    Case(
        "variational_inference.elbo", "an integer log_likelihood",
        lambda: with_scored(lambda q: call(vi.elbo, tf.constant([1, 2]), {q: prior()})),
        TypeError, r"^log_likelihood must have a floating-point dtype", "log_likelihood",
    ),
    Case(
        "variational_inference.elbo", "log_likelihood of another dtype than q",
        lambda: with_scored(lambda q: call(vi.elbo, zeros64(2), {q: prior()})),
        TypeError,
        r"^log_likelihood must have the dtype of the distribution of .*, float32, got float64",
        "log_likelihood",
    ),
    Case(
        "variational_inference.elbo", "a prior of another dtype than q",
        lambda: with_scored(lambda q: call(vi.elbo, loss_of(q), {q: prior(tf.float64)})),
        TypeError,
        r"^prior must have the dtype of its variational distribution, float32, got float64",
        "prior",
    ),
    Case(
        "variational_inference.elbo", "log_likelihood that does not broadcast with the terms",
        lambda: with_scored(lambda q: call(vi.elbo, zeros(3), {q: prior()})),
        ValueError,
        r"^log_likelihood and the KL, entropy and prior terms have static shapes that do not",
        "log_likelihood",
        builds_ops="the KL, entropy and prior terms are built before their shapes are read",
    ),
    Case(
        "variational_inference.elbo", "keep_batch_dim a tensor",
        lambda: with_scored(lambda q: call(
            vi.elbo, loss_of(q), {q: prior()}, keep_batch_dim=tf.constant(False)
        )),
        TypeError, r"keep_batch_dim must be a Python bool", "keep_batch_dim",
    ),
    Case(
        "variational_inference.elbo", "an eager log likelihood and nothing to discover",
        lambda: call(vi.elbo, loss_of(scored())),
        RuntimeError,
        r"(?s)elbo cannot find the StochasticTensors.*pass variational_with_prior=",
        "variational_with_prior",
        modes=EAGER,
    ),
    Case(
        "variational_inference.elbo", "nothing upstream of the log likelihood",
        lambda: call(vi.elbo, zeros(2)),
        ValueError, r"^No upstream stochastic nodes found for tensor", "for tensor",
        modes=GRAPH,
    ),
    Case(
        "variational_inference.elbo", "a discovered stochastic tensor without a prior",
        lambda: call(vi.elbo, loss_of(scored())),
        ValueError, r"^No prior specified for StochasticTensor", "register_prior",
        modes=GRAPH,
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "form analytic_kl",
        lambda: with_scored(lambda q: call(
            vi.elbo_with_log_joint, loss_of(q), [q], form=vi.ELBOForms.analytic_kl
        )),
        ValueError,
        r"^ELBOForms.analytic_kl is not available when using elbo_with_log_joint",
        "ELBOForms.analytic_kl",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "form a string",
        lambda: with_scored(lambda q: call(
            vi.elbo_with_log_joint, loss_of(q), [q], form="default"
        )),
        TypeError, NOT_A_FORM, "form",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "variational a single stochastic tensor",
        lambda: with_scored(lambda q: call(vi.elbo_with_log_joint, loss_of(q), q)),
        TypeError, r"^variational must be None or a list of StochasticTensors", "variational",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "variational holding a tensor",
        lambda: call(vi.elbo_with_log_joint, zeros(2), [zeros(2)]),
        TypeError, r"^variationals must be StochasticTensors", "variationals",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "log_joint None",
        lambda: with_scored(lambda q: call(vi.elbo_with_log_joint, None, [q])),
        TypeError, r"^log_joint must be a Tensor", "log_joint",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "an integer log_joint",
        lambda: with_scored(lambda q: call(vi.elbo_with_log_joint, [1, 2], [q])),
        TypeError, r"^log_joint must have a floating-point dtype", "log_joint",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "log_joint of another dtype than q",
        lambda: with_scored(lambda q: call(vi.elbo_with_log_joint, zeros64(2), [q])),
        TypeError, r"^log_joint must have the dtype of the distribution of", "log_joint",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "keep_batch_dim a string",
        lambda: with_scored(lambda q: call(
            vi.elbo_with_log_joint, loss_of(q), [q], keep_batch_dim="no"
        )),
        TypeError, r"keep_batch_dim must be a Python bool", "keep_batch_dim",
    ),
    Case(
        "variational_inference.elbo_with_log_joint", "an eager log joint and nothing to discover",
        lambda: call(vi.elbo_with_log_joint, loss_of(scored())),
        RuntimeError,
        r"(?s)elbo_with_log_joint cannot find the StochasticTensors.*pass variational=",
        "variational=",
        modes=EAGER,
    ),
    Case(
        "variational_inference._find_variational_and_priors", "variational_with_prior a list",
        lambda: with_scored(lambda q: call(vi._find_variational_and_priors, loss_of(q), [q])),
        TypeError, r"^variational_with_prior must be None or a dict", "variational_with_prior",
    ),
    Case(
        "variational_inference._find_variational_and_priors", "a prior that is no distribution",
        lambda: with_scored(lambda q: call(
            vi._find_variational_and_priors, loss_of(q), {q: "N(0, 1)"}
        )),
        TypeError, r"^priors must be Distribution objects", "priors",
    ),
    Case(
        "variational_inference._find_variational_and_priors", "an eager model to discover from",
        lambda: call(vi._find_variational_and_priors, loss_of(scored()), None),
        RuntimeError,
        r"(?s)upstream of the eager tensor.*Pass variational_with_prior=",
        "variational_with_prior",
        modes=EAGER,
    ),
    Case(
        "variational_inference._find_variational_and_priors", "nothing upstream of the model",
        lambda: call(vi._find_variational_and_priors, zeros(2), None),
        ValueError, r"^No upstream stochastic nodes found for tensor", "for tensor",
        modes=GRAPH,
    ),
]

# ----------------------------------------------------------------------------------- distributions


def _legacy_class_cases() -> list:
    """For every legacy distribution class: an unknown keyword, a missing required argument, and
    (families with TF 1.0 keywords) a parameter given under both its old and its new name."""
    cases = []
    for name, cls in sorted(legacy_distributions._LEGACY_CLASSES.items()):
        target = f"distributions.{name}"
        required = [
            p.name for p in cls.__signature__.parameters.values()
            if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        cases.append(Case(
            target, "unknown keyword",
            lambda cls=cls, required=required: call(cls, *[1.0] * len(required), bogus=1.0),
            TypeError, r"got an unexpected keyword argument 'bogus'", "bogus"))
        if required:
            cases.append(Case(target, "no arguments", lambda cls=cls: call(cls),
                              TypeError, rf"missing a required argument: '{required[0]}'",
                              f"'{required[0]}'"))
        family = getattr(cls._legacy, "family", None)
        if family is not None and family.renames:
            old, new = next(iter(family.renames.items()))
            cases.append(Case(
                target, f"both {old}= and {new}=",
                lambda cls=cls, old=old, new=new: call(cls, **{old: 1.0, new: 1.0}),
                TypeError, rf"got both '{old}' \(legacy name of '{new}'\) and '{new}'", f"'{old}'"))
    return cases


DISTRIBUTIONS = _legacy_class_cases() + [
    Case(
        "distributions.kl", "dist_a not a distribution",
        lambda: call(legacy_distributions.kl, [0.0], prior()),
        TypeError, r"^dist_a must be an instance of Distribution", "dist_a",
    ),
    Case(
        "distributions.kl", "dist_b not a distribution",
        lambda: call(legacy_distributions.kl, prior(), 3),
        TypeError, r"^dist_b must be an instance of Distribution", "dist_b",
    ),
    Case(
        "distributions.kl", "a pair without a registered KL",
        lambda: call(legacy_distributions.kl, prior(), tfd.Bernoulli(logits=0.0)),
        NotImplementedError,
        r"^No KL\(distribution_a \|\| distribution_b\) registered",
        "Bernoulli",
    ),
    Case(
        "distributions.softplus_inverse", "x a string",
        lambda: call(legacy_distributions.softplus_inverse, "1.0"),
        TypeError, r"^x must be a real number", "x must",
    ),
    Case(
        "distributions.softplus_inverse", "x None",
        lambda: call(legacy_distributions.softplus_inverse, None),
        TypeError, r"^x must be a real number", "x must",
    ),
    Case(
        "distributions.normal_conjugates_known_sigma_posterior", "prior not a Normal",
        lambda: call(
            legacy_distributions.normal_conjugates_known_sigma_posterior,
            tfd.Laplace(0.0, 1.0), 1.0, 1.0, 1,
        ),
        TypeError, r"Expected prior to be an instance of type Normal", "prior",
    ),
    Case(
        "distributions.normal_conjugates_known_sigma_predictive", "prior not a Normal",
        lambda: call(
            legacy_distributions.normal_conjugates_known_sigma_predictive, 0.0, 1.0, 1.0, 1
        ),
        TypeError, r"Expected prior to be an instance of type Normal", "prior",
    ),
]


CASES = (
    MONTE_CARLO + ENTROPY + STOCHASTIC_TENSOR + STOCHASTIC_GRAPH + ESTIMATORS
    + STOCHASTIC_VARIABLES + VARIATIONAL_INFERENCE + DISTRIBUTIONS
)

# Legacy private helpers that legacy code and tests call, and symbols reachable but missing from
# `__all__`: they need cases too.
LEGACY_HELPERS = (
    "monte_carlo._get_samples",
    "monte_carlo._logspace_mean",
    "monte_carlo._sample_mean",
    "monte_carlo._sample_max",
    "stochastic_graph._stochastic_dependencies_map",
    "stochastic_graph._upstream_stochastic_nodes",
    "stochastic_graph._add_n_or_sum",
    "stochastic_gradient_estimators.get_vimco_advantage_fn",
    "variational_inference._find_variational_and_priors",
)


# ------------------------------------------------------------------------------ the tests


def _run(case: Case, mode: str) -> None:
    """Builds the case's arguments, then checks that the failing call raises as specified."""
    if mode == "eager":
        failing_call = case.build()
        with pytest.raises(case.error) as info:
            failing_call()
        _check_message(case, info.value)
        return
    with tf.Graph().as_default() as graph:
        failing_call = case.build()
        before = len(graph.get_operations())
        if case.at_run:
            # TensorFlow's assertions raise as the op is built when the value is a constant.
            with pytest.raises(case.error) as info:
                result = failing_call()
                with tf.compat.v1.Session(graph=graph) as session:
                    session.run(result)
            _check_message(case, info.value)
            return
        with pytest.raises(case.error) as info:
            failing_call()
        _check_message(case, info.value)
        built = [op.name for op in graph.get_operations()[before:]]
        if case.builds_ops is None:
            assert not built, f"{case} built ops before raising: {built}"
        else:  # the stated reason must still hold
            assert built, f"{case} builds no op before raising, yet says: {case.builds_ops}"


def _check_message(case: Case, error: BaseException) -> None:
    message = error.message if isinstance(error, tf.errors.OpError) else str(error)
    assert re.search(case.match, message), f"{case}: {message!r} does not match {case.match!r}"
    if case.names is not None:
        assert case.names in message, f"{case}: {message!r} does not name {case.names!r}"


@pytest.mark.parametrize(
    "case, mode",
    [pytest.param(case, mode, id=f"{case} [{mode}]") for case in CASES for mode in case.modes],
)
def test_bad_input(case, mode):
    _run(case, mode)


def _public_callables() -> list:
    targets = [
        f"{module_name}.{name}"
        for module_name, module in MODULES.items()
        if module is not legacy_distributions
        for name in module.__all__
        if callable(getattr(module, name))
    ]
    # Of `distributions`, the names the package defines (TF 1.0 classes and functions); the rest
    # of its `__all__` is TFP's own objects, re-exported unchanged.
    targets += [
        f"distributions.{name}" for name in legacy_distributions.__all__
        if getattr(legacy_distributions, name) is not getattr(tfd, name, None)
        and callable(getattr(legacy_distributions, name))
    ]
    return targets + list(LEGACY_HELPERS)


def test_every_public_callable_has_a_case():
    covered = {case.target for case in CASES}
    missing = [target for target in _public_callables() if target not in covered]
    assert not missing, f"public callables without a bad-input case: {missing}"
    # Every target exists, so a renamed callable cannot leave a stale case behind.
    for target in covered:
        module, name = target.split(".", 1)
        assert callable(getattr(MODULES[module], name)), target


def test_cases_are_unique_and_span_every_module():
    assert len(CASES) == len({str(case) for case in CASES}), "case names must be unique"
    assert {case.module for case in CASES} == set(MODULES)
