"""Importance sampling with `monte_carlo`, written as TF 1.4 code (ported with two lines).

Run it as a program: `python -m tf_contrib_bayesflow.examples.legacy_importance_sampling`.
(Importing it switches TensorFlow to TF1 behaviour for the whole process.)

Two estimates with closed-form answers, both from draws of a proposal `q` weighted by `p / q`:

1. A rare event: `P(X > 4)` for `X ~ Normal(0, 1)` is `erfc(4 / sqrt(2)) / 2 = 3.17e-5`, so
   plain Monte Carlo with 1e5 draws sees about three hits. `expectation_importance_sampler`
   draws from the shifted proposal `q = Normal(4, 1)`, where half the draws land in the event.
   This part runs in float64, as the legacy tests did: the sampler averages `(f + 1) p / q`
   and `p / q` in log space and subtracts their exponentials, two numbers near 1, so in float32
   a probability of 3e-5 keeps only about one significant digit.
2. A log evidence: for `z ~ Normal(0, 1)` and `x_i | z ~ Normal(z, 1)`, `i = 1..M`, the
   marginal likelihood is `log Normal(x; 0, I + 1 1^T)`, in closed form. With `M = 100`
   observations it is about -145, so `p(x) = exp(-145)` underflows float32:
   `expectation_importance_sampler` (which returns `p(x)` itself) gives 0 and its log `-inf`,
   while `expectation_importance_sampler_logspace` (with `log_f = 0` and the unnormalized
   `log p(x, z)` as `log_p`) returns the log directly. The proposal is a Normal a little off
   and wider than the posterior.

The standard errors are computed from the same draws' weights (the second by the delta method,
`se(log w_bar) = se(w_bar) / w_bar`).
"""
import argparse
import math

import numpy as np
import tensorflow.compat.v1 as tf  # the legacy program said `import tensorflow as tf`

tf.disable_v2_behavior()
import tf_contrib_bayesflow  # noqa: E402  (the second porting line)

tf_contrib_bayesflow.install()

# From here on: the legacy program, unchanged.
monte_carlo = tf.contrib.bayesflow.monte_carlo
distributions = tf.contrib.distributions

THRESHOLD = 4.0
NUM_OBSERVATIONS = 100


def tail_probability_estimates(num_samples, seed):
    p = distributions.Normal(loc=tf.constant(0.0, tf.float64), scale=1.0)
    q = distributions.Normal(loc=tf.constant(THRESHOLD, tf.float64), scale=1.0)

    def event(x):
        return tf.cast(x > THRESHOLD, tf.float64)

    z = q.sample(num_samples, seed=seed)
    estimate = monte_carlo.expectation_importance_sampler(event, p.log_prob, q, z=z)
    weighted = event(z) * tf.exp(p.log_prob(z) - q.log_prob(z))
    plain = monte_carlo.expectation(event, p.sample(num_samples, seed=seed + 1))
    return estimate, weighted, plain


def make_observations(seed):
    rng = np.random.RandomState(seed)
    return (0.8 + rng.randn(NUM_OBSERVATIONS)).astype(np.float32)


def exact_log_evidence(x):
    """log Normal(x; 0, I + 1 1^T): determinant 1 + M, inverse I - 1 1^T / (1 + M)."""
    x = x.astype(np.float64)
    m = len(x)
    quadratic = x.dot(x) - x.sum() ** 2 / (1.0 + m)
    return -0.5 * (m * np.log(2 * np.pi) + np.log(1.0 + m) + quadratic)


def log_evidence_estimates(x, num_samples, seed):
    prior = distributions.Normal(loc=0.0, scale=1.0)

    def log_joint(z):
        likelihood = distributions.Normal(loc=tf.expand_dims(z, -1), scale=1.0)
        return prior.log_prob(z) + tf.reduce_sum(likelihood.log_prob(x), -1)

    posterior_scale = 1.0 / math.sqrt(1.0 + len(x))
    posterior_mean = float(x.sum()) * posterior_scale ** 2
    q = distributions.Normal(loc=posterior_mean + posterior_scale, scale=1.5 * posterior_scale)
    z = q.sample(num_samples, seed=seed)
    log_evidence = monte_carlo.expectation_importance_sampler_logspace(
        lambda z: tf.zeros_like(z), log_joint, q, z=z)
    evidence = monte_carlo.expectation_importance_sampler(
        lambda z: tf.ones_like(z), log_joint, q, z=z)
    return log_evidence, tf.log(evidence), log_joint(z) - q.log_prob(z)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-samples", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    x = make_observations(args.seed)
    with tf.Graph().as_default():
        tail = tail_probability_estimates(args.num_samples, args.seed)
        evidence = log_evidence_estimates(x, args.num_samples, args.seed + 2)
        with tf.Session() as session:
            (tail_estimate, weighted, plain), (log_evidence, log_of_plain, log_weights) = (
                session.run([tail, evidence]))

    n = args.num_samples
    tail_known = 0.5 * math.erfc(THRESHOLD / math.sqrt(2.0))
    tail_error = np.std(weighted, ddof=1) / np.sqrt(n)
    relative = np.exp(log_weights.astype(np.float64) - log_weights.max())
    evidence_error = np.std(relative, ddof=1) / np.sqrt(n) / relative.mean()
    if not args.quiet:
        print("P(X > 4) with n = %d draws: plain Monte Carlo %.3g (%d hits), "
              "importance sampling %.4g" % (n, plain, round(plain * n), tail_estimate))
        print("log evidence of M = %d observations:" % len(x))
        print("  log(expectation_importance_sampler)     %.4f  (p(x) underflows float32)"
              % log_of_plain)
        print("  expectation_importance_sampler_logspace %.4f" % log_evidence)
    print("RESULT is_tail_probability %.6g %.6g %.6g" % (tail_estimate, tail_known, tail_error))
    print("RESULT is_log_evidence %.6f %.6f %.6f"
          % (log_evidence, exact_log_evidence(x), evidence_error))


if __name__ == "__main__":
    main()
