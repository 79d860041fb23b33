"""Monte Carlo estimates with known answers, computed in the three TensorFlow 2 regimes.

Run it as a program: `python -m tf_contrib_bayesflow.examples.monte_carlo_estimates [--n N]`.

Four legacy `monte_carlo` calls (both `expectation` forms and both importance samplers) are
evaluated eagerly, inside `tf.function`, and in a `tf.compat.v1` graph run by a Session, with
the same op seeds, so the three columns agree (to float32 rounding), and printed next to their
analytic values. The standard errors are `sd / sqrt(n)` for the per-sample standard deviation `sd`:
analytic for the plain averages, by quadrature of `f^2 p^2 / q` for the importance samplers
(for the log-space one, by the delta method: the standard error of the log of a mean is about
that of the mean over the mean).
"""
import argparse
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import monte_carlo

tfd = tfp.distributions

P, Q, TARGET = (1.0, 2.0), (0.0, 3.0), (3.0, 0.5)  # (loc, scale) of the three Normals

SEED = 1  # the global seed of all three regimes

# The largest relative difference between regimes: a few float32 rounding steps.
AGREEMENT = 1e-6

# name -> (label, analytic value)
ESTIMATES = {
    "mc_mean": ("E[X], X~N(1,2^2)   (TF1.0 form)", P[0]),
    "mc_second_moment": ("E[X^2]             (TF1.4 form)", P[0] ** 2 + P[1] ** 2),
    "is_mean": ("E_N(3,.5)[X] by IS from N(0,3)", TARGET[0]),
    "is_log_mgf": ("log E_N(3,.5)[e^X] by log-IS", TARGET[0] + TARGET[1] ** 2 / 2),
}


def estimates(n: int) -> Dict[str, tf.Tensor]:
    """Builds the estimates; works in any regime."""
    p = tfd.Normal(loc=P[0], scale=P[1])
    q = tfd.Normal(loc=Q[0], scale=Q[1])
    target = tfd.Normal(loc=TARGET[0], scale=TARGET[1])
    return {
        "mc_mean": monte_carlo.expectation(lambda x: x, p, n=n, seed=1),
        "mc_second_moment": monte_carlo.expectation(tf.square, p.sample(n, seed=2)),
        "is_mean": monte_carlo.expectation_importance_sampler(
            lambda x: x, target.log_prob, q, n=n, seed=3
        ),
        "is_log_mgf": monte_carlo.expectation_importance_sampler_logspace(
            lambda x: x, target.log_prob, q, n=n, seed=4
        ),
    }


def _normal_pdf(x: np.ndarray, loc_scale: Tuple[float, float]) -> np.ndarray:
    loc, scale = loc_scale
    return np.exp(-0.5 * ((x - loc) / scale) ** 2) / (scale * np.sqrt(2 * np.pi))


def _importance_sd(f: Callable[[np.ndarray], np.ndarray], mean: float) -> float:
    """sd of `f(Z) p(Z) / q(Z)`, `Z ~ q`: `sqrt(int f^2 p^2 / q - mean^2)`, by quadrature."""
    x = np.linspace(-12.0, 18.0, 300_001)
    second_moment = np.trapezoid(f(x) ** 2 * _normal_pdf(x, TARGET) ** 2 / _normal_pdf(x, Q), x)
    return float(np.sqrt(second_moment - mean ** 2))


def standard_errors(n: int) -> Dict[str, float]:
    """Standard error of each estimate with `n` samples."""
    mu, sigma = P
    mgf = np.exp(ESTIMATES["is_log_mgf"][1])
    return {
        "mc_mean": sigma / np.sqrt(n),
        "mc_second_moment": np.sqrt(2 * sigma ** 4 + 4 * mu ** 2 * sigma ** 2) / np.sqrt(n),
        "is_mean": _importance_sd(lambda x: x, TARGET[0]) / np.sqrt(n),
        "is_log_mgf": _importance_sd(np.exp, mgf) / mgf / np.sqrt(n),
    }


def _in_session(build: Callable[[], Dict[str, tf.Tensor]]) -> Dict[str, float]:
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(SEED)
        fetches = build()
        with tf.compat.v1.Session() as session:
            return session.run(fetches)


def run(
    n: int = 100_000, emit: Callable[[str], None] = print
) -> List[Tuple[str, float, float, float, float]]:
    """Returns rows (name, analytic, eager, tf.function, Session) and reports them.

    Through `emit`: the table, then `RESULT <name> <value> <analytic> <standard error>` lines,
    the value being the eager one, or `nan` if a regime differs by more than `AGREEMENT`.
    """
    # The same global and op seeds in every regime (setting the global seed also restarts the
    # eager random streams, which earlier draws in this process may have advanced).
    tf.random.set_seed(SEED)
    eager = estimates(n)
    tf.random.set_seed(SEED)
    function = tf.function(lambda: estimates(n))()
    session = _in_session(lambda: estimates(n))
    rows = [
        (name, known, float(eager[name]), float(function[name]), float(session[name]))
        for name, (_, known) in ESTIMATES.items()
    ]
    errors = standard_errors(n)
    emit(f"Monte Carlo estimates with n = {n} samples")
    emit(f"{'estimate':34s} {'analytic':>9s} {'eager':>9s} {'function':>9s} {'Session':>9s}"
         f" {'std err':>8s}")
    for name, *values in rows:
        emit(f"{ESTIMATES[name][0]:34s} " + " ".join(f"{v:9.4f}" for v in values)
             + f" {errors[name]:8.4f}")
    spread = max(abs(max(values) - min(values)) / abs(values[0]) for _, _, *values in rows)
    if spread == 0:
        emit("eager, tf.function and Session agree exactly")
    elif spread <= AGREEMENT:
        emit(f"eager, tf.function and Session agree to {spread:.1g} relative (float32 rounding:"
             " a graph rewrite may reorder a sum)")
    else:
        emit(f"eager, tf.function and Session DISAGREE, by {spread:.2g} relative")
    for name, known, *values in rows:
        agreed = values[0] if spread <= AGREEMENT else float("nan")
        emit("RESULT %s %.6f %.6f %.6f" % (name, agreed, known, errors[name]))
    return rows


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="samples per estimate")
    run(parser.parse_args(argv).n)


if __name__ == "__main__":
    main()
