"""Entropy and a fitted Normal, written as TF 1.0 code (`mu`/`sigma`; ported with two lines).

Run it as a program: `python -m tf_contrib_bayesflow.examples.legacy_tf10_entropy`.
(Importing it switches TensorFlow to TF1 behaviour for the whole process.)

Three known answers, with the TF 1.0 spellings `Normal(mu=, sigma=)`, `NormalWithSoftplusSigma`,
`.mu`/`.sigma`, `std()`, `kl`, `entropy_shannon` and the distribution form of
`monte_carlo.expectation`:

1. `entropy_shannon(p, n=..., form=ELBOForms.sample)` of `p = Normal(mu=1, sigma=2)` estimates
   `log(2 pi e sigma^2) / 2`; the Monte Carlo standard error is `sqrt(1/2 / n)`, since
   `-log p(X)` is a constant plus `Z^2 / 2` with `Z` standard normal, of variance 1/2.
2. `expectation(f, p, n=...)` of `f(x) = x^2` estimates `mu^2 + sigma^2 = 5`; the standard
   error is `sqrt((2 sigma^4 + 4 mu^2 sigma^2) / n)`.
3. `q = NormalWithSoftplusSigma(mu=a, sigma=b)` is fitted to the target `Normal(mu=3, sigma=2)`
   by maximizing `E_q[log p] + entropy_shannon(q)` (that is `-KL(q || p)`), with reparameterized
   samples from `q`: `q.mu -> 3`, `q.sigma -> 2`, `kl(q, p) -> 0`.
"""
import argparse

import numpy as np
import tensorflow.compat.v1 as tf  # the legacy program said `import tensorflow as tf`

tf.disable_v2_behavior()
import tf_contrib_bayesflow  # noqa: E402  (the second porting line)

tf_contrib_bayesflow.install()

# From here on: the legacy program, unchanged.
distributions = tf.contrib.distributions
entropy = tf.contrib.bayesflow.entropy
monte_carlo = tf.contrib.bayesflow.monte_carlo

TARGET_MU, TARGET_SIGMA = 3.0, 2.0


def build_estimates(num_samples):
    p = distributions.Normal(mu=1.0, sigma=2.0)
    sampled = entropy.entropy_shannon(p, n=num_samples, form=entropy.ELBOForms.sample, seed=3)
    analytic = entropy.entropy_shannon(p)  # the default form uses the analytic entropy
    second_moment = monte_carlo.expectation(tf.square, p, n=num_samples, seed=4)
    return sampled, analytic, second_moment, p.std()


def build_fit(num_samples, learning_rate, steps):
    target = distributions.Normal(mu=TARGET_MU, sigma=TARGET_SIGMA)
    q = distributions.NormalWithSoftplusSigma(
        mu=tf.Variable(0.0, name="q_mu"), sigma=tf.Variable(0.0, name="q_sigma_raw")
    )
    # -KL(q || target) up to nothing: the target is normalized.
    objective = (
        monte_carlo.expectation(target.log_pdf, q, n=num_samples)
        + entropy.entropy_shannon(q)
    )
    global_step = tf.Variable(0, trainable=False, name="global_step")
    decayed = tf.train.exponential_decay(learning_rate, global_step, steps, 0.1)
    train_op = tf.train.AdamOptimizer(decayed).minimize(-objective, global_step=global_step)
    return q, distributions.kl(q, target), train_op


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--num-samples", type=int, default=100000)
    parser.add_argument("--fit-samples", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        estimates = build_estimates(args.num_samples)
        q, kl, train_op = build_fit(args.fit_samples, args.learning_rate, args.steps)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            sampled, analytic, second_moment, std = session.run(estimates)
            for step in range(args.steps):
                session.run(train_op)
                if not args.quiet and step % 100 == 0:
                    print("step %4d  q.mu %.4f  q.sigma %.4f  KL %.5f"
                          % ((step,) + tuple(session.run([q.mu, q.sigma, kl]))))
            mu, sigma, kl_value = session.run([q.mu, q.sigma, kl])

    n = args.num_samples
    entropy_known = 0.5 * np.log(2 * np.pi * np.e * std ** 2)
    moment_error = np.sqrt((2 * 2.0 ** 4 + 4 * 1.0 ** 2 * 2.0 ** 2) / n)
    print("RESULT tf10_entropy_analytic %.6f %.6f" % (analytic, entropy_known))
    print("RESULT tf10_entropy_sampled %.6f %.6f %.6f" % (sampled, entropy_known, np.sqrt(0.5 / n)))
    print("RESULT tf10_second_moment %.6f %.6f %.6f" % (second_moment, 5.0, moment_error))
    print("RESULT tf10_fit_mu %.6f %.6f" % (mu, TARGET_MU))
    print("RESULT tf10_fit_sigma %.6f %.6f" % (sigma, TARGET_SIGMA))
    print("RESULT tf10_fit_kl %.6f %.6f" % (kl_value, 0.0))


if __name__ == "__main__":
    main()
