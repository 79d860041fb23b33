"""Importance sampling and the TF 1.0 distribution form of `expectation`.

Reaches the module through `tf.contrib.bayesflow` attribute access and a module alias, as TF
1.0-1.3 era code often did. Prints every estimate to full precision.
"""
import numpy as np
import tensorflow as tf

bf = tf.contrib.bayesflow
tf.set_random_seed(7)

rng = np.random.RandomState(1)
q = tf.distributions.Normal(loc=0.0, scale=2.0)
z = tf.constant(rng.normal(0.0, 2.0, size=(20000, 2)).astype(np.float32))
target = tf.distributions.Normal(loc=[-1.0, 1.0], scale=0.5)

# log E_target[X^2], estimated with draws from q.
log_second_moment = bf.monte_carlo.expectation_importance_sampler_logspace(
    lambda x: tf.log(tf.square(x)), target.log_prob, q, z=z)
target_mean = bf.monte_carlo.expectation_importance_sampler(
    lambda x: x, target.log_prob, q, z=z)
plain_mean = bf.monte_carlo.expectation(lambda x: x, q, z=z)
drawn_second_moment = tf.contrib.bayesflow.monte_carlo.expectation(
    tf.square, q, n=1000, seed=42)

sess = tf.Session()
results = sess.run([log_second_moment, target_mean, plain_mean, drawn_second_moment])
names = ["log_second_moment", "target_mean", "plain_mean", "drawn_second_moment"]
for name, value in zip(names, results):
    print(name, np.shape(value), " ".join("%.9e" % v for v in np.ravel(value)))
sess.close()
