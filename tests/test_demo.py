"""The demo (`python -m tf_contrib_bayesflow`) and the example programs it runs.

Each example module runs in a reduced form and its numbers are checked against the known answers
with tolerances derived here (mostly from standard errors, some of them re-derived in closed form
or by quadrature so that a wrong standard error cannot hide a wrong estimate). The two new
legacy TF1 programs run as subprocesses (their `tf.disable_v2_behavior()` is process-wide), and
so does one end-to-end `--quick` demo; all three start in the background when the module's first
test runs, while the in-process examples are tested.
"""
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import test_legacy_programs
import tf_contrib_bayesflow.__main__ as demo
from tf_contrib_bayesflow.examples import dice_second_derivative
from tf_contrib_bayesflow.examples import monte_carlo_estimates
from tf_contrib_bayesflow.examples import tf2_models

ROOT = pathlib.Path(__file__).parents[1]
LEGACY = {
    "legacy_vae_elbo": ["--steps", "800", "--eval-runs", "50"],
    "legacy_importance_sampling": ["--num-samples", "20000"],
}
QUICK_DEMO_TIMEOUT = 240  # seconds; about 30 s on two idle cores


class Background:
    """A subprocess started now and collected later."""

    def __init__(self, command, cwd):
        self.process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
        )
        self._result = None

    def result(self, timeout=QUICK_DEMO_TIMEOUT) -> subprocess.CompletedProcess:
        if self._result is None:
            stdout, stderr = self.process.communicate(timeout=timeout)
            self._result = subprocess.CompletedProcess(
                self.process.args, self.process.returncode, stdout, stderr)
        return self._result


@pytest.fixture(scope="module", autouse=True)
def background(tmp_path_factory):
    # The demo runs from an unrelated directory with the checkout put on sys.path by hand (as
    # if installed): its subprocesses must still find this copy of the package.
    launcher = ("import runpy, sys; sys.path.insert(0, %r); "
                "runpy.run_module('tf_contrib_bayesflow', run_name='__main__')" % str(ROOT))
    runs = {"demo": Background([sys.executable, "-c", launcher, "--quick"],
                               tmp_path_factory.mktemp("elsewhere"))}
    for program, arguments in LEGACY.items():
        runs[program] = Background(
            [sys.executable, "-m", f"tf_contrib_bayesflow.examples.{program}", *arguments], ROOT)
    yield runs
    for run in runs.values():  # also when a test was deselected: reap it, close its pipes
        if run.process.poll() is None:
            run.process.kill()
        run.process.communicate()


def _results(lines):
    found = {}
    for line in lines:
        if line.startswith("RESULT "):
            name, *numbers = line.split()[1:]
            found[name] = [float(number) for number in numbers]
    return found


def _emitted(function, *args, **kwargs):
    lines = []
    function(*args, emit=lines.append, **kwargs)
    return lines, _results(lines)


def _within_standard_errors(results, name, sigmas=4):
    value, known, standard_error = results[name]
    assert abs(value - known) <= sigmas * standard_error, (name, value, known, standard_error)


# ------------------------------------------------------------------ closed forms used below


def _tail_standard_deviation():
    """sd of `1{X > 4} p(X) / q(X)`, `X ~ Normal(4, 1)`.

    `p(x)^2 / q(x) = exp(16) phi(x + 4)`, so the second moment is `exp(16) P(Z > 8)`.
    """
    tail = 0.5 * math.erfc(4 / math.sqrt(2))
    return math.sqrt(math.exp(16) * 0.5 * math.erfc(8 / math.sqrt(2)) - tail ** 2)


def _evidence_relative_variance():
    """Variance of `pi(Z) / q(Z)` for the programs' proposal, with `pi` the exact posterior.

    In units of the posterior scale, `pi = Normal(0, 1)` and `q = Normal(1, 1.5^2)` whatever the
    data, so this is `int pi^2 / q - 1`, by quadrature.
    """
    u = np.linspace(-12.0, 12.0, 200_001)
    pi = np.exp(-0.5 * u ** 2) / np.sqrt(2 * np.pi)
    q = np.exp(-0.5 * ((u - 1.0) / 1.5) ** 2) / (1.5 * np.sqrt(2 * np.pi))
    return float(np.trapezoid(pi ** 2 / q, u) - 1.0)


def _check_importance_sampling(results, num_samples):
    for name in ("is_tail_probability", "is_log_evidence"):
        _within_standard_errors(results, name)
    # The printed standard errors are estimates from the draws; they must agree with the
    # closed forms (10%: the sd of a sample sd is about sd * sqrt(kurtosis / 4n), far below).
    expected = {
        "is_tail_probability": _tail_standard_deviation() / math.sqrt(num_samples),
        "is_log_evidence": math.sqrt(_evidence_relative_variance() / num_samples),
    }
    for name, standard_error in expected.items():
        np.testing.assert_allclose(results[name][2], standard_error, rtol=0.1, err_msg=name)


def _check_vae(results):
    elbo, known, standard_error = results["vae_elbo_objective"]
    # As tests/test_legacy_programs.py: the ELBO is a lower bound of the log-likelihood, whose
    # maximum is known, so above it only Monte Carlo error (4 standard errors) is allowed, below
    # it 0.02 nats per point of unfinished optimization (training starts near -28 to -38).
    assert known - 0.02 - 4 * standard_error <= elbo <= known + 4 * standard_error, (elbo, known)


# ------------------------------------------------------------------ in-process examples


def test_tf2_reinforce_learns_the_best_mask():
    lines, results = _emitted(tf2_models.reinforce, steps=300)
    value, best = results["reinforce_expected_loss"]
    initial, _ = results["reinforce_initial_expected_loss"]
    assert best == pytest.approx(np.minimum(tf2_models.KEEP_COST, tf2_models.DROP_COST).mean())
    # Exact expected loss, no sampling: at least the optimum; training must remove 97% of the
    # initial excess (a missing score term leaves the probabilities at 1/2, excess 1.6).
    assert best - 1e-6 <= value <= best + 0.03 * (initial - best), (value, best, initial)
    assert sum(line.startswith("step") for line in lines) == 6  # progress: 5 + the last step


def test_tf2_vae_trained_with_elbo_reaches_the_ppca_maximum_likelihood():
    lines, results = _emitted(tf2_models.vae, steps=800, eval_runs=50)
    _check_vae(results)
    first = float(lines[0].split()[-1])
    assert first < results["vae_elbo_objective"][1] - 10  # it did learn from far below


def test_tf2_importance_sampling_meets_the_closed_forms():
    _, results = _emitted(tf2_models.importance_sampling, 20_000)
    _check_importance_sampling(results, 20_000)


def test_exact_derivatives_match_finite_differences():
    exact = dice_second_derivative.exact()
    h = 1e-3
    theta = dice_second_derivative.THETA

    def mean(t):  # E[2x] = 2 sigmoid(t)
        return 2.0 / (1.0 + np.exp(-t))

    np.testing.assert_allclose(exact["first"], (mean(theta + h) - mean(theta - h)) / (2 * h),
                               rtol=1e-6)
    second = (mean(theta + h) - 2 * mean(theta) + mean(theta - h)) / h ** 2
    np.testing.assert_allclose(exact["second"], second, rtol=1e-5)
    # The legacy surrogate's expected second derivative, E[2x] * d2 log p = -2 s * s (1 - s),
    # by enumerating x in {0, 1}.
    s = 1.0 / (1.0 + np.exp(-theta))
    np.testing.assert_allclose(exact["legacy_second"], s * 2.0 * -(s * (1 - s)), rtol=1e-12)


def test_dice_gets_the_second_derivative_right_and_the_legacy_surrogate_does_not():
    lines, results = _emitted(dice_second_derivative.run, 200_000)
    for name in results:
        _within_standard_errors(results, name)
    exact = dice_second_derivative.exact()["second"]
    legacy, _, legacy_error = results["legacy_second"]
    assert abs(legacy - exact) > 100 * legacy_error  # -0.28 vs -0.07, standard error 5e-4
    dice, _, _ = results["dice_second"]
    assert results["dice_second"][1] == pytest.approx(exact, abs=1e-6)
    table = [line for line in lines if line.startswith("second derivative")]
    assert table and "%.4f" % exact in table[0] and "%.4f" % dice in table[0]


def test_monte_carlo_estimates_agree_across_regimes_and_with_the_analytic_values():
    lines, results = _emitted(monte_carlo_estimates.run, 10_000)
    assert sorted(results) == sorted(monte_carlo_estimates.ESTIMATES)
    for name in results:  # also NaN, and so failing, if the regimes disagreed
        _within_standard_errors(results, name)
    rows = [line.split()[-5:-1] for line in lines if line.startswith(("E", "log"))]
    assert len(rows) == 4
    for analytic, *regimes in (map(float, row) for row in rows):
        np.testing.assert_allclose(regimes, regimes[0], rtol=1e-4)  # printed to 4 decimals


def test_monte_carlo_standard_errors_match_simulation():
    n = 10_000
    errors = monte_carlo_estimates.standard_errors(n)
    rng = np.random.RandomState(0)
    draws = 3.0 * rng.randn(1_000_000)  # from q = Normal(0, 3)

    def log_normal(x, loc, scale):
        return -0.5 * ((x - loc) / scale) ** 2 - np.log(scale * np.sqrt(2 * np.pi))

    weights = np.exp(log_normal(draws, 3.0, 0.5) - log_normal(draws, 0.0, 3.0))
    # The simulated sd has itself a few percent of sampling error (heavy-ish weights): 10%.
    np.testing.assert_allclose(errors["is_mean"], (draws * weights).std() / np.sqrt(n), rtol=0.1)
    mgf = np.exp(3.125)
    np.testing.assert_allclose(
        errors["is_log_mgf"], (np.exp(draws) * weights).std() / mgf / np.sqrt(n), rtol=0.1)
    np.testing.assert_allclose(errors["mc_second_moment"], np.sqrt(48.0 / n), rtol=1e-12)


# ------------------------------------------------------------------ the demo's own logic


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--quick", "--steps N", "--only PART", "legacy", "tf2", "dice", "estimates"):
        assert option in text, option


@pytest.mark.parametrize("argv", [["--only", "everything"], ["--steps", "0"], ["--steps", "x"]])
def test_bad_options_are_refused(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_steps_and_only_reach_the_programs():
    args = demo.argparse.Namespace(quick=True, steps=7, only=("legacy", "dice"))
    programs, jobs = demo.plan(args)
    assert [module.rsplit(".", 1)[1] for _, module, _ in programs] == [
        "legacy_reinforce_bernoulli", "legacy_vae_elbo", "legacy_importance_sampling"]
    assert programs[0][2] == ["--steps", "7"] and programs[1][2][:2] == ["--steps", "7"]
    assert [section.title.split(":")[0] for section, _ in jobs] == ["second derivative"]


def _section(lines, error=None):
    section = demo.Section("model: test", "regime", "test")
    for line in lines:
        section.emit(line)
    section.finish(error)
    return section


@pytest.mark.parametrize("line, ok", [
    ("RESULT is_log_evidence -133.705 -133.74 0.01", True),     # +3.5 standard errors
    ("RESULT is_log_evidence -133.69 -133.74 0.01", False),     # +5
    ("RESULT is_log_evidence nan -133.74 0.01", False),
    ("RESULT vae_elbo_objective -4.60 -4.585 0.002", True),     # 0.015 below the bound
    ("RESULT vae_elbo_objective -4.62 -4.585 0.002", False),    # 0.035 below
    ("RESULT vae_elbo_objective -4.57 -4.585 0.002", False),    # 7.5 standard errors above
])
def test_summary_verdicts(capsys, line, ok):
    screen = demo.Screen([])
    assert demo.summary(screen, [_section([line])]) is ok
    row = capsys.readouterr().out.splitlines()[-1]
    assert ("ok," in row) is ok and ("MISSED" in row) is (not ok)


def test_reinforce_verdict_uses_the_initial_gap():
    initial = "RESULT reinforce_initial_expected_loss 2.1 0.5"
    assert demo.summary(demo.Screen([]), [_section(["RESULT reinforce_expected_loss 0.54 0.5",
                                                    initial])])
    assert not demo.summary(demo.Screen([]), [_section(["RESULT reinforce_expected_loss 0.6 0.5",
                                                        initial])])


def test_a_failed_section_fails_the_summary():
    assert not demo.summary(demo.Screen([]), [_section([], error="exit status 1")])


# ------------------------------------------------------------------ the new legacy programs


@pytest.mark.parametrize("program", sorted(LEGACY))
def test_new_legacy_program_is_legacy_code_plus_the_two_porting_lines(background, program):
    run = background[program].result()
    assert run.returncode == 0, run.stderr[-3000:]
    test_legacy_programs.test_program_is_legacy_code_plus_the_two_porting_lines(
        {program: run}, program)


def test_legacy_vae_trained_with_elbo_reaches_the_ppca_maximum_likelihood(background):
    run = background["legacy_vae_elbo"].result()
    assert run.returncode == 0, run.stderr[-3000:]
    _check_vae(_results(run.stdout.splitlines()))
    # The data, and so the known answer, are those of the TF2 version.
    known = _results(run.stdout.splitlines())["vae_elbo_objective"][1]
    data = tf2_models.make_vae_data(500, seed=1)
    assert known == pytest.approx(tf2_models.ppca_max_log_likelihood(data), abs=1e-6)
    # Trained with variational_inference.elbo, called at the program's own line.
    assert "legacy_vae_elbo.py:" in run.stderr
    assert "variational_inference.elbo is legacy tf.contrib API" in run.stderr


def test_legacy_importance_sampling_meets_the_closed_forms(background):
    run = background["legacy_importance_sampling"].result()
    assert run.returncode == 0, run.stderr[-3000:]
    results = _results(run.stdout.splitlines())
    _check_importance_sampling(results, 20_000)
    observations = tf2_models.make_observations(seed=1)
    assert results["is_log_evidence"][1] == pytest.approx(
        tf2_models.exact_log_evidence(observations), abs=1e-5)
    # The point of the log-space sampler: the plain one underflows float32 to p(x) = 0.
    assert "log(expectation_importance_sampler)     -inf" in run.stdout


# ------------------------------------------------------------------ end to end


def test_quick_demo_end_to_end(background):
    run = background["demo"].result()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    headers = [line for line in out.splitlines() if line.startswith("== ")]
    assert [h.split()[1] for h in headers] == [f"{i}/8" for i in range(1, 9)] + ["Summary"]
    for header, words in zip(headers, [
        ("REINFORCE", "TF1", "Session"), ("VAE", "elbo", "TF1"), ("importance", "TF1"),
        ("REINFORCE", "TF2", "tf.function"), ("VAE", "elbo", "TF2"), ("importance", "TF2"),
        ("DiCE",), ("monte_carlo", "three regimes"),
    ]):
        assert all(word in header for word in words), header
    # Progress while training, in both regimes: a line per fifth of the run, and the last step.
    sections = out.split("\n== ")
    for index in (1, 2, 4, 5):
        assert sum(line.strip().startswith("step") for line in sections[index].splitlines()) == 6
    assert "BayesflowDeprecationWarnings" in sections[1]  # counted from the legacy program
    # Summary rows: model: result | regime | result | known | verdict.
    rows = [re.split(r"\s{2,}", line.strip()) for line in out.split("== Summary")[1].splitlines()
            if re.search(r"  (TF1 Session|TF2 tf\.function|eager=function=Session)  ", line)]
    assert len(rows) == 16 and all(len(row) == 5 for row in rows), rows
    assert sum(row[1] == "TF1 Session" for row in rows) == 4
    assert all(row[4].startswith("ok, ") for row in rows), rows
    assert "MISSED" not in out and "every result matches its known answer" in out
    # The TF1 and TF2 programs solve the same problems: same known answers.
    tf1_labels = {row[0] for row in rows if row[1] == "TF1 Session"}
    known = {}
    for label, regime, _, answer, _ in rows:
        if label in tf1_labels:
            known.setdefault(label, []).append((regime, answer))
    for label, pairs in known.items():
        (_, tf1), (_, tf2) = sorted(pairs)
        assert [regime for regime, _ in sorted(pairs)] == ["TF1 Session", "TF2 tf.function"]
        assert tf1 == tf2, (label, pairs)


def test_readme_shows_the_demo_output():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the demo shows", 1)[1]
    for text in ("== 1/8", "== Summary", "every result matches its known answer",
                 "DiCE: d2/dtheta2"):
        assert text in section, text


def test_a_program_that_fails_is_reported_with_its_stderr():
    section = demo.Section("broken", "TF1 Session", "broken")
    demo.start_program(section, "tf_contrib_bayesflow.examples.no_such_program", [])
    seen, done = 0, False
    while not done:
        lines, done = section.wait(seen, timeout=60)
        seen += len(lines)
    assert section.error.startswith("exit status 1") and "No module named" in section.error
    assert not demo.summary(demo.Screen([]), [section])
