"""REINFORCE with a Bernoulli mask, written as TF 1.1-1.4 code (ported with two lines).

Run it as a program: `python -m tf_contrib_bayesflow.examples.legacy_reinforce_bernoulli`.
(Importing it switches TensorFlow to TF1 behaviour for the whole process.)

A mask `m` in {0, 1}^8 over a signal `x` is learned so that `m * x` matches a target `y`:
each coordinate costs `(m_j x_j - y_j)^2`, that is `(x_j - y_j)^2` if kept and `y_j^2` if
dropped. The mask is a `StochasticTensor` over `Bernoulli(logits=theta)`; its samples carry no
gradient, so `surrogate_loss` adds the score-function term `log p(m) * (loss - baseline)` with
a moving-average baseline (`get_score_function_with_baseline(get_mean_baseline(...))`).

Known answer: the best mask keeps coordinate j iff `(x_j - y_j)^2 < y_j^2`; the expected loss
under the learned probabilities (computed exactly) approaches the mean of the smaller costs.
"""
import argparse

import numpy as np
import tensorflow.compat.v1 as tf  # the legacy program said `import tensorflow as tf`

tf.disable_v2_behavior()
import tf_contrib_bayesflow  # noqa: E402  (the second porting line)

tf_contrib_bayesflow.install()

# From here on: the legacy program, unchanged.
st = tf.contrib.bayesflow.stochastic_tensor
sg = tf.contrib.bayesflow.stochastic_graph
sge = tf.contrib.bayesflow.stochastic_gradient_estimators
distributions = tf.contrib.distributions

SIGNAL = np.array([1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5, -0.5], np.float32)
TARGET = np.array([1.0, 0.0, -1.5, 2.0, 2.5, 1.0, 0.0, -1.0], np.float32)
KEEP_COST = (SIGNAL - TARGET) ** 2
DROP_COST = TARGET ** 2


def expected_loss(keep_probability):
    """Exact mean over coordinates of E[(m x - y)^2] for independent Bernoulli(p) masks."""
    return float(np.mean(keep_probability * KEEP_COST + (1.0 - keep_probability) * DROP_COST))


def build_model(batch_size, learning_rate, ema_decay):
    logits = tf.get_variable("logits", [len(SIGNAL)], initializer=tf.zeros_initializer())
    baseline = sge.get_mean_baseline(ema_decay=ema_decay)
    with st.value_type(st.SampleValue(batch_size)):
        mask = st.StochasticTensor(
            distributions.Bernoulli(logits=logits, dtype=tf.float32),
            loss_fn=sge.get_score_function_with_baseline(baseline),
        )
    loss = tf.square(tf.multiply(mask, SIGNAL) - TARGET)  # [batch_size, 8], one per coordinate
    surrogate = sg.surrogate_loss([loss])
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(tf.reduce_mean(surrogate))
    return tf.sigmoid(logits), tf.reduce_mean(loss), train_op


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    with tf.Graph().as_default():
        tf.set_random_seed(args.seed)
        probs, batch_loss, train_op = build_model(args.batch_size, args.learning_rate, 0.9)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            for step in range(args.steps):
                _, loss_value = session.run([train_op, batch_loss])
                if not args.quiet and step % 50 == 0:
                    print("step %4d  batch loss %.4f" % (step, loss_value))
            keep_probability = session.run(probs)

    best = np.minimum(KEEP_COST, DROP_COST).mean()
    if not args.quiet:
        print("keep probabilities", np.round(keep_probability, 3))
        print("optimal mask      ", (KEEP_COST < DROP_COST).astype(int))
    print("RESULT reinforce_expected_loss %.6f %.6f" % (expected_loss(keep_probability), best))
    print("RESULT reinforce_initial_expected_loss %.6f %.6f" % (expected_loss(0.5), best))


if __name__ == "__main__":
    main()
