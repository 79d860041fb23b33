"""Monte Carlo expectations in TF 1.4 style: the sample form of `expectation`, log-space means.

A legacy program of the kind the codemod meets: TF1 graph code, `tf.contrib.bayesflow`
imported by its module path. It prints every estimate and gradient to full precision.
"""
from __future__ import print_function

import numpy as np
import tensorflow as tf
from tensorflow.contrib.bayesflow import monte_carlo as mc

# Fixed standard-normal draws, so that every run, and every rewrite of this file, averages over
# exactly the same samples.
rng = np.random.RandomState(0)
eps = tf.constant(rng.standard_normal((20000, 2)).astype(np.float32))

loc = tf.Variable([1.0, -1.0])
scale = tf.constant([2.0, 0.5])
p = tf.distributions.Normal(loc=loc, scale=scale)
x = loc + scale * eps  # reparameterized draws of p

mean = mc.expectation(lambda s: s, samples=x)
second_moment = mc.expectation(tf.square, x,
                               keep_dims=True,  # shape [1, 2]
                               use_reparametrization=True)
scored = mc.expectation(tf.square, x, log_prob=p.log_prob, use_reparametrization=False)
log_mean_density = mc._logspace_mean(p.log_prob(x))
pathwise_grad, = tf.gradients(tf.reduce_sum(second_moment), [loc])
score_grad, = tf.gradients(tf.reduce_sum(scored), [loc])

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    results = sess.run({
        "mean": mean,
        "second_moment": second_moment,
        "scored": scored,
        "log_mean_density": log_mean_density,
        "pathwise_grad": pathwise_grad,
        "score_grad": score_grad,
    })
for name in sorted(results):
    print(name, np.shape(results[name]), " ".join("%.9e" % v for v in np.ravel(results[name])))
