"""Monte Carlo estimates with known answers, computed in the three TensorFlow 2 regimes.

Legacy `monte_carlo` calls are evaluated eagerly, inside `tf.function`, and in a
`tf.compat.v1` graph run by a Session, and printed next to their analytic values.
"""
from typing import Callable, Dict, List, Tuple

import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import monte_carlo

tfd = tfp.distributions


def estimates(n: int) -> Dict[str, tf.Tensor]:
    """Builds the estimates; works in any regime."""
    p = tfd.Normal(loc=1.0, scale=2.0)
    q = tfd.Normal(loc=0.0, scale=3.0)
    target = tfd.Normal(loc=3.0, scale=0.5)
    return {
        "E[X], X~N(1,2^2)   (TF1.0 form)": monte_carlo.expectation(
            lambda x: x, p, n=n, seed=1
        ),
        "E[X^2]             (TF1.4 form)": monte_carlo.expectation(
            tf.square, p.sample(n, seed=2)
        ),
        "E_N(3,.5)[X] by IS from N(0,3)": monte_carlo.expectation_importance_sampler(
            lambda x: x, target.log_prob, q, n=n, seed=3
        ),
        "log E_N(3,.5)[e^X] by log-IS": monte_carlo.expectation_importance_sampler_logspace(
            lambda x: x, target.log_prob, q, n=n, seed=4
        ),
    }


ANALYTIC = {
    "E[X], X~N(1,2^2)   (TF1.0 form)": 1.0,
    "E[X^2]             (TF1.4 form)": 1.0 + 4.0,
    "E_N(3,.5)[X] by IS from N(0,3)": 3.0,
    "log E_N(3,.5)[e^X] by log-IS": 3.0 + 0.125,  # log of the normal MGF at 1
}


def _in_session(build: Callable[[], Dict[str, tf.Tensor]]) -> Dict[str, float]:
    with tf.Graph().as_default():
        fetches = build()
        with tf.compat.v1.Session() as session:
            return session.run(fetches)


def run(n: int = 100_000) -> List[Tuple[str, float, float, float, float]]:
    """Returns rows (name, analytic, eager, tf.function, Session) and prints them."""
    eager = estimates(n)
    function = tf.function(lambda: estimates(n))()
    session = _in_session(lambda: estimates(n))
    rows = [
        (name, ANALYTIC[name], float(eager[name]), float(function[name]), float(session[name]))
        for name in ANALYTIC
    ]
    print(f"Monte Carlo estimates with n = {n} samples")
    print(f"{'estimate':34s} {'analytic':>9s} {'eager':>9s} {'function':>9s} {'Session':>9s}")
    for name, *values in rows:
        print(f"{name:34s} " + " ".join(f"{v:9.4f}" for v in values))
    return rows


if __name__ == "__main__":
    run()
