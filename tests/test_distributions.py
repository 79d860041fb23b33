"""Tests of `distributions`: the legacy `tf.contrib.distributions` surface built on TFP."""
import inspect
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import distributions as legacy
from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions as dist_util

tfd = tfp.distributions
Warning_ = deprecation.BayesflowDeprecationWarning

# A stateless seed: the same draws in every regime and for every object sampled with it.
SEED = (4, 2)

TRIL = np.array([[1.0, 0.0], [0.5, 2.0]], np.float32)
COV = TRIL @ TRIL.T
LOC2 = np.array([0.5, -1.0], np.float32)
LOC_BATCH = np.stack([LOC2, -LOC2])
P2 = np.array([0.2, 0.7], np.float32)
P3 = np.array([0.2, 0.3, 0.5], np.float32)
RAW = np.array([-1.0, 0.5], np.float32)
RAW_T = np.array([0.3, 1.2], np.float32)
sp = tf.math.softplus

# name: (legacy spelling, TFP spelling, a point of the support). The legacy side uses the TF 1.0
# keywords wherever the family had any.
CASES = {
    "Bernoulli": (lambda: legacy.Bernoulli(p=P2), lambda: tfd.Bernoulli(probs=P2), [1, 0]),
    "Beta": (
        lambda: legacy.Beta(a=[2.0, 3.0], b=[1.5, 0.5]),
        lambda: tfd.Beta(concentration1=[2.0, 3.0], concentration0=[1.5, 0.5]),
        [0.3, 0.8],
    ),
    "Binomial": (
        lambda: legacy.Binomial(n=5.0, p=P2),
        lambda: tfd.Binomial(total_count=5.0, probs=P2),
        [2.0, 4.0],
    ),
    "Categorical": (lambda: legacy.Categorical(p=P3), lambda: tfd.Categorical(probs=P3), 2),
    "Chi2": (lambda: legacy.Chi2([3.0, 4.0]), lambda: tfd.Chi2([3.0, 4.0]), [1.0, 2.0]),
    "Dirichlet": (
        lambda: legacy.Dirichlet(alpha=[1.0, 2.0, 3.0]),
        lambda: tfd.Dirichlet(concentration=[1.0, 2.0, 3.0]),
        P3,
    ),
    "DirichletMultinomial": (
        lambda: legacy.DirichletMultinomial(n=4.0, alpha=[1.0, 2.0, 3.0]),
        lambda: tfd.DirichletMultinomial(total_count=4.0, concentration=[1.0, 2.0, 3.0]),
        [1.0, 1.0, 2.0],
    ),
    "Exponential": (
        lambda: legacy.Exponential(lam=[1.0, 2.0]),
        lambda: tfd.Exponential(rate=[1.0, 2.0]),
        [0.5, 1.0],
    ),
    "ExpRelaxedOneHotCategorical": (
        lambda: legacy.ExpRelaxedOneHotCategorical(0.5, p=P3),
        lambda: tfd.ExpRelaxedOneHotCategorical(0.5, probs=P3),
        np.log(P3),
    ),
    "Gamma": (
        lambda: legacy.Gamma(alpha=[2.0, 3.0], beta=[1.0, 2.0]),
        lambda: tfd.Gamma(concentration=[2.0, 3.0], rate=[1.0, 2.0]),
        [0.5, 1.0],
    ),
    "InverseGamma": (
        lambda: legacy.InverseGamma(alpha=[3.0, 4.0], beta=[1.0, 2.0]),
        lambda: tfd.InverseGamma(concentration=[3.0, 4.0], scale=[1.0, 2.0]),
        [0.5, 1.0],
    ),
    "InverseGamma(rate=)": (
        lambda: legacy.InverseGamma(concentration=[3.0, 4.0], rate=[1.0, 2.0]),
        lambda: tfd.InverseGamma(concentration=[3.0, 4.0], scale=[1.0, 2.0]),
        [0.5, 1.0],
    ),
    "Laplace": (
        lambda: legacy.Laplace(loc=[0.0, 1.0], scale=[1.0, 2.0]),
        lambda: tfd.Laplace(loc=[0.0, 1.0], scale=[1.0, 2.0]),
        [0.3, -0.4],
    ),
    "Mixture": (
        lambda: legacy.Mixture(
            cat=legacy.Categorical(p=[0.3, 0.7]),
            components=[legacy.Normal(mu=0.0, sigma=1.0), legacy.Normal(mu=2.0, sigma=0.5)],
        ),
        lambda: tfd.Mixture(
            cat=tfd.Categorical(probs=[0.3, 0.7]),
            components=[tfd.Normal(loc=0.0, scale=1.0), tfd.Normal(loc=2.0, scale=0.5)],
        ),
        0.7,
    ),
    "Multinomial": (
        lambda: legacy.Multinomial(n=4.0, p=P3),
        lambda: tfd.Multinomial(total_count=4.0, probs=P3),
        [1.0, 1.0, 2.0],
    ),
    "MultivariateNormalCholesky": (
        lambda: legacy.MultivariateNormalCholesky(mu=LOC_BATCH, chol=TRIL),
        lambda: tfd.MultivariateNormalTriL(loc=LOC_BATCH, scale_tril=TRIL),
        [[0.0, 0.0], [1.0, 2.0]],
    ),
    "MultivariateNormalDiag": (
        lambda: legacy.MultivariateNormalDiag(mu=LOC2, diag_stdev=[1.0, 2.0]),
        lambda: tfd.MultivariateNormalDiag(loc=LOC2, scale_diag=[1.0, 2.0]),
        [0.0, 0.0],
    ),
    "MultivariateNormalFull": (
        lambda: legacy.MultivariateNormalFull(mu=LOC2, sigma=COV),
        lambda: tfd.MultivariateNormalFullCovariance(loc=LOC2, covariance_matrix=COV),
        [0.0, 0.0],
    ),
    "Normal": (
        lambda: legacy.Normal(mu=[0.0, 1.0], sigma=[1.0, 2.0]),
        lambda: tfd.Normal(loc=[0.0, 1.0], scale=[1.0, 2.0]),
        [0.3, -0.4],
    ),
    "OneHotCategorical": (
        lambda: legacy.OneHotCategorical(p=P3),
        lambda: tfd.OneHotCategorical(probs=P3),
        [0, 0, 1],
    ),
    "Poisson": (
        lambda: legacy.Poisson(lam=[1.0, 3.0]),
        lambda: tfd.Poisson(rate=[1.0, 3.0]),
        [2.0, 1.0],
    ),
    "QuantizedDistribution": (
        lambda: legacy.QuantizedDistribution(
            legacy.Normal(mu=0.0, sigma=2.0), lower_cutoff=-3.0, upper_cutoff=3.0
        ),
        lambda: tfd.QuantizedDistribution(tfd.Normal(0.0, 2.0), low=-3.0, high=3.0),
        1.0,
    ),
    "RelaxedBernoulli": (
        lambda: legacy.RelaxedBernoulli(0.5, p=P2),
        lambda: tfd.RelaxedBernoulli(0.5, probs=P2),
        [0.3, 0.9],
    ),
    "RelaxedOneHotCategorical": (
        lambda: legacy.RelaxedOneHotCategorical(0.5, p=P3),
        lambda: tfd.RelaxedOneHotCategorical(0.5, probs=P3),
        P3,
    ),
    "StudentT": (
        lambda: legacy.StudentT(df=[3.0, 5.0], mu=[0.0, 1.0], sigma=[1.0, 2.0]),
        lambda: tfd.StudentT(df=[3.0, 5.0], loc=[0.0, 1.0], scale=[1.0, 2.0]),
        [0.3, -0.4],
    ),
    "Uniform": (
        lambda: legacy.Uniform(a=[0.0, 1.0], b=[2.0, 3.0]),
        lambda: tfd.Uniform(low=[0.0, 1.0], high=[2.0, 3.0]),
        [1.5, 2.0],
    ),
    "WishartCholesky": (
        lambda: legacy.WishartCholesky(df=4.0, scale=TRIL, cholesky_input_output_matrices=False),
        lambda: tfd.WishartTriL(df=4.0, scale_tril=TRIL, input_output_cholesky=False),
        COV,
    ),
    # The parameter-transforming classes, against the family with the transform applied.
    "BernoulliWithSigmoidP": (
        lambda: legacy.BernoulliWithSigmoidP(p=RAW),
        lambda: tfd.Bernoulli(probs=tf.sigmoid(RAW)),
        [1, 0],
    ),
    "BernoulliWithSigmoidProbs": (
        lambda: legacy.BernoulliWithSigmoidProbs(logits=RAW),
        lambda: tfd.Bernoulli(probs=tf.sigmoid(RAW)),
        [1, 0],
    ),
    "BetaWithSoftplusAB": (
        lambda: legacy.BetaWithSoftplusAB(a=RAW, b=RAW_T),
        lambda: tfd.Beta(sp(RAW), sp(RAW_T)),
        [0.3, 0.8],
    ),
    "BetaWithSoftplusConcentration": (
        lambda: legacy.BetaWithSoftplusConcentration(concentration1=RAW, concentration0=RAW_T),
        lambda: tfd.Beta(sp(RAW), sp(RAW_T)),
        [0.3, 0.8],
    ),
    "Chi2WithAbsDf": (
        lambda: legacy.Chi2WithAbsDf(df=[-3.5, 4.2]),
        lambda: tfd.Chi2(df=[3.0, 4.0]),
        [1.0, 2.0],
    ),
    "ExponentialWithSoftplusLam": (
        lambda: legacy.ExponentialWithSoftplusLam(lam=RAW),
        lambda: tfd.Exponential(sp(RAW)),
        [0.5, 1.0],
    ),
    "ExponentialWithSoftplusRate": (
        lambda: legacy.ExponentialWithSoftplusRate(rate=RAW),
        lambda: tfd.Exponential(sp(RAW)),
        [0.5, 1.0],
    ),
    "GammaWithSoftplusAlphaBeta": (
        lambda: legacy.GammaWithSoftplusAlphaBeta(alpha=RAW, beta=RAW_T),
        lambda: tfd.Gamma(sp(RAW), sp(RAW_T)),
        [0.5, 1.0],
    ),
    "GammaWithSoftplusConcentrationRate": (
        lambda: legacy.GammaWithSoftplusConcentrationRate(concentration=RAW, rate=RAW_T),
        lambda: tfd.Gamma(sp(RAW), sp(RAW_T)),
        [0.5, 1.0],
    ),
    "InverseGammaWithSoftplusAlphaBeta": (
        lambda: legacy.InverseGammaWithSoftplusAlphaBeta(alpha=RAW, beta=RAW_T),
        lambda: tfd.InverseGamma(sp(RAW), sp(RAW_T)),
        [0.5, 1.0],
    ),
    "InverseGammaWithSoftplusConcentrationRate": (
        lambda: legacy.InverseGammaWithSoftplusConcentrationRate(concentration=RAW, rate=RAW_T),
        lambda: tfd.InverseGamma(sp(RAW), sp(RAW_T)),
        [0.5, 1.0],
    ),
    "LaplaceWithSoftplusScale": (
        lambda: legacy.LaplaceWithSoftplusScale(loc=[0.0, 1.0], scale=RAW),
        lambda: tfd.Laplace([0.0, 1.0], sp(RAW)),
        [0.3, -0.4],
    ),
    "MultivariateNormalDiagWithSoftplusStDev": (
        lambda: legacy.MultivariateNormalDiagWithSoftplusStDev(mu=LOC2, diag_stdev=RAW),
        lambda: tfd.MultivariateNormalDiag(LOC2, sp(RAW)),
        [0.0, 0.0],
    ),
    "MultivariateNormalDiagWithSoftplusScale": (
        lambda: legacy.MultivariateNormalDiagWithSoftplusScale(loc=LOC2, scale_diag=RAW),
        lambda: tfd.MultivariateNormalDiag(LOC2, sp(RAW)),
        [0.0, 0.0],
    ),
    "NormalWithSoftplusSigma": (
        lambda: legacy.NormalWithSoftplusSigma(mu=[0.0, 1.0], sigma=RAW),
        lambda: tfd.Normal([0.0, 1.0], sp(RAW)),
        [0.3, -0.4],
    ),
    "NormalWithSoftplusScale": (
        lambda: legacy.NormalWithSoftplusScale(loc=[0.0, 1.0], scale=RAW),
        lambda: tfd.Normal([0.0, 1.0], sp(RAW)),
        [0.3, -0.4],
    ),
    "StudentTWithAbsDfSoftplusSigma": (
        lambda: legacy.StudentTWithAbsDfSoftplusSigma(df=[-3.5, 5.0], mu=[0.0, 1.0], sigma=RAW),
        lambda: tfd.StudentT([3.0, 5.0], [0.0, 1.0], sp(RAW)),
        [0.3, -0.4],
    ),
    "StudentTWithAbsDfSoftplusScale": (
        lambda: legacy.StudentTWithAbsDfSoftplusScale(df=[-3.5, 5.0], loc=[0.0, 1.0], scale=RAW),
        lambda: tfd.StudentT([3.0, 5.0], [0.0, 1.0], sp(RAW)),
        [0.3, -0.4],
    ),
    "WishartFull": (
        lambda: legacy.WishartFull(df=4.0, scale=COV),
        lambda: tfd.WishartTriL(df=4.0, scale_tril=tf.linalg.cholesky(COV)),
        COV,
    ),
}


def _statistics(dist, x):
    values = {"log_prob": dist.log_prob(x), "sample": dist.sample(3, seed=SEED)}
    for statistic in ("mean", "stddev", "entropy"):
        try:
            values[statistic] = getattr(dist, statistic)()
        except NotImplementedError:
            pass
    return values


def _legacy_warnings(caught):
    return [w for w in caught if issubclass(w.category, Warning_)]


# ---------------------------------------------------------------- the table covers TF 1.0


def test_every_legacy_class_has_a_case():
    assert set(legacy._LEGACY_CLASSES) <= {name.split("(")[0] for name in CASES}


@pytest.mark.parametrize("family", legacy._FAMILIES, ids=lambda f: f.name)
def test_each_rename_maps_a_tf1_keyword_onto_a_tfp_keyword(family):
    tfp_keywords = inspect.signature(family.base.__init__).parameters
    for old, new in family.renames.items():
        assert new in tfp_keywords and old not in tfp_keywords, (old, new)


@pytest.mark.parametrize("case", sorted(CASES))
def test_legacy_spelling_gives_the_same_numbers_as_tfp(regime, case):
    make_legacy, make_tfp, x = CASES[case]

    old, new = regime.run(lambda: (_statistics(make_legacy(), x), _statistics(make_tfp(), x)))
    assert old.keys() == new.keys() and {"log_prob", "sample"} <= old.keys()
    for key, value in new.items():
        # The legacy object runs TFP's own ops on the same inputs: bit-identical.
        np.testing.assert_array_equal(old[key], value, err_msg=key)


@pytest.mark.parametrize("case", sorted(CASES))
def test_objects_are_tfp_distributions_of_the_family(case):
    make_legacy, make_tfp, _ = CASES[case]
    dist, reference = make_legacy(), make_tfp()
    assert isinstance(dist, type(reference)) and isinstance(dist, tfd.Distribution)
    assert dist.batch_shape == reference.batch_shape
    assert dist.event_shape == reference.event_shape


@pytest.mark.parametrize("case", sorted(CASES))
def test_copy_slicing_and_tf_function_arguments_work(regime, case):
    make_legacy, _, x = CASES[case]

    def fn():
        dist = make_legacy()
        copy = dist.copy()
        assert type(copy) is type(dist)
        # Passing the distribution into a tf.function flattens and rebuilds it (CompositeTensor).
        values = [dist.log_prob(x), copy.log_prob(x), tf.function(lambda d: d.log_prob(x))(dist)]
        if dist.batch_shape.rank:
            values.append(dist[1:].log_prob(np.asarray(x)[1:]))
        return values

    direct, copied, through_function, *sliced = regime.run(fn)
    np.testing.assert_array_equal(copied, direct)
    # Eager and traced kernels may differ in the last bit.
    np.testing.assert_allclose(through_function, direct, rtol=1e-6)
    if sliced:
        np.testing.assert_array_equal(sliced[0], direct[1:])


def test_slicing_a_batch_of_reparameterized_raw_parameters(regime):
    # d[0] must slice the transformed scale, not re-apply softplus to it.
    def fn():
        dist = legacy.NormalWithSoftplusSigma(mu=[0.0, 1.0], sigma=RAW)
        return dist[0].stddev(), dist[1:].copy().stddev()

    first, rest = regime.run(fn)
    np.testing.assert_allclose(first, np.log1p(np.exp(RAW[0])), rtol=1e-6)
    np.testing.assert_allclose(rest, np.log1p(np.exp(RAW[1:])), rtol=1e-6)


def test_kl_divergence_dispatches_to_the_tfp_parent(regime):
    # KL(N(a, s1) || N(b, s2)) = log(s2 / s1) + (s1^2 + (a - b)^2) / (2 s2^2) - 1/2.
    a, s1, b, s2 = 0.5, 0.8, -1.0, 1.5
    expected = np.log(s2 / s1) + (s1**2 + (a - b) ** 2) / (2 * s2**2) - 0.5

    def fn():
        p, q = legacy.Normal(mu=a, sigma=s1), legacy.Normal(mu=b, sigma=s2)
        mvn = legacy.MultivariateNormalCholesky(mu=LOC2, chol=TRIL)
        mvn_tfp = tfd.MultivariateNormalTriL(LOC2, TRIL)
        standard = tfd.MultivariateNormalDiag(tf.zeros(2))
        return (
            tfd.kl_divergence(p, q),
            legacy.kl(p, q),
            legacy.kl(legacy.NormalWithSoftplusSigma(a, legacy.softplus_inverse(s1)), q),
            legacy.kl(mvn, standard),
            tfd.kl_divergence(mvn_tfp, standard),
        )

    kl, legacy_kl, softplus_kl, mvn_kl, mvn_expected = regime.run(fn)
    np.testing.assert_allclose([kl, legacy_kl, softplus_kl], [expected] * 3, rtol=1e-5)
    np.testing.assert_array_equal(mvn_kl, mvn_expected)


def test_kl_raises_on_nan_unless_allowed_like_tf_1_0(regime):
    def kl(**kwargs):
        return legacy.kl(legacy.Normal(mu=np.nan, sigma=1.0), legacy.Normal(0.0, 1.0), **kwargs)

    assert np.isnan(regime.run(lambda: kl(allow_nan=True)))
    with pytest.raises(tf.errors.InvalidArgumentError):
        regime.run(kl)


def test_kl_without_a_registered_pair_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="No KL"):
        legacy.kl(legacy.Normal(0.0, 1.0), legacy.Bernoulli(p=0.5))


def test_monte_carlo_expectation_accepts_legacy_distributions(regime):
    mu, raw, n = 0.5, 0.3, 20000
    s = np.log1p(np.exp(raw))

    def fn():
        raw_t = tf.constant(raw)
        with tf.GradientTape() as tape:
            tape.watch(raw_t)
            q = legacy.NormalWithSoftplusSigma(mu=mu, sigma=raw_t)
            second_moment = monte_carlo.expectation(tf.square, q, n=n, seed=SEED)
        return second_moment, tape.gradient(second_moment, raw_t)

    second_moment, grad = regime.run(fn)
    # E[x^2] = mu^2 + s^2, Var[x^2] = 4 mu^2 s^2 + 2 s^4. Pathwise, x = mu + s eps:
    # d x^2 / d raw = 2 x eps sigmoid(raw), Var[x eps] = mu^2 + 2 s^2.
    sigmoid = 1 / (1 + np.exp(-raw))
    helpers.assert_within(
        second_moment, mu**2 + s**2, helpers.mc_tolerance(np.sqrt(4 * mu**2 * s**2 + 2 * s**4), n)
    )
    helpers.assert_within(
        grad, 2 * s * sigmoid, helpers.mc_tolerance(2 * sigmoid * np.sqrt(mu**2 + 2 * s**2), n)
    )


# ---------------------------------------------------------------- keywords and signatures


CONFLICTS = [
    (family.name, old, new) for family in legacy._FAMILIES for old, new in family.renames.items()
]


@pytest.mark.parametrize("name, old, new", CONFLICTS, ids=[f"{c[0]}-{c[1]}" for c in CONFLICTS])
def test_old_and_new_name_for_one_parameter_is_a_type_error(name, old, new):
    with pytest.raises(TypeError, match=rf"{name}\(\) got both '{old}'.*'{new}'"):
        getattr(legacy, name)(**{old: 1.0, new: 1.0})


@pytest.mark.parametrize(
    "build, names",
    [
        (lambda: legacy.Normal(0.0, mu=1.0), ("mu", "loc")),
        (lambda: legacy.InverseGamma(2.0, beta=1.0, rate=1.0), ("rate", "beta")),
        (
            lambda: legacy.WishartFull(2.0, COV, True, cholesky_input_output_matrices=True),
            ("cholesky_input_output_matrices", "input_output_cholesky"),
        ),
    ],
    ids=["positional", "two-legacy-names", "reparameterized-option"],
)
def test_conflicts_with_positional_and_other_legacy_names(build, names):
    with pytest.raises(TypeError, match=f"'{names[0]}'.*'{names[1]}'"):
        build()


def test_unknown_and_missing_arguments_name_the_class():
    with pytest.raises(TypeError, match=r"Normal\(loc, scale.*unexpected keyword argument 'nu'"):
        legacy.Normal(0.0, 1.0, nu=1.0)
    with pytest.raises(TypeError, match=r"NormalWithSoftplusSigma\(mu, sigma.*'sigma'"):
        legacy.NormalWithSoftplusSigma(mu=0.0)


def test_positional_order_is_tf1s_and_tfp_additions_are_keyword_only():
    signature = inspect.signature(legacy.Exponential)
    assert list(signature.parameters)[:4] == ["rate", "validate_args", "allow_nan_stats", "name"]
    assert signature.parameters["force_probs_to_zero_outside_support"].kind is (
        inspect.Parameter.KEYWORD_ONLY
    )
    # TF 1.0: Exponential(lam, validate_args, ...); TFP's second slot is another flag.
    assert legacy.Exponential(1.0, True).validate_args
    assert legacy.Poisson(2.0, True).validate_args
    assert legacy.Gamma(2.0, 3.0, True).validate_args
    assert list(inspect.signature(legacy.StudentTWithAbsDfSoftplusSigma).parameters)[:3] == [
        "df", "mu", "sigma",
    ]


def test_user_subclasses_keep_legacy_keywords_or_their_own_constructor():
    class NotReparameterized(legacy.Normal):  # the TF 1.0 test idiom
        @property
        def is_reparameterized(self):
            return False

    class Shifted(legacy.Normal):
        def __init__(self, mu, sigma):
            super().__init__(loc=mu + 1.0, scale=sigma)

    fake = NotReparameterized(mu=0.0, sigma=1.0)
    assert float(fake.loc) == 0.0 and not dist_util.is_reparameterized(fake)
    assert float(Shifted(mu=1.0, sigma=2.0).mean()) == 2.0


# ---------------------------------------------------------------- legacy methods


@pytest.mark.parametrize(
    "make, legacy_name, modern_name",
    [
        (lambda: legacy.Normal(mu=[0.0, 1.0], sigma=2.0), "log_pdf", "log_prob"),
        (lambda: legacy.Normal(mu=[0.0, 1.0], sigma=2.0), "pdf", "prob"),
        (lambda: legacy.Poisson(lam=[1.0, 3.0]), "log_pmf", "log_prob"),
        (lambda: legacy.Bernoulli(p=P2), "pmf", "prob"),
    ],
)
def test_density_aliases_give_the_same_numbers(regime, make, legacy_name, modern_name):
    x = [1, 0] if legacy_name == "pmf" else [1.0, 2.0]

    def fn():
        dist = make()
        return getattr(dist, legacy_name)(x), getattr(dist, modern_name)(x)

    old, new = regime.run(fn)
    np.testing.assert_array_equal(old, new)


def test_std_and_sample_n_give_the_same_numbers(regime):
    def fn():
        dist = legacy.StudentT(df=5.0, mu=[0.0, 1.0], sigma=[1.0, 3.0])
        return dist.std(), dist.stddev(), dist.sample_n(4, seed=SEED), dist.sample(4, seed=SEED)

    std, stddev, sample_n, sample = regime.run(fn)
    np.testing.assert_array_equal(std, stddev)
    np.testing.assert_allclose(std, np.array([1.0, 3.0]) * np.sqrt(5 / 3), rtol=1e-6)
    assert sample_n.shape == (4, 2)
    np.testing.assert_array_equal(sample_n, sample)


@pytest.mark.parametrize(
    "make, method",
    [
        (lambda: legacy.Poisson(lam=1.0), "log_pdf"),
        (lambda: legacy.Bernoulli(p=0.5), "pdf"),
        (lambda: legacy.Normal(mu=0.0, sigma=1.0), "log_pmf"),
        (lambda: legacy.Gamma(alpha=1.0, beta=1.0), "pmf"),
    ],
)
def test_density_of_discrete_and_mass_of_continuous_are_type_errors_like_tf_1_0(make, method):
    kind = "non-continuous" if method.endswith("pdf") else "continuous"
    with pytest.raises(TypeError, match=f"^{method} is undefined for {kind} distributions"):
        getattr(make(), method)(1.0)


def test_static_shape_getters_return_tensor_shapes():
    dist = legacy.MultivariateNormalDiag(mu=tf.zeros([3, 2]), diag_stdev=tf.ones([3, 2]))
    assert isinstance(dist.get_batch_shape(), tf.TensorShape)
    assert dist.get_batch_shape() == [3] and dist.get_event_shape() == [2]


@pytest.mark.parametrize(
    "case, continuous, reparameterized",
    [
        ("Normal", True, True),
        ("Gamma", True, True),
        ("Mixture", True, False),
        ("RelaxedBernoulli", True, True),
        ("Bernoulli", False, False),
        ("Categorical", False, False),
        ("Poisson", False, False),
        ("Binomial", False, False),
        ("QuantizedDistribution", False, False),
        ("NormalWithSoftplusSigma", True, True),
    ],
)
def test_legacy_flags(case, continuous, reparameterized):
    dist = CASES[case][0]()
    assert dist.is_continuous is continuous
    assert dist.is_reparameterized is reparameterized
    assert dist_util.is_reparameterized(dist) is (continuous and reparameterized)


def test_is_reparameterized_follows_an_overridden_reparameterization_type():
    class NotReparameterized(legacy.Normal):  # the TF 1.1+ test idiom
        @property
        def reparameterization_type(self):
            return tfd.NOT_REPARAMETERIZED

    assert NotReparameterized(0.0, 1.0).is_reparameterized is False


def test_tf1_parameter_attributes():
    assert float(legacy.Normal(mu=1.0, sigma=2.0).sigma) == 2.0
    np.testing.assert_array_equal(legacy.Dirichlet([1.0, 2.0]).alpha, [1.0, 2.0])
    # Bernoulli.p was always available in TF 1.0, also when built from logits.
    assert float(legacy.Bernoulli(logits=0.0).p) == 0.5
    # NormalWithSoftplusSigma.sigma was the softplus-ed value.
    np.testing.assert_allclose(
        legacy.NormalWithSoftplusSigma(0.0, RAW).sigma, np.log1p(np.exp(RAW)), rtol=1e-6
    )


def test_plain_tfp_classes_are_untouched():
    dist = tfd.Normal(0.0, 1.0)
    for name in ("log_pdf", "std", "sample_n", "mu", "is_reparameterized", "get_batch_shape"):
        assert not hasattr(dist, name), name
    for name in tfd.__all__:
        if name not in legacy._LEGACY_CLASSES:
            assert getattr(legacy, name) is getattr(tfd, name), name
    assert set(tfd.__all__) <= set(legacy.__all__)


# ---------------------------------------------------------------- parameter-transforming classes


def test_softplus_scale_and_its_gradient(regime):
    x = np.array([0.3, -2.0], np.float32)

    def fn():
        raw = tf.constant(RAW)
        with tf.GradientTape() as tape:
            tape.watch(raw)
            dist = legacy.NormalWithSoftplusScale(loc=[0.0, 1.0], scale=raw)
            log_prob = dist.log_prob(x)
        return dist.scale, tape.gradient(log_prob, raw)

    scale, grad = regime.run(fn)
    s = np.log1p(np.exp(RAW.astype(np.float64)))
    np.testing.assert_allclose(scale, s, rtol=1e-6)
    # d/draw log N(x; m, s) = (-1/s + (x - m)^2 / s^3) * sigmoid(raw).
    expected = (-1 / s + (x - [0.0, 1.0]) ** 2 / s**3) / (1 + np.exp(-RAW))
    np.testing.assert_allclose(grad, expected, rtol=1e-5)


def test_a_variable_raw_parameter_is_followed_after_updates(regime):
    # Built once (eagerly in the eager and function regimes, as a graph op in the graph one),
    # the distribution must see each assignment, as TF1's graph did at every Session.run.
    def make_step():
        raw = tf.Variable([0.0, -1.0])
        dist = legacy.NormalWithSoftplusSigma(mu=0.0, sigma=raw)
        copy = dist.copy()

        def step():
            # Read, then assign (a graph orders ops only by their dependencies).
            values = dist.stddev(), copy.stddev()
            with tf.control_dependencies(values):
                update = raw.assign_add([1.0, 1.0])
            with tf.control_dependencies([update]):
                return [tf.identity(value) for value in values]

        return step

    expected = np.log1p(np.exp([[0.0, -1.0], [1.0, 0.0], [2.0, 1.0]]))
    for (stddev, copied), want in zip(regime.iterate(make_step, steps=3), expected):
        np.testing.assert_allclose(stddev, want, rtol=1e-6)
        np.testing.assert_allclose(copied, want, rtol=1e-6)


def test_graph_mode_parameters_are_fetchable_tensors():
    # TF1 code runs `sess.run(q.sigma)` and `sess.run(chi2.mean())` on these.
    with tf.Graph().as_default():
        raw = tf.compat.v1.get_variable("raw", initializer=RAW)
        q = legacy.NormalWithSoftplusSigma(mu=0.0, sigma=raw)
        chi2 = legacy.Chi2WithAbsDf(df=raw)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            scale, df = session.run([q.sigma, chi2.mean()])
    np.testing.assert_allclose(scale, np.log1p(np.exp(RAW)), rtol=1e-6)
    np.testing.assert_array_equal(df, [1.0, 0.0])


@pytest.mark.parametrize(
    "cls, sample_shape, expected",
    [
        (legacy.NormalWithSoftplusSigma, [2, 3], {"mu": [2, 3], "sigma": [2, 3]}),
        (legacy.NormalWithSoftplusScale, (4,), {"loc": [4], "scale": [4]}),
        (legacy.Normal, tf.TensorShape([5]), {"loc": [5], "scale": [5]}),
        (legacy.Gamma, [2], {"concentration": [2], "rate": [2]}),
        (legacy.Bernoulli, [2], {"logits": [2]}),
        (legacy.MultivariateNormalCholesky, [4, 3], {"loc": [4, 3], "scale_tril": [4, 3, 3]}),
        (legacy.WishartFull, [4, 3, 3], {"df": [4], "scale": [4, 3, 3]}),
    ],
)
def test_param_static_shapes(cls, sample_shape, expected):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shapes = cls.param_static_shapes(sample_shape)
    # No TFP deprecation: only our own warning may appear.
    assert all(issubclass(w.category, Warning_) for w in caught), [str(w.message) for w in caught]
    assert shapes == {name: tf.TensorShape(shape) for name, shape in expected.items()}
    assert all(isinstance(shape, tf.TensorShape) for shape in shapes.values())


def test_param_static_shapes_build_the_distribution_the_legacy_getter_way(regime):
    # What stochastic_variables does: one tensor per named parameter, then cls(**params).
    def fn():
        shapes = legacy.NormalWithSoftplusSigma.param_static_shapes([2, 3])
        dist = legacy.NormalWithSoftplusSigma(**{k: tf.zeros(s) for k, s in shapes.items()})
        assert dist.batch_shape == [2, 3]
        dynamic = legacy.NormalWithSoftplusSigma.param_shapes([2, 3])
        return dist.stddev(), dynamic["mu"], dynamic["sigma"]

    stddev, mu_shape, sigma_shape = regime.run(fn)
    np.testing.assert_allclose(stddev, np.full([2, 3], np.log(2.0)), rtol=1e-6)
    np.testing.assert_array_equal(mu_shape, [2, 3])
    np.testing.assert_array_equal(sigma_shape, [2, 3])


def test_param_static_shapes_needs_a_fully_defined_shape():
    with pytest.raises(ValueError, match="fully defined"):
        legacy.Normal.param_static_shapes(tf.TensorShape([None, 2]))


def test_raw_parameters_are_unconstrained_in_parameter_properties():
    properties = legacy.NormalWithSoftplusSigma.parameter_properties()
    assert set(properties) == {"mu", "sigma"}
    assert isinstance(properties["sigma"].default_constraining_bijector_fn(), tfp.bijectors.Identity)


# ---------------------------------------------------------------- functions


def test_normal_conjugates_known_sigma(regime):
    # Prior N(0, 1), sigma = 2, n = 2 observations summing to 3:
    # 1/s'^2 = 1 + 2/4 -> s'^2 = 2/3; loc' = s'^2 * 3/4 = 0.5; predictive var = s'^2 + 4.
    def fn():
        prior = legacy.Normal(mu=0.0, sigma=1.0)
        posterior = legacy.normal_conjugates_known_sigma_posterior(prior, 2.0, tf.constant(3.0), 2)
        predictive = legacy.normal_conjugates_known_sigma_predictive(
            prior, 2.0, tf.constant(3.0), 2
        )
        assert isinstance(posterior, legacy.Normal) and isinstance(predictive, legacy.Normal)
        return posterior.mean(), posterior.stddev(), predictive.mean(), predictive.stddev()

    np.testing.assert_allclose(
        regime.run(fn), [0.5, np.sqrt(2 / 3), 0.5, np.sqrt(2 / 3 + 4)], rtol=1e-6
    )


def test_softplus_inverse(regime):
    x = np.array([1e-3, 0.5, 3.0, 30.0], np.float32)
    np.testing.assert_allclose(
        regime.run(lambda: legacy.softplus_inverse(x)), np.log(np.expm1(x.astype(np.float64))),
        rtol=1e-5,
    )


def test_constants_and_base_classes_are_tfps():
    assert legacy.FULLY_REPARAMETERIZED is tfd.FULLY_REPARAMETERIZED
    assert legacy.NOT_REPARAMETERIZED is tfd.NOT_REPARAMETERIZED
    assert legacy.Distribution is tfd.Distribution
    assert legacy.ReparameterizationType is tfd.ReparameterizationType
    assert legacy.RegisterKL is tfd.RegisterKL
    assert legacy.kl_divergence is tfd.kl_divergence


# ---------------------------------------------------------------- deprecation warnings


def _record(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return _legacy_warnings(caught)


def test_each_legacy_keyword_warns_once_at_the_caller(fresh_deprecations):
    line = inspect.currentframe().f_lineno + 3

    def build():
        legacy.Normal(mu=0.0, sigma=1.0)

    caught = _record(lambda: (build(), build()))
    assert [str(w.message).split(" is legacy")[0] for w in caught] == [
        "distributions.Normal(mu=...)", "distributions.Normal(sigma=...)",
    ]
    assert "tfp.distributions.Normal(loc=...)" in str(caught[0].message)
    assert "tfp.distributions.Normal(scale=...)" in str(caught[1].message)
    assert all(w.filename == __file__ and w.lineno == line for w in caught)


@pytest.mark.parametrize(
    "use, modern",
    [
        (lambda d: d.log_pdf(0.0), "log_prob"),
        (lambda d: d.pdf(0.0), "Distribution.prob"),
        (lambda d: d.std(), "stddev"),
        (lambda d: d.sample_n(2), "sample(n, seed=seed)"),
        (lambda d: d.get_batch_shape(), "batch_shape"),
        (lambda d: d.get_event_shape(), "event_shape"),
        (lambda d: d.is_reparameterized, "FULLY_REPARAMETERIZED"),
        (lambda d: d.is_continuous, "is_floating"),
        (lambda d: d.mu, "Normal.loc"),
        (lambda d: type(d).param_static_shapes([1]), "parameter_properties()"),
    ],
)
def test_each_method_alias_warns_once_naming_the_modern_spelling(fresh_deprecations, use, modern):
    dist, other = legacy.Normal(0.0, 1.0), legacy.Normal(1.0, 2.0)
    caught = _record(lambda: (use(dist), use(other)))
    assert len(caught) == 1 and modern in str(caught[0].message)
    assert caught[0].filename == __file__


def test_pmf_aliases_warn(fresh_deprecations):
    caught = _record(lambda: (legacy.Poisson(1.0).log_pmf(1.0), legacy.Poisson(1.0).pmf(1.0)))
    assert ["log_prob" in str(caught[0].message), "prob" in str(caught[1].message)] == [True] * 2


def test_renamed_and_reparameterized_classes_warn_with_their_replacement(fresh_deprecations):
    caught = _record(
        lambda: legacy.MultivariateNormalCholesky(loc=LOC2, scale_tril=TRIL).copy()[...]
    )
    assert len(caught) == 1
    assert "use tfp.distributions.MultivariateNormalTriL." in str(caught[0].message)
    caught = _record(lambda: legacy.NormalWithSoftplusSigma(0.0, 1.0))
    assert len(caught) == 1 and (
        "tfp.distributions.Normal(loc=mu, scale=tfp.util.DeferredTensor(sigma, tf.math.softplus))"
        in str(caught[0].message)
    )


def test_modern_spellings_and_internal_reads_do_not_warn(fresh_deprecations, regime):
    def fn():
        dist = legacy.Normal(loc=[0.0, 1.0], scale=1.0)
        assert dist_util.is_reparameterized(dist)  # reads is_reparameterized internally
        return dist.copy()[1:].log_prob(0.0), dist.stddev()

    with warnings.catch_warnings():
        warnings.simplefilter("error", Warning_)
        regime.run(fn)
