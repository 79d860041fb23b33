"""Entropy, ELBO and Renyi bounds in TF 1.1-1.4 style, with stochastic tensors.

Run and compared (original, ported, modernized) by tests/test_migrate.py.
"""
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import tf_contrib_bayesflow
tf_contrib_bayesflow.install()
from tensorflow.contrib.bayesflow import entropy
from tensorflow.contrib.bayesflow import stochastic_tensor as st
from tensorflow.contrib.bayesflow import variational_inference as vi

ds = tf.contrib.distributions
tf.set_random_seed(0)

q = ds.Normal(loc=tf.Variable([0.5, -0.5]), scale=[1.0, 2.0])
p = ds.Normal(loc=0.0, scale=1.0)
z = q.sample(100, seed=0)

exact = entropy.entropy_shannon(q, form=entropy.ELBOForms.analytic_entropy)
maybe_exact = entropy.entropy_shannon(q, n=1000, seed=0)  # samples only without an entropy
elbo_analytic = entropy.elbo_ratio(p.log_prob, q, z=z, form=vi.ELBOForms.analytic_entropy)
elbo_sampled = entropy.elbo_ratio(p.log_prob, q, z=z, form=entropy.ELBOForms.sample)
bound = entropy.renyi_ratio(p.log_prob, q, alpha=0.5, z=z)
alpha = entropy.renyi_alpha(tf.train.get_or_create_global_step(), 100.0, alpha_min=0.0)

with st.value_type(st.SampleValue()):
    latent = st.StochasticTensor(q)
vi.register_prior(latent, p)
log_likelihood = tf.reduce_sum(ds.Normal(latent, 1.0).log_prob([1.0, 2.0]))
loss = -vi.elbo(log_likelihood, form=vi.ELBOForms.analytic_kl)

names = ["exact", "maybe_exact", "elbo_analytic", "elbo_sampled", "bound", "alpha", "loss"]
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    values = sess.run([exact, maybe_exact, elbo_analytic, elbo_sampled, bound, alpha, loss])
for name, value in zip(names, values):
    print(name, np.shape(value), " ".join("%.9e" % v for v in np.ravel(value)))
