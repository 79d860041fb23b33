"""A small variational autoencoder trained with `variational_inference.elbo`, as TF 1.1 code.

Run it as a program: `python -m tf_contrib_bayesflow.examples.legacy_vae_elbo`.
(Importing it switches TensorFlow to TF1 behaviour for the whole process.)

The legacy way to write a VAE with `tf.contrib.bayesflow`: the latent code is a
`StochasticTensor` over `tf.contrib.distributions.Normal(loc, scale)` from a `tf.contrib.layers`
encoder, `variational_inference.register_prior` attaches the standard normal prior to it, and
`variational_inference.elbo(log_likelihood)` finds the latent upstream of the decoder's log
likelihood, looks its prior up and adds `-KL(q || prior)` (the default form takes the analytic KL
when one is registered, as it is for two Normals). The Normal is reparameterized, so the gradient
flows through the sample. (`legacy_vae.py` is the same model with the KL written by hand.)

Known answer: the data are drawn from probabilistic PCA (`x = w z + b + noise`, one latent
dimension). With linear encoder and decoder the best ELBO equals the maximum log-likelihood of
probabilistic PCA on the data, in closed form (Tipping and Bishop, 1999): for the eigenvalues
`l_1 >= ... >= l_d` of the data covariance and `s2 = mean(l_2, ..., l_d)`,
`max log p(x) / N = -(d log(2 pi) + log l_1 + (d - 1) log s2 + d) / 2`. The ELBO can only
approach it from below (Lucas et al., Don't blame the ELBO, 2019).
"""
import argparse

import numpy as np
import tensorflow.compat.v1 as tf  # the legacy program said `import tensorflow as tf`

tf.disable_v2_behavior()
import tf_contrib_bayesflow  # noqa: E402  (the second porting line)

tf_contrib_bayesflow.install()

# From here on: the legacy program, unchanged.
st = tf.contrib.bayesflow.stochastic_tensor
vi = tf.contrib.bayesflow.variational_inference
distributions = tf.contrib.distributions
layers = tf.contrib.layers

DATA_DIM = 4
LATENT_DIM = 1


def make_data(num_points, seed):
    rng = np.random.RandomState(seed)
    w = np.array([[2.0, -1.0, 0.5, 1.5]])
    z = rng.randn(num_points, LATENT_DIM)
    noise = 0.5 * rng.randn(num_points, DATA_DIM)
    return (z.dot(w) + np.array([1.0, 0.0, -1.0, 2.0]) + noise).astype(np.float32)


def ppca_max_log_likelihood(data):
    """Mean log-likelihood per point of probabilistic PCA at its maximum (closed form)."""
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(data.T, bias=True)))[::-1]
    noise_variance = eigenvalues[LATENT_DIM:].mean()
    return -0.5 * (
        DATA_DIM * np.log(2 * np.pi)
        + np.log(eigenvalues[:LATENT_DIM]).sum()
        + (DATA_DIM - LATENT_DIM) * np.log(noise_variance)
        + DATA_DIM
    )


def build_model(x, learning_rate, steps):
    loc = layers.fully_connected(x, LATENT_DIM, activation_fn=None, scope="encoder_loc")
    scale = layers.fully_connected(x, LATENT_DIM, activation_fn=tf.nn.softplus,
                                   scope="encoder_scale")
    with st.value_type(st.SampleValue()):
        z = st.StochasticTensor(distributions.Normal(loc=loc, scale=scale), name="z")
    vi.register_prior(z, distributions.Normal(loc=0.0, scale=1.0))
    x_loc = layers.fully_connected(z, DATA_DIM, activation_fn=None, scope="decoder")
    noise_scale = tf.nn.softplus(
        tf.get_variable("noise_scale", [], initializer=tf.zeros_initializer())
    )
    # [N, 1], the shape of the per-point KL terms, so that elbo() adds them point by point.
    log_likelihood = tf.reduce_sum(
        distributions.Normal(loc=x_loc, scale=noise_scale).log_prob(x), axis=1, keep_dims=True
    )
    elbo = tf.reduce_mean(vi.elbo(log_likelihood))
    # The step size decays tenfold over the run, so the last iterates settle near the optimum.
    global_step = tf.train.get_or_create_global_step()
    decayed = tf.train.exponential_decay(learning_rate, global_step, steps, 0.1)
    train_op = tf.train.AdamOptimizer(decayed).minimize(-elbo, global_step=global_step)
    return elbo, train_op


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--num-points", type=int, default=500)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--eval-runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    data = make_data(args.num_points, args.seed)
    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        x = tf.placeholder(tf.float32, [None, DATA_DIM], name="x")
        elbo, train_op = build_model(x, args.learning_rate, args.steps)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            for step in range(args.steps):
                _, value = session.run([train_op, elbo], {x: data})
                if not args.quiet and (step % max(1, args.steps // 5) == 0
                                       or step == args.steps - 1):
                    print("step %5d  ELBO per point %.4f" % (step, value))
            # Each run draws new latent samples: average them, with the standard error.
            estimates = [session.run(elbo, {x: data}) for _ in range(args.eval_runs)]

    known = ppca_max_log_likelihood(data)
    standard_error = np.std(estimates, ddof=1) / np.sqrt(len(estimates))
    print("RESULT vae_elbo_objective %.6f %.6f %.6f" % (np.mean(estimates), known, standard_error))


if __name__ == "__main__":
    main()
