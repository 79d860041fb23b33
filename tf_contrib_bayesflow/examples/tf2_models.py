"""The legacy programs' three models in TensorFlow 2 style: variables, `tf.function` steps, TFP.

Run it as a program: `python -m tf_contrib_bayesflow.examples.tf2_models [--steps N] [--quick]`.
(It changes no global TensorFlow state; the demo runs it in-process.)

The same problems and known answers as the TF1 programs `legacy_reinforce_bernoulli.py`,
`legacy_vae_elbo.py` and `legacy_importance_sampling.py` (read their docstrings for the maths),
written as new TensorFlow 2 code would use this package: `from tf_contrib_bayesflow import ...`,
`tfp.distributions`, `tf.Variable`s, a Keras optimizer, and each training step a `tf.function`
in which `surrogate_loss` and `elbo` find the stochastic tensors by walking the traced graph.

1. REINFORCE: a Bernoulli mask `StochasticTensor` with a moving-average baseline
   (`get_score_function_with_baseline(get_mean_baseline(...))`, the baseline made outside the
   `tf.function`, as its state must be); `stochastic_graph.surrogate_loss` gives the
   score-function gradient.
2. VAE: the latent `StochasticTensor` over `Normal(loc, scale)`, `register_prior` inside the
   step (it registers into the traced graph) and `variational_inference.elbo`.
3. Importance sampling: `monte_carlo.expectation_importance_sampler` for the tail probability
   (float64) and `expectation_importance_sampler_logspace` for the log evidence.

Each function reports through `emit` (default `print`): progress lines while training, then
`RESULT <name> <value> <known> [<standard error>]` lines, as the legacy programs print them.
"""
import argparse
import math
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor as st
from tf_contrib_bayesflow import variational_inference as vi

tfd = tfp.distributions
Emit = Callable[[str], None]

# The REINFORCE problem (as legacy_reinforce_bernoulli.py).
SIGNAL = np.array([1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5, -0.5], np.float32)
TARGET = np.array([1.0, 0.0, -1.5, 2.0, 2.5, 1.0, 0.0, -1.0], np.float32)
KEEP_COST = (SIGNAL - TARGET) ** 2
DROP_COST = TARGET ** 2

# The VAE data (as legacy_vae_elbo.py): probabilistic PCA with one latent dimension.
DATA_DIM = 4
LATENT_DIM = 1

# The importance-sampling problems (as legacy_importance_sampling.py).
THRESHOLD = 4.0
NUM_OBSERVATIONS = 100


def _every(steps: int) -> int:
    """Progress is reported five times per run, and at the last step."""
    return max(1, steps // 5)


# ------------------------------------------------------------------------------ REINFORCE


def expected_mask_loss(keep_probability: np.ndarray) -> float:
    """Exact mean over coordinates of `E[(m x - y)^2]` for independent Bernoulli(p) masks."""
    return float(np.mean(keep_probability * KEEP_COST + (1.0 - keep_probability) * DROP_COST))


def reinforce(
    steps: int = 300, batch_size: int = 64, learning_rate: float = 0.1, seed: int = 1,
    emit: Emit = print,
) -> None:
    """Learns the Bernoulli mask with score-function gradients and a mean baseline."""
    tf.random.set_seed(seed)
    logits = tf.Variable(tf.zeros([len(SIGNAL)]), name="logits")
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    # State (a moving average) is created on the first call, so make the function out here.
    baseline = sge.get_mean_baseline(ema_decay=0.9)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            with st.value_type(st.SampleValue(batch_size)):
                mask = st.StochasticTensor(
                    tfd.Bernoulli(logits=logits, dtype=tf.float32),
                    loss_fn=sge.get_score_function_with_baseline(baseline),
                )
            # No operator overloads on a StochasticTensor (as legacy): use tf ops, or mask.value().
            loss = tf.square(tf.multiply(mask, SIGNAL) - TARGET)  # [batch_size, 8]
            surrogate = tf.reduce_mean(stochastic_graph.surrogate_loss([loss]))
        optimizer.apply_gradients(zip(tape.gradient(surrogate, [logits]), [logits]))
        return tf.reduce_mean(loss)

    for step in range(steps):
        batch_loss = train_step()
        if step % _every(steps) == 0 or step == steps - 1:
            emit("step %4d  batch loss %.4f" % (step, batch_loss))
    keep_probability = tf.sigmoid(logits).numpy()
    best = float(np.minimum(KEEP_COST, DROP_COST).mean())
    emit("keep probabilities %s" % np.round(keep_probability, 3))
    emit("optimal mask       %s" % (KEEP_COST < DROP_COST).astype(int))
    emit("RESULT reinforce_expected_loss %.6f %.6f" % (expected_mask_loss(keep_probability), best))
    emit("RESULT reinforce_initial_expected_loss %.6f %.6f" % (expected_mask_loss(0.5), best))


# ------------------------------------------------------------------------------------ VAE


def make_vae_data(num_points: int, seed: int) -> np.ndarray:
    """Points `x = w z + b + noise` from probabilistic PCA, one latent dimension."""
    rng = np.random.RandomState(seed)
    w = np.array([[2.0, -1.0, 0.5, 1.5]])
    z = rng.randn(num_points, LATENT_DIM)
    noise = 0.5 * rng.randn(num_points, DATA_DIM)
    return (z.dot(w) + np.array([1.0, 0.0, -1.0, 2.0]) + noise).astype(np.float32)


def ppca_max_log_likelihood(data: np.ndarray) -> float:
    """Mean log-likelihood per point of probabilistic PCA at its maximum (closed form)."""
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(data.T, bias=True)))[::-1]
    noise_variance = eigenvalues[LATENT_DIM:].mean()
    return float(-0.5 * (
        DATA_DIM * np.log(2 * np.pi)
        + np.log(eigenvalues[:LATENT_DIM]).sum()
        + (DATA_DIM - LATENT_DIM) * np.log(noise_variance)
        + DATA_DIM
    ))


def _dense(inputs: int, outputs: int, name: str, seed: int) -> tuple:
    initializer = tf.keras.initializers.GlorotUniform(seed=seed)
    return (tf.Variable(initializer([inputs, outputs]), name=name + "_kernel"),
            tf.Variable(tf.zeros([outputs]), name=name + "_bias"))


def vae(
    steps: int = 1000, num_points: int = 500, learning_rate: float = 0.05, eval_runs: int = 200,
    seed: int = 1, emit: Emit = print,
) -> None:
    """Trains the linear VAE on the ELBO from `variational_inference.elbo`."""
    tf.random.set_seed(seed)
    x = tf.constant(make_vae_data(num_points, seed))
    encoder_loc = _dense(DATA_DIM, LATENT_DIM, "encoder_loc", seed)
    encoder_scale = _dense(DATA_DIM, LATENT_DIM, "encoder_scale", seed + 1)
    decoder = _dense(LATENT_DIM, DATA_DIM, "decoder", seed + 2)
    noise_scale = tf.Variable(0.0, name="noise_scale")
    variables = [*encoder_loc, *encoder_scale, *decoder, noise_scale]
    # The step size decays tenfold over the run, so the last iterates settle near the optimum.
    schedule = tf.keras.optimizers.schedules.ExponentialDecay(learning_rate, steps, 0.1)
    optimizer = tf.keras.optimizers.Adam(schedule)

    def elbo_per_point():
        loc = tf.matmul(x, encoder_loc[0]) + encoder_loc[1]
        scale = tf.nn.softplus(tf.matmul(x, encoder_scale[0]) + encoder_scale[1])
        z = st.StochasticTensor(tfd.Normal(loc=loc, scale=scale), name="z")
        vi.register_prior(z, tfd.Normal(loc=0.0, scale=1.0))
        x_loc = tf.matmul(z, decoder[0]) + decoder[1]
        likelihood = tfd.Normal(loc=x_loc, scale=tf.nn.softplus(noise_scale))
        # [N, 1], the shape of the per-point KL terms, so that elbo() adds them point by point.
        log_likelihood = tf.reduce_sum(likelihood.log_prob(x), axis=1, keepdims=True)
        return tf.reduce_mean(vi.elbo(log_likelihood))

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            elbo = elbo_per_point()
            loss = -elbo
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return elbo

    evaluate = tf.function(elbo_per_point)
    for step in range(steps):
        elbo = train_step()
        if step % _every(steps) == 0 or step == steps - 1:
            emit("step %5d  ELBO per point %.4f" % (step, elbo))
    # Each evaluation draws new latent samples: average them, with the standard error.
    estimates = [float(evaluate()) for _ in range(eval_runs)]
    standard_error = np.std(estimates, ddof=1) / np.sqrt(eval_runs)
    emit("RESULT vae_elbo_objective %.6f %.6f %.6f"
         % (np.mean(estimates), ppca_max_log_likelihood(x.numpy()), standard_error))


# ---------------------------------------------------------------------- importance sampling


def make_observations(seed: int) -> np.ndarray:
    """`M` observations `x_i ~ Normal(0.8, 1)`: the data of the log-evidence problem."""
    rng = np.random.RandomState(seed)
    return (0.8 + rng.randn(NUM_OBSERVATIONS)).astype(np.float32)


def exact_log_evidence(x: np.ndarray) -> float:
    """`log Normal(x; 0, I + 1 1^T)`: determinant `1 + M`, inverse `I - 1 1^T / (1 + M)`."""
    x = x.astype(np.float64)
    m = len(x)
    quadratic = x.dot(x) - x.sum() ** 2 / (1.0 + m)
    return float(-0.5 * (m * np.log(2 * np.pi) + np.log(1.0 + m) + quadratic))


def importance_sampling(num_samples: int = 100_000, seed: int = 1, emit: Emit = print) -> None:
    """A rare-event probability and a log evidence, by (log-space) importance sampling."""
    tf.random.set_seed(seed)
    observations = make_observations(seed)
    prior = tfd.Normal(loc=0.0, scale=1.0)
    posterior_scale = 1.0 / math.sqrt(1.0 + NUM_OBSERVATIONS)
    posterior_mean = float(observations.sum()) * posterior_scale ** 2

    def log_joint(z):
        likelihood = tfd.Normal(loc=z[..., tf.newaxis], scale=1.0)
        return prior.log_prob(z) + tf.reduce_sum(likelihood.log_prob(observations), -1)

    @tf.function
    def estimate():
        # float64: the sampler subtracts two numbers near 1 (see legacy_importance_sampling.py).
        p = tfd.Normal(loc=tf.constant(0.0, tf.float64), scale=1.0)
        q_tail = tfd.Normal(loc=tf.constant(THRESHOLD, tf.float64), scale=1.0)
        z_tail = q_tail.sample(num_samples)

        def event(x):
            return tf.cast(x > THRESHOLD, tf.float64)

        tail = monte_carlo.expectation_importance_sampler(event, p.log_prob, q_tail, z=z_tail)
        weighted = event(z_tail) * tf.exp(p.log_prob(z_tail) - q_tail.log_prob(z_tail))
        # A proposal a little off and wider than the posterior Normal(mean, scale^2).
        q = tfd.Normal(loc=posterior_mean + posterior_scale, scale=1.5 * posterior_scale)
        z = q.sample(num_samples)
        log_evidence = monte_carlo.expectation_importance_sampler_logspace(
            tf.zeros_like, log_joint, q, z=z)
        return tail, weighted, log_evidence, log_joint(z) - q.log_prob(z)

    tail, weighted, log_evidence, log_weights = (t.numpy() for t in estimate())
    tail_known = 0.5 * math.erfc(THRESHOLD / math.sqrt(2.0))
    relative = np.exp(log_weights.astype(np.float64) - log_weights.max())
    evidence_error = np.std(relative, ddof=1) / np.sqrt(num_samples) / relative.mean()
    emit("P(X > 4) with n = %d draws: importance sampling %.4g" % (num_samples, tail))
    emit("log evidence of M = %d observations: expectation_importance_sampler_logspace %.4f"
         % (NUM_OBSERVATIONS, log_evidence))
    emit("RESULT is_tail_probability %.6g %.6g %.6g"
         % (tail, tail_known, np.std(weighted, ddof=1) / np.sqrt(num_samples)))
    emit("RESULT is_log_evidence %.6f %.6f %.6f"
         % (log_evidence, exact_log_evidence(observations), evidence_error))


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps of both models (default: REINFORCE 300, VAE 1000)")
    parser.add_argument("--quick", action="store_true", help="fewer samples and evaluations")
    args = parser.parse_args(argv)
    reinforce(**({} if args.steps is None else {"steps": args.steps}))
    vae(**({} if args.steps is None else {"steps": args.steps}),
        eval_runs=50 if args.quick else 200)
    importance_sampling(num_samples=20_000 if args.quick else 100_000)


if __name__ == "__main__":
    main()
