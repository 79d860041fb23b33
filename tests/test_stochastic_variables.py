"""Tests of `stochastic_variables`: the legacy custom-getter tests, the regimes TF's variable scopes
support, argument errors, and a Bayesian linear regression trained with `elbo`."""
import contextlib
import itertools
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import BayesflowDeprecationWarning
from tf_contrib_bayesflow import distributions as contrib_distributions
from tf_contrib_bayesflow import stochastic_tensor as st_lib
from tf_contrib_bayesflow import stochastic_variables as sv
from tf_contrib_bayesflow import variational_inference as vi

tfd = tfp.distributions
SoftplusScale = contrib_distributions.NormalWithSoftplusScale


def _softplus(x):
    return np.log1p(np.exp(x))


def _scoped(getter, build, scope="stochastic_variables"):
    with tf.compat.v1.variable_scope(scope, custom_getter=getter):
        return build()


_scope_numbers = itertools.count()


def _unique(name):
    """A scope name used once per process: inside tf.function, TensorFlow's get_variable shares
    variables by name with every other function of the process (its eager-mode store)."""
    return f"{name}_{next(_scope_numbers)}"


@contextlib.contextmanager
def _recording(created, scope="record"):
    """An outer custom getter that records the variables the inner (stochastic) getter creates:
    custom getters compose, the inner one's `getter` is this one."""

    def record(getter, *args, **kwargs):
        variable = getter(*args, **kwargs)
        if all(variable is not seen for seen in created):
            created.append(variable)
        return variable

    with tf.compat.v1.variable_scope(scope, custom_getter=record):
        yield


# ---------------------------------------------------------------- legacy tests


def test_get_variable_returns_a_stochastic_tensor_in_graph_mode():
    with tf.Graph().as_default():
        getter = sv.make_stochastic_variable_getter(dist_cls=SoftplusScale)
        stochastic = _scoped(getter, lambda: tf.compat.v1.get_variable("sv", (10, 20)))
        assert isinstance(stochastic, st_lib.StochasticTensor)
        names = {v.op.name for v in tf.compat.v1.global_variables()}
        assert names == {"stochastic_variables/sv_loc", "stochastic_variables/sv_scale"}
        assert {v.op.name for v in tf.compat.v1.trainable_variables()} == names
        assert tf.convert_to_tensor(stochastic).shape == (10, 20)
        # NormalWithSoftplusScale builds a TFP Normal whose scale is softplus(raw scale).
        dist = stochastic.distribution
        assert isinstance(dist, tfd.Normal)
        raw = tf.compat.v1.global_variables()[1]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            scale, raw_value = session.run([dist.scale, raw])
        np.testing.assert_allclose(scale, _softplus(raw_value), rtol=1e-6)


def test_stochastic_variables_in_every_regime(regime):
    created, scope, templates = [], _unique("model"), []

    def fn():
        getter = sv.make_stochastic_variable_getter(dist_cls=SoftplusScale)

        def build():
            with _recording(created):
                return _scoped(getter, lambda: tf.compat.v1.get_variable("sv", (4, 3)))

        # tf.function traces again after a trace that created variables: keep one template.
        templates or templates.append(tf.compat.v1.make_template(scope, build))
        model = templates[0]
        first, second = model(), model()  # the template's store reuses the variables
        assert [v.name for v in created] == [
            f"{scope}/record/stochastic_variables/sv_loc:0",
            f"{scope}/record/stochastic_variables/sv_scale:0",
        ]
        return first.value(), second.value(), created[0], created[1], first.distribution.scale

    first, second, loc, raw, scale = regime.run(fn)
    assert first.shape == second.shape == loc.shape == raw.shape == (4, 3)
    assert not np.array_equal(first, second)  # a fresh draw per call
    np.testing.assert_allclose(scale, _softplus(raw), rtol=1e-6)


def test_constant_and_callable_initializers(regime):
    seen, created, scope = [], [], _unique("init")

    def callable_initializer(shape, dtype=None, partition_info=None):
        seen.append((tuple(shape), dtype, partition_info))
        return tf.fill(shape, tf.constant(-0.5, dtype))

    def fn():
        dist_kwargs = {"validate_args": True}
        constants = sv.make_stochastic_variable_getter(
            dist_cls=SoftplusScale, dist_kwargs=dist_kwargs,
            param_initializers={
                "loc": 4 * np.ones((10, 20), np.float32), "scale": 2 * np.ones((10, 20), np.float32)
            },
        )
        by_callable = sv.make_stochastic_variable_getter(
            dist_cls=SoftplusScale, param_initializers={"scale": callable_initializer}
        )
        with _recording(created, scope):
            constant_st = _scoped(constants, lambda: tf.compat.v1.get_variable("sv"))  # no shape
            callable_st = _scoped(by_callable, lambda: tf.compat.v1.get_variable("cv", [2]))
        assert constant_st.distribution.validate_args and dist_kwargs == {"validate_args": True}
        assert callable_st.value().shape == (2,)
        loc, raw, _, callable_raw = created
        return constant_st.value(), loc, raw, constant_st.distribution.scale, callable_raw

    value, loc, raw, scale, callable_raw = regime.run(fn)
    assert value.shape == (10, 20)
    np.testing.assert_array_equal(loc, np.full((10, 20), 4.0))
    np.testing.assert_array_equal(raw, np.full((10, 20), 2.0))
    np.testing.assert_allclose(scale, np.full((10, 20), _softplus(2.0)), rtol=1e-6)
    np.testing.assert_array_equal(callable_raw, [-0.5, -0.5])
    assert seen and seen[0][0] == (2,) and seen[0][1] == tf.float32


def test_priors_are_registered_for_elbo(regime):
    scope_w, scope_v = _unique("prior"), _unique("prior")

    def fn():
        x = tf.ones([2, 10])
        prior = tfd.Normal(0.0, 1.0)
        getter = sv.make_stochastic_variable_getter(dist_cls=SoftplusScale, prior=prior)
        by_shape = sv.make_stochastic_variable_getter(
            dist_cls=SoftplusScale,
            prior=lambda shape, dtype: tfd.Normal(tf.zeros(shape, dtype), tf.ones(shape, dtype)),
        )
        w = _scoped(getter, lambda: tf.compat.v1.get_variable("w", (10, 20)), scope_w)
        v = _scoped(by_shape, lambda: tf.compat.v1.get_variable("v", (20,)), scope_v)
        y = tf.linalg.matvec(tf.matmul(x, w), v)
        if regime.is_eager:  # no graph to walk: read the eager registry
            registered = vi._registered_priors()
            found = {w: registered[w], v: registered[v]}
        else:
            found = vi._find_variational_and_priors(y, None)
        assert list(found) == [w, v] and found[w] is prior
        assert found[v].batch_shape == (20,)
        bound = vi.elbo(y, found if regime.is_eager else None, keep_batch_dim=False)
        kl_w = tf.reduce_sum(tfd.kl_divergence(w.distribution, prior))
        kl_v = tf.reduce_sum(tfd.kl_divergence(v.distribution, found[v]))
        return bound, y + -kl_w + -kl_v

    bound, expected = regime.run(fn)
    assert bound.shape == (2,)
    np.testing.assert_array_equal(bound, expected)


def test_dist_kwargs_are_not_mutated():
    with tf.Graph().as_default():
        dist_kwargs = {"validate_args": True}
        getter = sv.make_stochastic_variable_getter(SoftplusScale, dist_kwargs=dist_kwargs)
        first = _scoped(getter, lambda: tf.compat.v1.get_variable("a", [2]))
        second = _scoped(getter, lambda: tf.compat.v1.get_variable("b", [3]))
        # Departure: legacy wrote the parameter variables into the caller's dict.
        assert dist_kwargs == {"validate_args": True}
        assert first.distribution.validate_args and second.distribution.validate_args
        assert second.value().shape == (3,)


def test_default_class_and_legacy_parameter_names():
    with tf.Graph().as_default():
        default = _scoped(
            sv.make_stochastic_variable_getter(None),
            lambda: tf.compat.v1.get_variable("d", [2]),
        )
        sigma = _scoped(
            sv.make_stochastic_variable_getter(contrib_distributions.NormalWithSoftplusSigma),
            lambda: tf.compat.v1.get_variable("s", [2]),
        )
        plain = _scoped(
            sv.make_stochastic_variable_getter(
                tfd.Normal, param_initializers={"scale": tf.compat.v1.ones_initializer()}
            ),
            lambda: tf.compat.v1.get_variable("p", [2]),
        )
        names = [v.op.name for v in tf.compat.v1.global_variables()]
        assert names == [
            "stochastic_variables/d_loc", "stochastic_variables/d_scale",
            "stochastic_variables/s_mu", "stochastic_variables/s_sigma",
            "stochastic_variables/p_loc", "stochastic_variables/p_scale",
        ]
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            raws = session.run(tf.compat.v1.global_variables()[1::2])
            scales = session.run([s.distribution.scale for s in (default, sigma, plain)])
        np.testing.assert_allclose(scales[0], _softplus(raws[0]), rtol=1e-6)
        np.testing.assert_allclose(scales[1], _softplus(raws[1]), rtol=1e-6)
        np.testing.assert_array_equal(scales[2], [1.0, 1.0])  # tfd.Normal: the raw value


def test_get_variable_keywords_reach_every_parameter():
    with tf.Graph().as_default():
        getter = sv.make_stochastic_variable_getter(SoftplusScale)
        stochastic = _scoped(getter, lambda: tf.compat.v1.get_variable(
            "k", [3], dtype=tf.float64, trainable=False,
            initializer=tf.compat.v1.constant_initializer(7.0),
            regularizer=tf.reduce_sum,
        ))
        loc, raw = tf.compat.v1.global_variables()
        assert stochastic.dtype == tf.float64 and loc.dtype.base_dtype == tf.float64
        assert tf.compat.v1.trainable_variables() == []
        assert len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)) == 2
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            loc_value, raw_value = session.run([loc, raw])
        # Legacy: only the first parameter takes get_variable's initializer (departure: always
        # the class's first parameter, loc; legacy's set order varied between runs).
        np.testing.assert_array_equal(loc_value, [7.0, 7.0, 7.0])
        assert not np.any(raw_value == 7.0)


def test_graph_mode_reuse_gives_the_same_variables_and_a_new_stochastic_tensor():
    with tf.Graph().as_default():
        getter = sv.make_stochastic_variable_getter(SoftplusScale)
        with tf.compat.v1.variable_scope("layer", custom_getter=getter):
            first = tf.compat.v1.get_variable("w", [2])
        with tf.compat.v1.variable_scope("layer", custom_getter=getter, reuse=True):
            second = tf.compat.v1.get_variable("w", [2])
        assert first is not second and len(tf.compat.v1.global_variables()) == 2
        with tf.compat.v1.variable_scope("layer", custom_getter=getter):
            with pytest.raises(ValueError, match="already exists"):
                tf.compat.v1.get_variable("w", [2])


def test_eager_without_a_variable_store_creates_new_variables_as_tensorflow_does():
    getter = sv.make_stochastic_variable_getter(SoftplusScale)
    scope = _unique("eager")
    created = []
    with _recording(created, scope):
        _scoped(getter, lambda: tf.compat.v1.get_variable("w", [2]), scope)
        _scoped(getter, lambda: tf.compat.v1.get_variable("w", [2]), scope)
    assert len(created) == 4  # TensorFlow's eager get_variable: no store, no sharing


def test_function_creates_variables_on_its_first_trace_only():
    getter = sv.make_stochastic_variable_getter(SoftplusScale, prior=tfd.Normal(0.0, 1.0))
    scope = _unique("function")
    traced, created = [], []

    @tf.function
    def draw(shift):
        with _recording(created, scope):
            stochastic = _scoped(getter, lambda: tf.compat.v1.get_variable("w", [3]), scope)
        traced.append(stochastic)
        return stochastic.value() + shift, vi.elbo(tf.reduce_sum(tf.identity(stochastic)))

    (a, _), (b, _), (c, _) = draw(0.0), draw(0.0), draw(0.0)
    assert len(created) == 2 and len({tuple(a.numpy()), tuple(b.numpy()), tuple(c.numpy())}) == 3
    traces = len(traced)  # TensorFlow traces again after a trace that created variables
    draw(tf.zeros(3))  # a new input signature: a new trace, the same variables (by name)
    assert len(traced) == traces + 1 and len(created) == 2


def test_eager_reuse_of_a_function_variable_name_is_a_clear_error():
    getter = sv.make_stochastic_variable_getter(SoftplusScale)
    scope = _unique("shared")

    @tf.function
    def build():
        return tf.identity(_scoped(getter, lambda: tf.compat.v1.get_variable("w", [2]), scope))

    build()
    # TensorFlow's own error here is "AttributeError: Tensor.op is undefined ...".
    with pytest.raises(ValueError, match=f"Variable {scope}/w_loc already exists.*tf.function"):
        _scoped(getter, lambda: tf.compat.v1.get_variable("w", [2]), scope)


_FRESH_PROCESS_SCRIPT = """
import warnings
warnings.simplefilter("ignore")
import tensorflow as tf
from tf_contrib_bayesflow import stochastic_variables, variational_inference

getter = stochastic_variables.make_stochastic_variable_getter(
    None, param_initializers={"loc": [0.0, 1.0], "scale": [1.0, 2.0]},
    prior=lambda shape, dtype: __import__("tensorflow_probability").distributions.Normal(
        tf.zeros(shape, dtype), 1.0))
traces = []

@tf.function
def step(shift):
    with tf.compat.v1.variable_scope("layer", custom_getter=getter):
        w = tf.compat.v1.get_variable("w")
    traces.append(w)
    return variational_inference.elbo(tf.reduce_sum(tf.identity(w) + shift))

step(0.0), step(0.0), step(tf.zeros(2))
assert len(traces) >= 2, traces  # re-traced, and the variables came back by name
print("FRESH-OK")
"""


def test_function_retraces_in_a_fresh_process():
    # In a fresh process TensorFlow's plain get_variable fails on the re-trace that follows a
    # variable-creating trace; once any eager variable scope was used it does not. A
    # subprocess gives the fresh state that this test process no longer has.
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS_SCRIPT], capture_output=True, text=True,
        timeout=300, cwd=pathlib.Path(__file__).parents[1],
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )
    assert result.returncode == 0 and "FRESH-OK" in result.stdout, result.stderr[-3000:]


# ---------------------------------------------------------------- errors


def test_argument_errors_before_any_variable_exists():
    with tf.Graph().as_default():
        for kwargs, error, match in (
            ({"dist_cls": "Normal"}, TypeError, "dist_cls must be a distribution class"),
            ({"dist_cls": SoftplusScale, "dist_kwargs": [1]}, TypeError, "dist_kwargs must be"),
            ({"dist_cls": SoftplusScale, "param_initializers": 1.0}, TypeError,
             "param_initializers must be"),
            ({"dist_cls": SoftplusScale, "prior": 1.0}, TypeError, "prior must be a Distribution"),
        ):
            with pytest.raises(error, match=match):
                sv.make_stochastic_variable_getter(**kwargs)
            getter = lambda getter, **rest: sv.get_stochastic_variable(getter, **rest, **kwargs)
            with pytest.raises(error, match=match):
                _scoped(getter, lambda: tf.compat.v1.get_variable("w", [2]))
        assert tf.compat.v1.global_variables() == []


def test_errors_while_building():
    with tf.Graph().as_default():
        def no_shapes(**parameters):
            return tfd.Normal(**parameters)

        getter = sv.make_stochastic_variable_getter(no_shapes)
        # Legacy: AttributeError for a class without param_static_shapes when a shape is given.
        with pytest.raises(AttributeError, match="dist_cls .* has no param_static_shapes"):
            _scoped(getter, lambda: tf.compat.v1.get_variable("w", [2]))
        # Without a shape, constant initializers are enough.
        constants = sv.make_stochastic_variable_getter(
            no_shapes, param_initializers={"loc": [0.0, 1.0], "scale": [1.0, 2.0]}
        )
        assert _scoped(constants, lambda: tf.compat.v1.get_variable("c")).value().shape == (2,)
        bad_prior = sv.make_stochastic_variable_getter(SoftplusScale, prior=lambda s, d: 3.0)
        with pytest.raises(TypeError, match="prior must be a Distribution"):
            _scoped(bad_prior, lambda: tf.compat.v1.get_variable("p", [2]))
        # Legacy: no shape and no constant initializer creates no parameter, so the class
        # misses its arguments.
        with pytest.raises(TypeError, match="missing a required argument: 'loc'"):
            _scoped(sv.make_stochastic_variable_getter(SoftplusScale),
                    lambda: tf.compat.v1.get_variable("n"))
        callable_prior = sv.make_stochastic_variable_getter(
            SoftplusScale, prior=lambda shape, dtype: tfd.Normal(tf.zeros(shape, dtype), 1.0)
        )
        draws = tf.compat.v1.placeholder(tf.int32, [1])
        with st_lib.value_type(st_lib.SampleValue(draws)):
            with pytest.raises(ValueError, match="fully defined"):
                _scoped(callable_prior, lambda: tf.compat.v1.get_variable("u", [2]))


def test_tensor_initializers_inside_a_function_are_a_clear_error():
    getter = sv.make_stochastic_variable_getter(
        SoftplusScale, param_initializers={"loc": tf.zeros([2]), "scale": tf.ones([2])}
    )
    scope = _unique("tensor_init")

    @tf.function
    def build():
        return tf.identity(_scoped(getter, lambda: tf.compat.v1.get_variable("w"), scope))

    with pytest.raises(TypeError, match=r"param_initializers\['loc'\] is a Tensor"):
        build()
    # Eagerly (TensorFlow allows tensor initial values there) the same getter works.
    assert _scoped(getter, lambda: tf.compat.v1.get_variable("w"), scope).value().shape == (2,)


@pytest.mark.usefixtures("fresh_deprecations")
def test_each_public_function_warns_once_naming_its_replacement():
    with tf.Graph().as_default():
        with pytest.warns(BayesflowDeprecationWarning,
                          match="make_stochastic_variable_getter") as record:
            getter = sv.make_stochastic_variable_getter(SoftplusScale)
        assert "build_factored_surrogate_posterior" in str(record[0].message)
        assert record[0].filename == __file__
        direct = lambda getter, name, **kwargs: sv.get_stochastic_variable(
            getter, name, dist_cls=SoftplusScale, **kwargs
        )
        with pytest.warns(BayesflowDeprecationWarning, match="get_stochastic_variable"):
            _scoped(direct, lambda: tf.compat.v1.get_variable("a", [1]))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sv.make_stochastic_variable_getter(SoftplusScale)
            _scoped(direct, lambda: tf.compat.v1.get_variable("b", [1]))
            _scoped(getter, lambda: tf.compat.v1.get_variable("c", [1]))


# ---------------------------------------------------------------- Bayesian linear regression
#
# y = X w + b + noise, noise ~ N(0, 1), priors N(0, 1) on w (2 weights) and b. With
# Phi = [X, 1], A = Phi^T Phi and Lambda = A + I (the posterior precision), the mean-field
# Gaussian family's best member has the exact posterior mean mu* = Lambda^-1 Phi^T y and
# scales s*_i = Lambda_ii^-1/2 (the ELBO separates into a quadratic in mu and, per
# coordinate, Lambda_ii s_i^2 / 2 - log s_i).

_RNG = np.random.default_rng(7)
FEATURES = _RNG.normal(size=(40, 2)).astype(np.float32)
DESIGN = np.c_[FEATURES, np.ones(40)]
TARGETS = (DESIGN @ [1.5, -0.7, 0.4] + _RNG.normal(size=40)).astype(np.float32)
PRECISION = DESIGN.T @ DESIGN + np.eye(3)
POST_MEAN = np.linalg.solve(PRECISION, DESIGN.T @ TARGETS)
POST_SCALE = np.diag(PRECISION) ** -0.5
RAW_SCALE = np.log(np.expm1(POST_SCALE))  # the optimum of the softplus-scale variables


def _regression(prior):
    """The log likelihood and the two stochastic variables (the weights and the bias)."""
    getter = sv.make_stochastic_variable_getter(
        dist_cls=None,  # NormalWithSoftplusScale
        param_initializers={
            "loc": tf.compat.v1.zeros_initializer(),
            "scale": tf.compat.v1.constant_initializer(-2.0),
        },
        prior=prior,
    )
    with tf.compat.v1.variable_scope("regression", custom_getter=getter):
        w = tf.compat.v1.get_variable("w", [2])
        b = tf.compat.v1.get_variable("b", [])
    mean = tf.linalg.matvec(FEATURES, w) + b
    return tf.reduce_sum(tfd.Normal(mean, 1.0).log_prob(TARGETS)), w, b


def _polyak_std(averaged):
    """Standard deviations of the averaged SGD iterate (mu_w, mu_b, rho_w, rho_b order below).

    The average of K iterates of constant-step SGD around the optimum has covariance
    H^-1 S H^-1 / K (Polyak and Juditsky, 1992), H the Hessian of -ELBO and S the covariance of
    one step's gradient noise (one draw of q per step). H is closed form; S is integrated here
    by Monte Carlo over the reparameterization noise eps, 2e5 draws, with the exact gradient.
    """
    eps = np.random.default_rng(0).normal(size=(200_000, 3))
    theta = POST_MEAN + POST_SCALE * eps
    grad_theta = (TARGETS - theta @ DESIGN.T) @ DESIGN
    sigmoid = 1 / (1 + np.exp(-RAW_SCALE))
    grad_mu = grad_theta - POST_MEAN
    grad_rho = (grad_theta * eps - (POST_SCALE - 1 / POST_SCALE)) * sigmoid
    noise = np.cov(np.c_[grad_mu, grad_rho].T)
    hessian = np.zeros((6, 6))
    hessian[:3, :3] = PRECISION
    hessian[3:, 3:] = np.diag((np.diag(PRECISION) + POST_SCALE**-2) * sigmoid**2)
    inverse = np.linalg.inv(hessian)
    return np.sqrt(np.diag(inverse @ noise @ inverse) / averaged)


def test_bayesian_linear_regression_trains_with_elbo(regime):
    burn_in, averaged = 200, 300
    # Per-parameter SGD steps; the O(step) bias they leave is below one standard error of the
    # average (checked by simulating this recursion with NumPy over 200 seeds).
    rates = {"loc": 0.01, "scale": 0.05}

    scope = _unique("blr")

    def make_step():
        variables, prior = [], tfd.Normal(0.0, 1.0)

        def regression():
            with _recording(variables):
                return _regression(prior)

        # The template creates the variables once (eager mode has no other variable store).
        model = tf.compat.v1.make_template(scope, regression)

        def step():
            with tf.GradientTape() as tape:
                log_likelihood, w, b = model()
                # Eager: no graph to walk, so the mapping is explicit.
                mapping = {w: prior, b: prior} if regime.is_eager else None
                bound = vi.elbo(log_likelihood, mapping, keep_batch_dim=False)
            gradients = tape.gradient(bound, variables)
            updates = [
                v.assign_add(rates[v.name.split("_")[-1].split(":")[0]] * g)
                for v, g in zip(variables, gradients)
            ]
            with tf.control_dependencies(updates):
                return [v.read_value() for v in variables], bound

        return step

    trace = regime.iterate(make_step, burn_in + averaged)
    values = [np.concatenate([np.ravel(v) for v in variables]) for variables, _ in trace]
    w_loc, w_raw, b_loc, b_raw = np.split(np.mean(values[burn_in:], axis=0), [2, 4, 5])
    std = _polyak_std(averaged)
    helpers.assert_within(np.r_[w_loc, b_loc], POST_MEAN, 4 * std[:3])
    helpers.assert_within(np.r_[w_raw, b_raw], RAW_SCALE, 4 * std[3:])
    bounds = np.array([bound for _, bound in trace])
    assert bounds[0] < bounds[burn_in:].mean() - 20  # the ELBO rose from its start


_LEGACY_SCRIPT = """
import warnings
warnings.simplefilter("ignore")
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import tensorflow_probability as tfp
from tf_contrib_bayesflow import stochastic_variables, variational_inference
from tf_contrib_bayesflow.distributions import NormalWithSoftplusScale

x = np.random.RandomState(0).randn(50, 3).astype(np.float32)
y = x.dot([1.0, -2.0, 0.5]).astype(np.float32)
getter = stochastic_variables.make_stochastic_variable_getter(
    dist_cls=NormalWithSoftplusScale, prior=tfp.distributions.Normal(0.0, 1.0))
with tf.variable_scope("bayes", custom_getter=getter):
    w = tf.get_variable("w", [3, 1])
ll = tf.reduce_sum(tfp.distributions.Normal(tf.matmul(x, w), 0.5).log_prob(y[:, None]))
elbo = variational_inference.elbo(ll, keep_batch_dim=False)
train = tf.train.AdamOptimizer(0.05).minimize(-elbo)
with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    first = np.mean([session.run(elbo) for _ in range(20)])
    for _ in range(300):
        session.run(train)
    last = np.mean([session.run(elbo) for _ in range(20)])
    loc = session.run(tf.global_variables()[0])
assert last > first, (first, last)
assert np.allclose(loc.ravel(), [1.0, -2.0, 0.5], atol=0.1), loc
print("LEGACY-OK")
"""


def test_legacy_tf1_script_runs_unchanged():
    # A subprocess, because disable_v2_behavior changes process-wide state.
    result = subprocess.run(
        [sys.executable, "-c", _LEGACY_SCRIPT], capture_output=True, text=True, timeout=300,
        cwd=pathlib.Path(__file__).parents[1], env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )
    assert result.returncode == 0 and "LEGACY-OK" in result.stdout, result.stderr[-3000:]
