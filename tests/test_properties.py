"""Property-based tests (hypothesis) of the numerics and invariants of `monte_carlo` and `entropy`.

Hypothesis examples are evaluated eagerly only (every example in three regimes would be too slow);
each property family also runs one fixed representative example in every regime (`regime`).

Tolerances are derived from rounding bounds, never tuned. `eps` is the dtype's machine epsilon and
`u = eps / 2` its unit roundoff: one correctly rounded operation whose exact result has magnitude m
errs by at most u*m. TF's exp and log are within a few ulps rather than half of one; the bounds
below keep a margin of about 2 for that. References are computed in float64 from the very values
(rounded to the tested dtype) that the ops see, and their own float64 rounding is added to the
tolerance, which matters only when the tested dtype is float64 itself.
"""
import functools

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import helpers
from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow import monte_carlo

tfd = tfp.distributions
Forms = entropy.ELBOForms

_EAGER = helpers.Regime("eager")
_LOG_DTYPES = (np.float16, np.float32, np.float64)
_DTYPES = (np.float32, np.float64)
_SPAN = 1e4  # the log-values span [-_SPAN, _SPAN]
_settings = functools.partial(
    settings,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _eps(dtype):
    return float(np.finfo(dtype).eps)


_EPS64 = _eps(np.float64)


def _floats(dtype, low, high):
    """A strategy for NumPy scalars of `dtype` in [low, high] (up to rounding into `dtype`)."""
    return st.floats(low, high, allow_subnormal=False).map(np.dtype(dtype).type)


def _arrays(dtype, shape, low, high):
    # TensorFlow's CPU kernels flush subnormal numbers to zero; NumPy references do not.
    elements = {"min_value": low, "max_value": high, "allow_subnormal": False}
    return hnp.arrays(dtype, shape, elements=elements)


_SHAPES = st.tuples(st.integers(1, 48), st.integers(1, 3))


# ---------------------------------------------------------------- float64 references and bounds


def _normal_log_prob(z, loc, scale):
    z, loc, scale = (np.asarray(v, np.float64) for v in (z, loc, scale))
    return -0.5 * ((z - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def _normal_log_prob_error(eps, z, loc, scale):
    """Bound on the rounding error of TFP's `Normal(loc, scale).log_prob(z)`.

    TFP computes -0.5 * (z/s - loc/s)^2 - (0.5 log 2pi + log s). With A = (|z| + |loc|) / s the
    difference of the two quotients is within 2uA, so its square within 5uA^2 (halved: 2.5uA^2);
    the normalizer errs by 2u(|log s| + 1) and the final subtraction by u|result|, which is at
    most u(A^2/2 + |log s| + 1). Total <= 3u(A^2 + |log s| + 1); we allow eps*2*(...) = 4u(...).
    """
    z, loc, scale = (np.asarray(v, np.float64) for v in (z, loc, scale))
    a = (np.abs(z) + np.abs(loc)) / scale
    return 2 * eps * (a**2 + np.abs(np.log(scale)) + 1)


def _logmeanexp_rounding(eps, centre, n):
    """Bound on the rounding error of log(mean(exp(x - c))) + c, c = max(x), n terms per column.

    x_i - c is within u*t_i of -t_i, which moves its term e^-t_i by at most u*t_i*e^-t_i <= u/e,
    so the sum S >= 1 moves by at most n*u/e; exp adds u per term, summing (n - 1)u*S and the
    division u, so log(S / n) is off by at most u(n/e + n + 2); log itself adds u*log(n), and
    adding c adds u(|c| + log n). Total <= u(|c| + 1.4n + 2 log n + 2) <= eps(|c| + 2n + 4) / 2.
    """
    return eps * (np.abs(centre) + 2 * n + 4)


def _logmeanexp_reference(x, input_error, dtype):
    """The float64 log-mean-exp over axis 0 of the exact log-values `x`, and a tolerance for the
    `dtype` computation of it from inputs that are each off by at most `input_error`."""
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    top = x.max(0)
    terms = np.exp(x - top)
    reference = np.log(terms.mean(0)) + top
    # Inputs off by |d_i| <= D_i move the log-mean-exp by at most log(sum_i w_i exp(D_i)) with w
    # the softmax weights along axis 0: exactly, not only to first order, and tight when the
    # large errors sit on negligible terms (float16 values near -1e4 are off by up to 4).
    weights = terms / terms.sum(0)
    propagated = np.log(np.sum(weights * np.exp(input_error), axis=0))
    tolerance = (
        propagated
        + _logmeanexp_rounding(_eps(dtype), top, n)
        + _logmeanexp_rounding(_EPS64, top, n)
    )
    return reference, tolerance


# ---------------------------------------------------------------- log-space mean, +-1e4


@st.composite
def _log_values(draw, dtype):
    return draw(_arrays(dtype, draw(_SHAPES), -_SPAN, _SPAN))


def _logspace_mean_outputs(x):
    def fn():
        x_t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            value = monte_carlo._logspace_mean(x_t)
        assert value.dtype == x.dtype and value.shape == x.shape[1:]
        return value, tape.gradient(value, x_t)

    return fn


def _check_logspace_mean(x, value, gradient):
    dtype, n = x.dtype, x.shape[0]
    reference, tolerance = _logmeanexp_reference(x, 0.0, dtype)
    assert np.all(np.isfinite(value)), value
    helpers.assert_within(value, reference, tolerance)
    # The gradient is the softmax along axis 0: e_i * (1/mean) / n, each factor carrying the
    # relative errors bounded above (the mean (n + 1)u, the rest a few u), plus the absolute u/e
    # of the shifted argument; float16 weights below eps underflow, which eps also covers.
    x64 = x.astype(np.float64)
    weights = np.exp(x64 - x64.max(0))
    weights /= weights.sum(0)
    assert np.all(np.isfinite(gradient)) and np.all(gradient >= 0)
    helpers.assert_within(gradient, weights, _eps(dtype) * ((n + 4) * weights + 1))


@pytest.mark.parametrize("dtype", _LOG_DTYPES)
@_settings(max_examples=40)
@given(data=st.data())
def test_logspace_mean_is_finite_and_accurate(dtype, data):
    x = data.draw(_log_values(dtype))
    _check_logspace_mean(x, *_EAGER.run(_logspace_mean_outputs(x)))


# ---------------------------------------------------------------- importance samplers, +-1e4


class _ImportanceProblem:
    """log_p(z) = shift + log N(z; 0, 1), q = N(q_loc, q_scale), samples z, and the functions
    f (for the plain sampler) and log_f (for the log-space one), all in one dtype."""

    def __init__(self, shift, z, f, log_f, q_loc, q_scale):
        self.dtype = z.dtype
        self.shift, self.z, self.f, self.log_f = shift, z, f, log_f
        self.q_loc, self.q_scale = q_loc, q_scale
        self.log_p = shift.astype(np.float64) + _normal_log_prob(z, 0.0, 1.0)
        self.log_q = _normal_log_prob(z, q_loc, q_scale)
        self.log_weights = self.log_p - self.log_q

    def input_error(self, log_f):
        """Bound on the error of the computed (log_f + log_p) - log_q, log_p = shift + lp.

        The three sums each err by u times the sum of the magnitudes (<= 1.5 eps * total); the
        two TFP log_probs as bounded in `_normal_log_prob_error`.
        """
        eps = _eps(self.dtype)
        lp = _normal_log_prob(self.z, 0.0, 1.0)
        magnitudes = np.abs(self.shift.astype(np.float64)) + np.abs(lp) + np.abs(self.log_q)
        return (
            2 * eps * (magnitudes + np.abs(log_f))
            + _normal_log_prob_error(eps, self.z, 0.0, 1.0)
            + _normal_log_prob_error(eps, self.z, self.q_loc, self.q_scale)
        )

    def outputs(self):
        def fn():
            q = tfd.Normal(tf.constant(self.q_loc), tf.constant(self.q_scale))
            p = tfd.Normal(tf.constant(0.0, self.dtype), tf.constant(1.0, self.dtype))

            def log_p(z):
                return self.shift + p.log_prob(z)

            logspace = monte_carlo.expectation_importance_sampler_logspace(
                lambda z: self.log_f, log_p, q, z=self.z
            )
            plain = monte_carlo.expectation_importance_sampler(lambda z: self.f, log_p, q, z=self.z)
            for out in (logspace, plain):
                assert out.dtype == self.dtype and out.shape == self.z.shape[1:]
            return logspace, plain

        return fn


@st.composite
def _importance_problems(draw, dtype):
    """Log weights spanning +-1e4; optionally shifted per column so that their maximum lies at a
    drawn `top`, which keeps the plain estimate representable for any `top` below log(max)."""
    shape = draw(_SHAPES)
    z = draw(_arrays(dtype, shape, -4.0, 4.0))
    q_loc, q_scale = draw(_floats(dtype, -1.0, 1.0)), draw(_floats(dtype, 0.5, 2.0))
    shift = draw(_arrays(dtype, shape, -_SPAN, _SPAN))
    top = draw(st.none() | st.floats(-100.0, float(np.log(np.finfo(dtype).max)) - 10.0))
    if top is not None:
        rest = _normal_log_prob(z, 0.0, 1.0) - _normal_log_prob(z, q_loc, q_scale)
        shifted = shift.astype(np.float64)
        shift = (shifted - (shifted + rest).max(0) + top).astype(dtype)
    f = draw(_arrays(dtype, shape, -1e3, 1e3))
    log_f = draw(_arrays(dtype, shape, -100.0, 100.0))
    return _ImportanceProblem(shift, z, f, log_f, q_loc, q_scale)


def _check_importance_logspace(problem, value):
    log_f = problem.log_f.astype(np.float64)
    reference, tolerance = _logmeanexp_reference(
        log_f + problem.log_weights, problem.input_error(log_f), problem.dtype
    )
    assert np.all(np.isfinite(value)), value
    helpers.assert_within(value, reference, tolerance)


def _plain_reference(problem):
    """The plain estimate mean_i(exp(lw_i) f_i) by the direct formula, scaled to stay finite, and
    a bound on its float64 rounding: term i errs by u(t_i + 2) relative (t_i = m - lw_i the shift
    of its argument), the sum by (n - 1)u of the absolute terms, the scale exp(m - log n) by
    u(|m| + 2)."""
    lw, f = problem.log_weights, problem.f.astype(np.float64)
    n = lw.shape[0]
    m = lw.max(0)
    shifted = m - lw
    terms = np.exp(-shifted) * f
    # Columns whose scale overflows (inf * 0 = NaN there) are never compared, see the caller.
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.exp(m - np.log(n))
        reference = scale * terms.sum(0)
        bound = _EPS64 * scale * np.sum(np.abs(terms) * (shifted + n + np.abs(m) + 4), axis=0)
    return reference, bound


def _check_importance_plain(problem, value):
    """Finite and accurate where exp(I+-) are representable; else the legacy overflow pattern.

    The legacy sampler returns exp(I+) - exp(I-), I+- = logspace_mean(log(1 + relu(+-f)) + lw).
    Where exactly one of them overflows it returns the signed infinity, where both overflow NaN
    (inf - inf), even when the true estimate is modest: its output is in linear space. Columns
    whose I+- lie within their tolerance of log(max) are not asserted on.
    Returns the categories seen, so a fixed example can show that it covers them all.
    """
    dtype = problem.dtype
    eps = _eps(dtype)
    f = problem.f.astype(np.float64)
    parts = []
    for sign in (1.0, -1.0):
        log_one_plus = np.log1p(np.maximum(sign * f, 0.0))
        # log(relu(f) + 1): the + 1 errs by u relative (u absolute after log), log by u|result|.
        error = problem.input_error(log_one_plus) + eps * (1 + np.abs(log_one_plus))
        parts.append(
            _logmeanexp_reference(log_one_plus + problem.log_weights, error, dtype)
        )
    (log_pos, tol_pos), (log_neg, tol_neg) = parts
    log_max = np.log(np.finfo(dtype).max)
    # exp(I) is certainly finite below log(max) - eps, certainly inf above log(max) + eps.
    finite_pos, finite_neg = log_pos + tol_pos < log_max - eps, log_neg + tol_neg < log_max - eps
    over_pos, over_neg = log_pos - tol_pos > log_max + eps, log_neg - tol_neg > log_max + eps
    categories = set()
    finite = finite_pos & finite_neg
    if np.any(finite):
        categories.add("finite")
        reference, reference_error = _plain_reference(problem)
        with np.errstate(over="ignore"):  # only the finite columns are used
            pos, neg = np.exp(log_pos), np.exp(log_neg)
        # exp(I +- dI) = exp(I)(1 + expm1(dI)), then exp and the subtraction round (u each);
        # TF flushes subnormal results to zero, so each part may also lose up to the smallest
        # normal number.
        tolerance = (
            pos * (np.expm1(tol_pos) + eps)
            + neg * (np.expm1(tol_neg) + eps)
            + eps * np.abs(reference)
            + 2 * np.finfo(dtype).tiny
            + reference_error
        )
        assert np.all(np.isfinite(value[finite])), value
        helpers.assert_within(value[finite], reference[finite], tolerance[finite])
    for name, mask, expected in (
        ("+inf", over_pos & finite_neg, np.inf),
        ("-inf", finite_pos & over_neg, -np.inf),
        ("nan", over_pos & over_neg, np.nan),
    ):
        if np.any(mask):
            categories.add(name)
            np.testing.assert_array_equal(value[mask], np.full(np.sum(mask), expected))
    return categories


@pytest.mark.parametrize("dtype", _LOG_DTYPES)
@_settings(max_examples=40)
@given(data=st.data())
def test_importance_samplers_are_finite_and_accurate(dtype, data):
    problem = data.draw(_importance_problems(dtype))
    logspace, plain = _EAGER.run(problem.outputs())
    _check_importance_logspace(problem, logspace)
    _check_importance_plain(problem, plain)


def _fixed_log_values(dtype):
    return np.random.RandomState(3).uniform(-_SPAN, _SPAN, size=(32, 3)).astype(dtype)


def _fixed_importance_problem(dtype):
    """Four columns of log weights spanning +-1e4, shifted so that the plain estimate is finite
    (column 0), overflows in its positive part only (1) or in both parts (2, 3: no shift)."""
    rs = np.random.RandomState(4)
    shape = (32, 4)
    z = rs.uniform(-4.0, 4.0, size=shape).astype(dtype)
    q_loc, q_scale = dtype(0.5), dtype(1.5)
    shift = rs.uniform(-_SPAN, _SPAN, size=shape)
    f = rs.uniform(-1e3, 1e3, size=shape)
    log_max = np.log(np.finfo(dtype).max)
    rest = _normal_log_prob(z, 0.0, 1.0) - _normal_log_prob(z, q_loc, q_scale)
    log_weights = shift + rest
    for column, top in ((0, 1.0), (1, log_max - 2.0)):
        shift[:, column] += top - log_weights[:, column].max()
    # Column 1: f = 1e3 on the largest weight, so I+ ~ top + log(1e3 / 32) > log(max), while
    # f <= 0 elsewhere keeps I- ~ top - log(32) finite.
    row = np.argmax(log_weights[:, 1])
    f[:, 1] = -np.abs(f[:, 1])
    f[row, 1] = 1e3
    log_f = rs.uniform(-100.0, 100.0, size=shape).astype(dtype)
    return _ImportanceProblem(shift.astype(dtype), z, f.astype(dtype), log_f, q_loc, q_scale)


@pytest.mark.parametrize("dtype", _LOG_DTYPES)
def test_log_space_properties_hold_in_every_regime(regime, dtype):
    x = _fixed_log_values(dtype)
    _check_logspace_mean(x, *regime.run(_logspace_mean_outputs(x)))
    problem = _fixed_importance_problem(dtype)
    logspace, plain = regime.run(problem.outputs())
    _check_importance_logspace(problem, logspace)
    assert _check_importance_plain(problem, plain) == {"finite", "+inf", "nan"}


# ---------------------------------------------------------------- expectation is linear in f


@st.composite
def _linear_problems(draw, dtype):
    shape = draw(_SHAPES)
    values_f = draw(_arrays(dtype, shape, -1e3, 1e3))
    values_g = draw(_arrays(dtype, shape, -1e3, 1e3))
    a, b = draw(_floats(dtype, -10.0, 10.0)), draw(_floats(dtype, -10.0, 10.0))
    return values_f, values_g, a, b


def _linearity_outputs(values_f, values_g, a, b):
    """E[a f + b g], E[f] and E[g] in the distribution form, the sample form and its
    score-function branch, all on the same samples (f and g read their own component)."""
    dtype = values_f.dtype

    def fn():
        p = tfd.Normal(tf.constant(0.0, dtype), tf.constant(1.0, dtype))
        z = tf.stack([values_f, values_g], axis=-1)

        def combined(z):
            return a * z[..., 0] + b * z[..., 1]

        def first(z):
            return z[..., 0]

        def second(z):
            return z[..., 1]

        def log_prob(z):
            return tf.reduce_sum(p.log_prob(z), axis=-1)

        forms = [lambda h: monte_carlo.expectation(h, p, z=z)]
        forms.append(lambda h: monte_carlo.expectation(h, z))
        forms.append(lambda h: monte_carlo.expectation(h, z, log_prob, False))
        return [tuple(form(h) for h in (combined, first, second)) for form in forms]

    return fn


def _check_linearity(values_f, values_g, a, b, outputs):
    dtype, n = values_f.dtype, values_f.shape[0]
    eps = _eps(dtype)
    f64, g64 = values_f.astype(np.float64), values_g.astype(np.float64)
    a64, b64 = float(a), float(b)
    # a f_i + b g_i errs by 2u(|a f_i| + |b g_i|); a mean of n terms by (n - 1)u of the mean of
    # absolute values plus u for the division; a E[f] + b E[g] the same again. Both sides are
    # therefore within u(n + 2) S of the exact value, S = mean(|a f| + |b g|).
    scale = np.mean(np.abs(a64 * f64) + np.abs(b64 * g64), axis=0)
    tolerance = eps * (n + 4) * scale
    for combined, mean_f, mean_g in outputs:
        helpers.assert_within(combined, a64 * mean_f.astype(np.float64) + b64 * mean_g, tolerance)
        helpers.assert_within(combined, a64 * f64.mean(0) + b64 * g64.mean(0), tolerance)
        helpers.assert_within(mean_f, f64.mean(0), eps * (n + 2) * np.abs(f64).mean(0))
    # The score-function branch adds an exact zero to the reparameterized value.
    for reparameterized, score in zip(outputs[1], outputs[2]):
        np.testing.assert_array_equal(score, reparameterized)


@pytest.mark.parametrize("dtype", _DTYPES)
@_settings(max_examples=30)
@given(data=st.data())
def test_expectation_is_linear_in_f(dtype, data):
    problem = data.draw(_linear_problems(dtype))
    _check_linearity(*problem, _EAGER.run(_linearity_outputs(*problem)))


def test_expectation_is_linear_in_f_in_every_regime(regime):
    rs = np.random.RandomState(5)
    values_f, values_g = rs.uniform(-1e3, 1e3, size=(2, 40, 3)).astype(np.float32)
    a, b = np.float32(2.5), np.float32(-7.25)
    outputs = regime.run(_linearity_outputs(values_f, values_g, a, b))
    _check_linearity(values_f, values_g, a, b, outputs)


# ---------------------------------------------------------------- ELBO <= log evidence


_STANDARD_NORMALS = np.random.RandomState(6).normal(size=64)
# Centred and scaled so that their mean is 0 and their mean square 1 (to float64 rounding). The
# log densities below are quadratic in z, so their sample mean at z = mq + sq * e is then EXACTLY
# their expectation under q = N(mq, sq^2): the estimate must equal the closed-form ELBO up to
# rounding, and the test cannot flake whatever the parameters.
_MATCHED = (_STANDARD_NORMALS - _STANDARD_NORMALS.mean()) / _STANDARD_NORMALS.std()


class _ConjugateGaussian:
    """z ~ N(m0, s0^2), x | z ~ N(z, sn^2), one observed x; q = N(mq, sq^2)."""

    def __init__(self, m0, s0, sn, x, mq, sq):
        self.m0, self.s0, self.sn, self.x, self.mq, self.sq = m0, s0, sn, x, mq, sq
        self.z = mq + sq * _MATCHED

    @property
    def posterior(self):
        var = 1.0 / (1.0 / self.s0**2 + 1.0 / self.sn**2)
        return var * (self.m0 / self.s0**2 + self.x / self.sn**2), np.sqrt(var)

    def closed_forms(self):
        """(ELBO, log evidence, KL(q || posterior)) in closed form."""
        m0, s0, sn, x, mq, sq = self.m0, self.s0, self.sn, self.x, self.mq, self.sq
        expected_log_prior = -0.5 * np.log(2 * np.pi * s0**2) - ((mq - m0) ** 2 + sq**2) / (
            2 * s0**2
        )
        expected_log_lik = -0.5 * np.log(2 * np.pi * sn**2) - ((x - mq) ** 2 + sq**2) / (
            2 * sn**2
        )
        entropy_q = 0.5 * np.log(2 * np.pi * np.e * sq**2)
        elbo = expected_log_prior + expected_log_lik + entropy_q
        log_evidence = _normal_log_prob(x, m0, np.sqrt(s0**2 + sn**2))
        mp, sp = self.posterior
        kl = np.log(sp / sq) + (sq**2 + (mq - mp) ** 2) / (2 * sp**2) - 0.5
        return elbo, log_evidence, kl

    def tolerance(self, eps):
        """Rounding bound for the estimates and the closed forms.

        Per sample the three TFP log_probs err by at most 2 eps M_i (`_normal_log_prob_error`,
        M_i the sum of their magnitude measures); the mean over n adds (n - 1)u mean(M), the
        entropy and the final sum a few u; the closed forms' dozen roundings are of the same
        magnitudes. Total <= eps (n / 2 + 8) mean(M); we allow eps (n + 8) mean(M).
        """
        z, n = self.z, self.z.shape[0]
        magnitude = (
            _normal_log_prob_error(1.0, z, self.m0, self.s0)
            + _normal_log_prob_error(1.0, self.x, z, self.sn)
            + _normal_log_prob_error(1.0, z, self.mq, self.sq)
        ) / 2
        return eps * (n + 8) * np.mean(magnitude)

    def outputs(self, dtype):
        def fn():
            def as_tensor(v):
                return tf.constant(v, dtype)

            prior = tfd.Normal(as_tensor(self.m0), as_tensor(self.s0))
            x, sn = as_tensor(self.x), as_tensor(self.sn)

            def log_joint(z):
                return prior.log_prob(z) + tfd.Normal(z, sn).log_prob(x)

            q = tfd.Normal(as_tensor(self.mq), as_tensor(self.sq))
            z = as_tensor(self.z)
            return [
                entropy.elbo_ratio(log_joint, q, z=z, form=form)
                for form in (None, Forms.analytic_entropy, Forms.sample)
            ]

        return fn


def _gaussian_parameters(dtype):
    """Prior mean/scale, noise scale, observation, q mean/scale; all representable in `dtype`."""
    location, scale = _floats(dtype, -10.0, 10.0), _floats(dtype, 0.1, 10.0)
    return st.tuples(location, scale, scale, location, location, scale).map(
        lambda values: tuple(float(v) for v in values)
    )


def _check_elbo(model, estimates, dtype):
    elbo, log_evidence, kl = model.closed_forms()
    tolerance = model.tolerance(_eps(dtype)) + model.tolerance(_EPS64)
    # ELBO = log p(x) - KL(q || posterior) <= log p(x), in closed form.
    assert kl >= 0
    helpers.assert_within(elbo, log_evidence - kl, model.tolerance(_EPS64))
    for estimate in estimates:
        assert np.isfinite(estimate)
        helpers.assert_within(estimate, elbo, tolerance)
        assert estimate <= log_evidence + tolerance


@_settings(max_examples=50)
@given(parameters=_gaussian_parameters(np.float64))
def test_elbo_ratio_is_the_elbo_and_bounds_the_log_evidence(parameters):
    model = _ConjugateGaussian(*parameters)
    _check_elbo(model, _EAGER.run(model.outputs(np.float64)), np.float64)
    # With q the exact posterior the bound is attained.
    exact = _ConjugateGaussian(*parameters[:4], *model.posterior)
    estimates = _EAGER.run(exact.outputs(np.float64))
    _check_elbo(exact, estimates, np.float64)
    helpers.assert_within(estimates, exact.closed_forms()[1], 2 * exact.tolerance(_EPS64))


def test_elbo_ratio_bounds_the_log_evidence_in_every_regime(regime):
    model = _ConjugateGaussian(m0=1.0, s0=2.0, sn=0.5, x=3.0, mq=2.0, sq=0.75)
    _check_elbo(model, regime.run(model.outputs(np.float32)), np.float32)


# ---------------------------------------------------------------- Renyi bounds ordered in alpha


def _alphas():
    """Orders away from 1 (the bound's rounding grows like 1 / |1 - alpha|), and 0 (IWAE)."""
    away_from_one = st.floats(-3.0, 3.0).filter(lambda a: abs(1.0 - a) >= 1e-3)
    return st.lists(away_from_one | st.just(0.0), min_size=2, max_size=4)


@st.composite
def _renyi_problems(draw):
    n = draw(st.integers(1, 32))
    e = draw(_arrays(np.float64, (n,), -4.0, 4.0))
    location, scale = _floats(np.float64, -3.0, 3.0), _floats(np.float64, 0.2, 3.0)
    loc_p, scale_p, loc_q, scale_q = (float(draw(s)) for s in (location, scale, location, scale))
    return loc_p, scale_p, loc_q, scale_q, loc_q + scale_q * e, draw(_alphas())


def _renyi_outputs(loc_p, scale_p, loc_q, scale_q, z, alphas):
    dtype = z.dtype

    def fn():
        p = tfd.Normal(tf.constant(loc_p, dtype), tf.constant(scale_p, dtype))
        q = tfd.Normal(tf.constant(loc_q, dtype), tf.constant(scale_q, dtype))
        bounds = [entropy.renyi_ratio(p.log_prob, q, alpha, z=z) for alpha in alphas]
        return bounds, entropy.elbo_ratio(p.log_prob, q, z=z, form=Forms.sample)

    return fn


def _check_renyi(loc_p, scale_p, loc_q, scale_q, z, alphas, bounds, elbo):
    """L_alpha = log M_{1 - alpha}(w), M_r the power mean of the ratios w_i = p(z_i) / q(z_i), is
    non-increasing in alpha (the power-mean inequality, exact for every sample set) and tends to
    log of the geometric mean, the sample-form ELBO, as alpha -> 1. (Ordering alone would not
    notice, say, max(lr) in place of the power mean, so each bound is also compared with a float64
    reference.)

    Every call evaluates the same log ratios lr, so only the bound's own rounding separates them:
    (1 - alpha) lr errs by u|r lr|, the log-mean-exp by `_logmeanexp_rounding` with centre
    max |r lr|, and dividing by r = 1 - alpha magnifies both by 1 / |r| and adds u|L|.
    The sample-form ELBO, -mean(log q) + mean(log p), is within (n + 2)u of the mean absolute
    log densities of the exact mean of the computed lr.
    """
    eps, n = _eps(z.dtype), z.shape[0]
    log_p, log_q = _normal_log_prob(z, loc_p, scale_p), _normal_log_prob(z, loc_q, scale_q)
    top = np.max(np.abs(log_p - log_q))
    assert np.all(np.isfinite(bounds)) and np.isfinite(elbo)

    def tolerance(alpha):
        r = abs(1.0 - alpha)
        return eps * (2 * top + (2 * n + 4) / r)

    elbo_tolerance = eps * (n + 2) * (np.abs(log_p).mean() + np.abs(log_q).mean())
    ordered = sorted(zip(alphas, bounds))
    for (alpha_a, bound_a), (alpha_b, bound_b) in zip(ordered, ordered[1:]):
        assert bound_a >= bound_b - tolerance(alpha_a) - tolerance(alpha_b), (alpha_a, alpha_b)
    for alpha, bound in ordered:
        slack = tolerance(alpha) + elbo_tolerance
        if alpha < 1:
            assert bound >= elbo - slack, alpha
        else:
            assert bound <= elbo + slack, alpha
    # Against float64 references from the exact log ratios: the computed lr_i are off by at most
    # D_i (two TFP log_probs and their difference), which moves L_alpha = LME(r lr) / r by at most
    # (1 / |r|) log sum_i w_i exp(|r| D_i); the rest is the rounding in `tolerance`.
    log_ratio = log_p - log_q
    ratio_error = (
        _normal_log_prob_error(eps, z, loc_p, scale_p)
        + _normal_log_prob_error(eps, z, loc_q, scale_q)
        + eps * (np.abs(log_p) + np.abs(log_q))
    )
    for alpha, bound in ordered:
        r = 1.0 - alpha
        reference, lme_tolerance = _logmeanexp_reference(
            r * log_ratio, abs(r) * ratio_error, z.dtype
        )
        helpers.assert_within(bound, reference / r, lme_tolerance / abs(r) + eps * top)
    helpers.assert_within(elbo, log_ratio.mean(), elbo_tolerance + ratio_error.mean())


@_settings(max_examples=50)
@given(problem=_renyi_problems())
def test_renyi_bounds_are_ordered_in_alpha(problem):
    _check_renyi(*problem, *_EAGER.run(_renyi_outputs(*problem)))


def test_renyi_bounds_are_ordered_in_alpha_in_every_regime(regime):
    z = np.random.RandomState(7).normal(0.5, 1.5, size=(16, 2)).astype(np.float32)
    problem = (np.float32(-1.0), np.float32(0.8), np.float32(0.5), np.float32(1.5), z)
    alphas = [-2.0, -0.5, 0.0, 0.25, 0.75, 0.99, 1.01, 1.5, 2.0]
    bounds, elbo = regime.run(_renyi_outputs(*problem, alphas))
    for column in range(2):
        _check_renyi(
            *problem[:4], z[:, column], alphas, [b[column] for b in bounds], elbo[column]
        )


# ---------------------------------------------------------------- importance sampling with q = p


@st.composite
def _same_proposal_problems(draw, dtype):
    """p = N(loc, scale), samples z of it, and the coefficients of a polynomial f."""
    n = draw(st.integers(1, 48))
    e = draw(_arrays(np.float64, (n,), -4.0, 4.0))
    loc, scale = draw(_floats(dtype, -3.0, 3.0)), draw(_floats(dtype, 0.1, 3.0))
    coefficients = draw(st.lists(_floats(dtype, -5.0, 5.0), min_size=1, max_size=4))
    return loc, scale, coefficients, (loc + scale * e).astype(dtype)


def _same_proposal_outputs(loc, scale, coefficients, z):
    """f(z), then with q = p both importance samplers next to the plain expectations they
    estimate: E[f] and log E[g], g = |f| + 1 > 0."""

    def fn():
        p = tfd.Normal(tf.constant(loc), tf.constant(scale))

        def f(x):
            value = tf.zeros_like(x) + coefficients[-1]
            for coefficient in reversed(coefficients[:-1]):
                value = value * x + coefficient
            return value

        def g(x):
            return tf.abs(f(x)) + 1

        return (
            f(z),
            monte_carlo.expectation_importance_sampler(f, p.log_prob, p, z=z),
            monte_carlo.expectation(f, p, z=z),
            monte_carlo.expectation_importance_sampler_logspace(
                lambda x: tf.math.log(g(x)), p.log_prob, p, z=z
            ),
            monte_carlo.expectation(g, p, z=z),
        )

    return fn


def _check_same_proposal(loc, scale, z, outputs):
    """With q = p the log weights (a + log p) - log p are a up to rounding, so the samplers reduce
    to plain means of f and g on the same samples (f is evaluated on the same z, so its values are
    identical in every call). The log-weights err by at most u(2|a| + |log p|) from the two sums
    (TFP's rounding of log p cancels: the same value is added and subtracted), plus for
    log(relu(+-f) + 1) or log(g) the u of the + 1 and the u|a| of the log."""
    values_f, plain, mean_f, logspace, mean_g = outputs
    dtype, n = z.dtype, z.shape[0]
    eps = _eps(dtype)
    f = values_f.astype(np.float64)
    log_p = np.abs(_normal_log_prob(z, loc, scale))
    mean_tolerance = eps * (n + 2) * np.abs(f).mean(0)  # (n - 1)u of the sum, u of the division
    helpers.assert_within(mean_f, f.mean(0), mean_tolerance)
    # Plain: exp(I+) - exp(I-) with I+- = log mean(1 + relu(+-f)), as in _check_importance_plain.
    tolerance = eps * np.abs(f.mean(0)) + 2 * np.finfo(dtype).tiny + mean_tolerance
    for sign in (1.0, -1.0):
        a = np.log1p(np.maximum(sign * f, 0.0))
        log_part, log_tolerance = _logmeanexp_reference(a, eps * (2 * a + log_p + 1), dtype)
        tolerance += np.exp(log_part) * (np.expm1(log_tolerance) + eps)
    assert np.all(np.isfinite(plain))
    helpers.assert_within(plain, mean_f, tolerance)
    # Log space: log mean(g) against log of the computed mean of g, whose (n + 1)u relative error
    # is an absolute one after the log, plus the log's own u|result|.
    log_g = np.log(np.abs(f) + 1)
    reference, log_tolerance = _logmeanexp_reference(log_g, eps * (2 * log_g + log_p + 1), dtype)
    log_mean_g = np.log(mean_g.astype(np.float64))
    assert np.all(np.isfinite(logspace))
    helpers.assert_within(
        logspace, log_mean_g, log_tolerance + eps * (n + 2 + np.abs(reference))
    )


@pytest.mark.parametrize("dtype", _DTYPES)
@_settings(max_examples=30)
@given(data=st.data())
def test_importance_sampling_with_q_equal_p_is_the_plain_expectation(dtype, data):
    loc, scale, coefficients, z = data.draw(_same_proposal_problems(dtype))
    outputs = _EAGER.run(_same_proposal_outputs(loc, scale, coefficients, z))
    _check_same_proposal(loc, scale, z, outputs)


def test_importance_sampling_with_q_equal_p_in_every_regime(regime):
    loc, scale = np.float32(0.5), np.float32(2.0)
    z = np.random.RandomState(8).normal(loc, scale, size=(40, 3)).astype(np.float32)
    coefficients = [np.float32(c) for c in (1.5, -2.0, 0.25, 0.5)]
    outputs = regime.run(_same_proposal_outputs(loc, scale, coefficients, z))
    _check_same_proposal(loc, scale, z, outputs)
