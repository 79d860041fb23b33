"""Call-site deprecation warnings: one per legacy symbol per process, at the caller's line.

`CASES` is the table: for every public symbol of every legacy module (each `__all__`, plus
`get_vimco_advantage_fn`) and every legacy spelling of `distributions`, a minimal valid call and
the TFP replacement its warning must name (None: the warning says there is none). A symbol that
appears in an `__all__` without a case (or an `EXEMPT` entry saying why) fails
`test_every_public_symbol_has_a_case`.
"""
import contextlib
import dataclasses
import itertools
import pathlib
import re
import subprocess
import sys
import warnings
from typing import Any, Callable, FrozenSet, Optional

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import test_guide
import tf_contrib_bayesflow
from tf_contrib_bayesflow import distributions as legacy_distributions
from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor as st
from tf_contrib_bayesflow import stochastic_variables
from tf_contrib_bayesflow import variational_inference as vi

tfd = tfp.distributions
Warning_ = tf_contrib_bayesflow.BayesflowDeprecationWarning
ROOT = pathlib.Path(__file__).parents[1]

NO_EQUIVALENT = "TensorFlow Probability has no equivalent; keep using tf_contrib_bayesflow."
TRIL = np.array([[1.0, 0.0], [0.5, 2.0]], np.float32)
LOC2 = np.array([0.5, -1.0], np.float32)
P2 = np.array([0.2, 0.8], np.float32)


@dataclasses.dataclass(frozen=True)
class Case:
    """A legacy call: `setup(stack)` prepares it (its warnings are not counted) and returns the
    zero-argument call, made twice."""

    symbol: str  # the name the warning gives, the text before " is legacy tf.contrib API."
    setup: Callable[[contextlib.ExitStack], Callable[[], Any]]
    replacement: Optional[str]  # a part of the TFP replacement the warning names; None: none
    # Legacy symbols the call uses on the caller's behalf (each warns once too, at the caller).
    also: FrozenSet[str] = frozenset()
    covers: Optional[str] = None  # the public name it covers, when not the symbol's

    @property
    def public_name(self) -> str:
        return self.covers or self.symbol.split(" ")[0].split("(")[0]


def call(fn: Callable[[], Any]) -> Callable[[contextlib.ExitStack], Callable[[], Any]]:
    """A case without set-up."""
    return lambda stack: fn


def normal() -> Any:
    return tfd.Normal(0.0, 1.0)


def eager_tensor(dist: Any = None) -> Any:
    with st.value_type(st.SampleValue(2)):
        return st.StochasticTensor(dist or normal())


def in_graph(stack: contextlib.ExitStack) -> None:
    stack.enter_context(tf.Graph().as_default())


class _MinimalStochasticTensor(st.BaseStochasticTensor):
    """The smallest concrete subclass a user could write."""

    name, dtype, graph = "minimal", tf.float32, None

    def __init__(self):
        self._value = tf.constant([1.0])
        super().__init__()

    def value(self, name=None):
        return self._value

    def loss(self, sample_loss):
        return None


def _score_function(stack):
    bernoulli = eager_tensor(tfd.Bernoulli(logits=0.3, dtype=tf.float32))
    return lambda: sge.score_function(bernoulli, bernoulli.value(), tf.constant([1.0, 2.0]))


def _surrogate_loss(stack):
    z = eager_tensor()  # reparameterized: no score term, so no other symbol is used
    return lambda: stochastic_graph.surrogate_loss([tf.identity(z.value())], [z])


def _value_type(stack):
    value_type = st.SampleValue()

    def enter_and_leave():
        with st.value_type(value_type):
            pass

    return enter_and_leave


def _get_current_value_type(stack):
    stack.enter_context(st.value_type(st.MeanValue()))
    return st.get_current_value_type


def _get_stochastic_variable(stack):
    in_graph(stack)
    names = (f"w{i}" for i in itertools.count())
    return lambda: stochastic_variables.get_stochastic_variable(
        tf.compat.v1.get_variable, next(names), shape=[2])


def _register_prior(stack):
    z = eager_tensor()
    return lambda: vi.register_prior(z, normal())


def _elbo(stack):
    z = eager_tensor()
    return lambda: vi.elbo(tf.identity(z.value()), {z: normal()})


def _elbo_with_log_joint(stack):
    z = eager_tensor()
    return lambda: vi.elbo_with_log_joint(tf.identity(z.value()), [z])


_SCORE = "tfp.monte_carlo.expectation(f, samples, log_prob, use_reparameterization=False)"
_EXPECTATION = "tfp.monte_carlo.expectation(f, samples, log_prob, use_reparameterization, axis"
_STOCHASTIC_VARIABLE = "tfp.experimental.vi.build_factored_surrogate_posterior"

BAYESFLOW_CASES = [
    Case("monte_carlo.expectation", call(lambda: monte_carlo.expectation(tf.square, [1.0, 2.0])),
         _EXPECTATION),
    Case("monte_carlo.expectation_v2",
         call(lambda: monte_carlo.expectation_v2(tf.square, [1.0, 2.0])), _EXPECTATION),
    Case("monte_carlo.expectation_importance_sampler",
         call(lambda: monte_carlo.expectation_importance_sampler(
             tf.square, normal().log_prob, normal(), z=[1.0])), None),
    Case("monte_carlo.expectation_importance_sampler_logspace",
         call(lambda: monte_carlo.expectation_importance_sampler_logspace(
             tf.identity, normal().log_prob, normal(), z=[1.0])),
         "tfp.math.reduce_logmeanexp(log_f(z) + log_p(z) - q.log_prob(z), axis=0)"),
    Case("entropy.entropy_shannon", call(lambda: entropy.entropy_shannon(normal())),
         "d.entropy()"),
    Case("entropy.elbo_ratio", call(lambda: entropy.elbo_ratio(normal().log_prob, normal(), z=[0.0])),
         "-tfp.vi.monte_carlo_variational_loss("),
    Case("entropy.renyi_ratio",
         call(lambda: entropy.renyi_ratio(normal().log_prob, normal(), 0.5, z=[0.0])), None),
    Case("entropy.renyi_alpha", call(lambda: entropy.renyi_alpha(0.0, 1.0, 0.5)), None),
    Case("stochastic_gradient_estimators.score_function", _score_function, _SCORE),
    Case("stochastic_gradient_estimators.get_score_function_with_advantage",
         call(lambda: sge.get_score_function_with_advantage(lambda st_, loss: loss)), _SCORE),
    Case("stochastic_gradient_estimators.get_score_function_with_constant_baseline",
         call(lambda: sge.get_score_function_with_constant_baseline(0.5)),
         "tfp.monte_carlo.expectation(lambda x: f(x) - baseline"),
    Case("stochastic_gradient_estimators.get_score_function_with_baseline",
         call(lambda: sge.get_score_function_with_baseline(lambda st_, loss: 0.0)),
         "tfp.monte_carlo.expectation(lambda x: f(x) - baseline"),
    Case("stochastic_gradient_estimators.get_mean_baseline", call(sge.get_mean_baseline),
         "tfp.stats.assign_moving_mean_variance"),
    Case("stochastic_gradient_estimators.get_vimco_advantage_fn", call(sge.get_vimco_advantage_fn),
         "gradient_estimator=tfp.vi.GradientEstimators.VIMCO"),
    Case("stochastic_graph.surrogate_loss", _surrogate_loss, None),
    Case("stochastic_tensor.BaseStochasticTensor", call(_MinimalStochasticTensor), None),
    Case("stochastic_tensor.StochasticTensor", call(lambda: st.StochasticTensor(normal())), None),
    Case("stochastic_tensor.ObservedStochasticTensor",
         call(lambda: st.ObservedStochasticTensor(normal(), 0.0)), None),
    Case("stochastic_tensor.MeanValue", call(st.MeanValue), "tfd.Distribution.mean"),
    Case("stochastic_tensor.SampleValue", call(st.SampleValue), "tfd.Distribution.sample"),
    Case("stochastic_tensor.SampleAndReshapeValue (TF 0.11 form)", call(st.SampleAndReshapeValue),
         "tfd.Distribution.sample(n) and tf.reshape"),
    Case("stochastic_tensor.value_type", _value_type, None),
    Case("stochastic_tensor.get_current_value_type", _get_current_value_type, None),
    Case("stochastic_variables.make_stochastic_variable_getter",
         call(lambda: stochastic_variables.make_stochastic_variable_getter(
             legacy_distributions.NormalWithSoftplusScale)), _STOCHASTIC_VARIABLE),
    # The getter builds the default NormalWithSoftplusScale and returns a StochasticTensor
    # for the caller: both are legacy symbols the caller now uses.
    Case("stochastic_variables.get_stochastic_variable", _get_stochastic_variable,
         _STOCHASTIC_VARIABLE,
         also=frozenset({"stochastic_tensor.StochasticTensor",
                         "distributions.NormalWithSoftplusScale"})),
    Case("variational_inference.register_prior", _register_prior, None),
    Case("variational_inference.elbo", _elbo, "log_likelihood - tfd.kl_divergence(q, p)"),
    Case("variational_inference.elbo_with_log_joint", _elbo_with_log_joint,
         "-tfp.vi.monte_carlo_variational_loss(target_log_prob_fn=log_joint_fn"),
]

# Public names that are not calls of legacy API, and why.
EXEMPT = {
    # Opaque constants (and check_form, which the package calls itself). Using them means
    # passing them to elbo, elbo_ratio or entropy_shannon, which warn.
    "entropy.ELBOForms": "constants; the functions taking them warn",
    "variational_inference.ELBOForms": "the same object as entropy.ELBOForms",
}

# ------------------------------------------------------------ distributions: legacy spellings

# The TFP keywords of each family that TF 1.0 spelled differently; one case per TF 1.0 keyword,
# the other parameters in TFP spelling.
_MODERN_KWARGS = {
    "Bernoulli": dict(probs=0.3),
    "Beta": dict(concentration1=2.0, concentration0=1.0),
    "Binomial": dict(total_count=5.0, probs=0.3),
    "Categorical": dict(probs=P2),
    "Dirichlet": dict(concentration=[1.0, 2.0]),
    "DirichletMultinomial": dict(total_count=4.0, concentration=[1.0, 2.0]),
    "Exponential": dict(rate=1.0),
    "ExpRelaxedOneHotCategorical": dict(temperature=0.5, probs=P2),
    "Gamma": dict(concentration=2.0, rate=1.0),
    "InverseGamma": dict(concentration=3.0, scale=1.0),
    "Multinomial": dict(total_count=4.0, probs=P2),
    "MultivariateNormalCholesky": dict(loc=LOC2, scale_tril=TRIL),
    "MultivariateNormalDiag": dict(loc=LOC2, scale_diag=[1.0, 2.0]),
    "MultivariateNormalFull": dict(loc=LOC2, covariance_matrix=TRIL @ TRIL.T),
    "Normal": dict(loc=0.0, scale=1.0),
    "OneHotCategorical": dict(probs=P2),
    "Poisson": dict(rate=1.0),
    "QuantizedDistribution": dict(distribution=tfd.Normal(0.0, 1.0), low=-3.0, high=3.0),
    "RelaxedBernoulli": dict(temperature=0.5, probs=0.3),
    "RelaxedOneHotCategorical": dict(temperature=0.5, probs=P2),
    "StudentT": dict(df=3.0, loc=0.0, scale=1.0),
    "Uniform": dict(low=0.0, high=1.0),
    "WishartCholesky": dict(df=3.0, scale_tril=TRIL, input_output_cholesky=False),
}
# Families without TF 1.0 keywords: their legacy surface is the methods (e.g. std()).
_NO_RENAMES = {
    "Chi2": lambda: legacy_distributions.Chi2(3.0),
    "Laplace": lambda: legacy_distributions.Laplace(0.0, 1.0),
    "Mixture": lambda: legacy_distributions.Mixture(
        cat=tfd.Categorical(probs=P2), components=[normal(), tfd.Normal(1.0, 1.0)]),
}
# The classes TFP renamed warn for their name, whatever the keywords.
_RENAMED_CLASSES = {
    "MultivariateNormalCholesky": "tfp.distributions.MultivariateNormalTriL",
    "MultivariateNormalFull": "tfp.distributions.MultivariateNormalFullCovariance",
    "WishartCholesky": "tfp.distributions.WishartTriL",
}
# Raw arguments of the parameter-transforming classes, positionally.
_TRANSFORMING_ARGS = {
    "BernoulliWithSigmoidP": (0.3,),
    "BernoulliWithSigmoidProbs": (0.3,),
    "BetaWithSoftplusAB": (1.0, 1.0),
    "BetaWithSoftplusConcentration": (1.0, 1.0),
    "Chi2WithAbsDf": (3.0,),
    "ExponentialWithSoftplusLam": (1.0,),
    "ExponentialWithSoftplusRate": (1.0,),
    "GammaWithSoftplusAlphaBeta": (1.0, 1.0),
    "GammaWithSoftplusConcentrationRate": (1.0, 1.0),
    "InverseGammaWithSoftplusAlphaBeta": (1.0, 1.0),
    "InverseGammaWithSoftplusConcentrationRate": (1.0, 1.0),
    "LaplaceWithSoftplusScale": (0.0, 1.0),
    "MultivariateNormalDiagWithSoftplusStDev": (LOC2, [1.0, 1.0]),
    "MultivariateNormalDiagWithSoftplusScale": (LOC2, [1.0, 1.0]),
    "NormalWithSoftplusSigma": (0.0, 1.0),
    "NormalWithSoftplusScale": (0.0, 1.0),
    "StudentTWithAbsDfSoftplusSigma": (3.0, 0.0, 1.0),
    "StudentTWithAbsDfSoftplusScale": (3.0, 0.0, 1.0),
    "WishartFull": (3.0, np.eye(2, dtype=np.float32)),
}


def _legacy_keyword_cases():
    families = {family.name: family for family in legacy_distributions._FAMILIES}
    for name, modern in _MODERN_KWARGS.items():
        cls = getattr(legacy_distributions, name)
        # A renamed class warns for its name too; that is its own case below.
        also = frozenset({f"distributions.{name}"}) if name in _RENAMED_CLASSES else frozenset()
        for old, new in families[name].renames.items():
            kwargs = dict(modern)
            kwargs[old] = kwargs.pop(new)
            yield Case(
                f"distributions.{name}({old}=...)",
                call(lambda cls=cls, kwargs=kwargs: cls(**kwargs)),
                f"tfp.distributions.{families[name].base.__name__}({new}=...)",
                also=also,
            )


def _distribution_cases():
    yield from _legacy_keyword_cases()
    for name, replacement in _RENAMED_CLASSES.items():
        cls, kwargs = getattr(legacy_distributions, name), _MODERN_KWARGS[name]
        yield Case(f"distributions.{name}", call(lambda cls=cls, kw=kwargs: cls(**kw)),
                   replacement)
    for name, args in _TRANSFORMING_ARGS.items():
        cls = getattr(legacy_distributions, name)
        yield Case(f"distributions.{name}", call(lambda cls=cls, args=args: cls(*args)),
                   "tfp.distributions.")
    for name, make in _NO_RENAMES.items():
        # Built in the set-up (no warning: modern spelling), then a TF 1.0 method.
        yield Case("Distribution.std", lambda stack, make=make: make().std,
                   "Distribution.stddev", covers=f"distributions.{name}")
    yield Case("distributions.kl",
               call(lambda: legacy_distributions.kl(normal(), tfd.Normal(1.0, 1.0))),
               "tfp.distributions.kl_divergence")
    yield Case("distributions.softplus_inverse",
               call(lambda: legacy_distributions.softplus_inverse(1.0)),
               "tfp.math.softplus_inverse")
    for kind in ("posterior", "predictive"):
        fn = getattr(legacy_distributions, f"normal_conjugates_known_sigma_{kind}")
        yield Case(f"distributions.normal_conjugates_known_sigma_{kind}",
                   call(lambda fn=fn: fn(normal(), 1.0, tf.constant([1.0, 2.0]), 2)),
                   f"tfp.distributions.normal_conjugates_known_scale_{kind}(prior, scale, s, n)")


CASES = BAYESFLOW_CASES + list(_distribution_cases())
BAYESFLOW_MODULES = (entropy, monte_carlo, sge, stochastic_graph, st, stochastic_variables, vi)


def _ours(caught):
    return [w for w in caught if issubclass(w.category, Warning_)]


def _record(fn: Callable[[], Any]):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return _ours(caught)


def _symbol(warning) -> str:
    return str(warning.message).split(" is legacy tf.contrib API.")[0]


# ------------------------------------------------------------------------------- the table


def test_every_public_symbol_has_a_case():
    covered = {case.public_name for case in CASES}
    for module in BAYESFLOW_MODULES:
        short = module.__name__.split(".")[-1]
        public = {f"{short}.{name}" for name in module.__all__}
        if module is sge:
            public.add(f"{short}.get_vimco_advantage_fn")  # legacy: importable, not in __all__
        missing = public - covered - set(EXEMPT)
        assert not missing, f"add a case (or an EXEMPT reason) for {sorted(missing)}"
    legacy_names = test_guide._public_names("distributions")
    missing = {f"distributions.{name}" for name in legacy_names} - covered
    assert not missing, f"add a case for {sorted(missing)}"
    # Every legacy keyword of every family is exercised.
    keywords = {(f.name, old) for f in legacy_distributions._FAMILIES for old in f.renames}
    exercised = set(re.findall(r"distributions\.(\w+)\((\w+)=", " ".join(c.symbol for c in CASES)))
    assert keywords == exercised
    assert len({case.symbol + str(case.covers) for case in CASES}) == len(CASES)


@pytest.mark.usefixtures("fresh_deprecations")
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.covers or case.symbol)
def test_first_call_warns_once_at_the_caller_naming_the_replacement(case):
    with contextlib.ExitStack() as stack:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Warning_)
            legacy_call = case.setup(stack)
        first = _record(legacy_call)
        again = _record(legacy_call)

    assert [w for w in first if _symbol(w) == case.symbol], f"no warning for {case.symbol}"
    assert sorted(_symbol(w) for w in first) == sorted({case.symbol} | case.also)
    # At the caller's line: this file, never the package's or TensorFlow's.
    assert {w.filename for w in first} == {__file__}
    (warning,) = [w for w in first if _symbol(w) == case.symbol]
    advice = str(warning.message).split(" is legacy tf.contrib API. ")[1]
    if case.replacement is None:
        assert advice == NO_EQUIVALENT
    else:
        assert advice.startswith("In TensorFlow Probability, use ") and case.replacement in advice
    assert again == [], "a second call must not warn"


# ---------------------------------------------------------------------- in the user's code


@pytest.mark.usefixtures("fresh_deprecations")
def test_a_legacy_function_the_package_calls_for_the_user_warns_at_the_users_line():
    # The default loss_fn of a StochasticTensor is score_function; surrogate_loss calls it.
    bernoulli = eager_tensor(tfd.Bernoulli(logits=0.3, dtype=tf.float32))
    caught = _record(lambda: stochastic_graph.surrogate_loss(
        [tf.identity(bernoulli.value())], [bernoulli]))
    assert sorted(_symbol(w) for w in caught) == [
        "stochastic_gradient_estimators.score_function", "stochastic_graph.surrogate_loss"]
    assert {w.filename for w in caught} == {__file__}


@pytest.mark.usefixtures("fresh_deprecations")
def test_a_legacy_function_called_through_tensorflow_warns_at_the_users_line():
    line = sys._getframe().f_lineno + 1
    caught = _record(lambda: tf.nest.map_structure(entropy.entropy_shannon, [normal()]))
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]


@pytest.mark.usefixtures("fresh_deprecations")
def test_legacy_calls_inside_tf_function_warn_in_the_callers_file():
    @tf.function
    def legacy_step():
        return monte_carlo.expectation(tf.square, [1.0, 2.0]) + entropy.renyi_alpha(0.0, 1.0, 0.5)

    caught = _record(legacy_step)
    assert len(caught) == 2 and {w.filename for w in caught} == {__file__}


@pytest.mark.usefixtures("fresh_deprecations")
def test_graph_mode_calls_warn_once_per_process_not_per_session_run():
    with tf.Graph().as_default():
        caught = _record(lambda: entropy.renyi_alpha(0.0, 1.0, 0.5))
        value = entropy.renyi_alpha(0.0, 1.0, 0.5)
        with tf.compat.v1.Session() as session:
            again = _record(lambda: [session.run(value) for _ in range(3)])
    assert [_symbol(w) for w in caught] == ["entropy.renyi_alpha"] and again == []


def test_the_filter_in_the_guide_silences_every_legacy_warning(fresh_deprecations):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=Warning_)  # as migration_guide/index.md says
        for case in BAYESFLOW_CASES[:5]:
            with contextlib.ExitStack() as stack:
                case.setup(stack)()
    assert _ours(caught) == []


# ----------------------------------------------------------------------- guide agreement


@pytest.mark.parametrize("case", BAYESFLOW_CASES, ids=lambda case: case.symbol)
def test_the_guide_and_the_warning_agree_on_whether_tfp_has_a_replacement(case):
    module, name = case.public_name.split(".")
    _, replacement, _ = test_guide.symbol_rows(module)[name]
    says_none = replacement.startswith(test_guide.NONE)
    assert says_none == (case.replacement is None), (case.symbol, replacement)


# ------------------------------------------------------------------- never at import time


def test_importing_installing_and_reading_the_api_warn_nothing():
    code = """
import warnings
warnings.simplefilter("error")
# Third party: TFP 0.25 compares TF versions with distutils' deprecated LooseVersion.
warnings.filterwarnings("ignore", "distutils Version classes are deprecated", DeprecationWarning)
import tensorflow as tf
import tf_contrib_bayesflow
tf_contrib_bayesflow.install()
from tensorflow.contrib.bayesflow.python.ops import monte_carlo_impl, stochastic_tensor_impl
for name in tf_contrib_bayesflow.__all__:
    module = getattr(tf_contrib_bayesflow, name)
    for symbol in getattr(module, "__all__", ()):
        getattr(module, symbol)
        getattr(getattr(tf.contrib.bayesflow, name, tf.contrib.distributions), symbol)
tf_contrib_bayesflow.stochastic_tensor.NormalTensor  # a TF 0.11 class, made on first access
tf_contrib_bayesflow.uninstall()
print("OK")
"""
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )
    assert run.returncode == 0 and run.stdout.strip() == "OK", run.stderr[-3000:]
