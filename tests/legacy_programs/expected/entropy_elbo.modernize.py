"""Entropy, ELBO and Renyi bounds in TF 1.1-1.4 style, with stochastic tensors.

Run and compared (original, ported, modernized) by tests/test_migrate.py.
"""
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import tf_contrib_bayesflow
tf_contrib_bayesflow.install()
import tensorflow_probability as tfp
from tensorflow.contrib.bayesflow import entropy
from tensorflow.contrib.bayesflow import stochastic_tensor as st
from tensorflow.contrib.bayesflow import variational_inference as vi

ds = tf.contrib.distributions
tf.set_random_seed(0)

q = ds.Normal(loc=tf.Variable([0.5, -0.5]), scale=[1.0, 2.0])
p = ds.Normal(loc=0.0, scale=1.0)
z = q.sample(100, seed=0)

exact = q.entropy()
# tf_contrib_bayesflow: no exact TFP equivalent; see https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide/entropy.md
maybe_exact = entropy.entropy_shannon(q, n=1000, seed=0)  # samples only without an entropy
elbo_analytic = q.entropy() + tf.reduce_mean(p.log_prob(z), axis=0)
elbo_sampled = -tf.reduce_mean(q.log_prob(z), axis=0) + tf.reduce_mean(p.log_prob(z), axis=0)
bound = tfp.math.reduce_logmeanexp((1 - 0.5) * (p.log_prob(z) - q.log_prob(z)), axis=0) / (1 - 0.5)
# tf_contrib_bayesflow: no exact TFP equivalent; see https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide/entropy.md
alpha = entropy.renyi_alpha(tf.train.get_or_create_global_step(), 100.0, alpha_min=0.0)

# tf_contrib_bayesflow: no exact TFP equivalent; see https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide/stochastic_tensor.md
with st.value_type(st.SampleValue()):
    # tf_contrib_bayesflow: no exact TFP equivalent; see https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide/stochastic_tensor.md
    latent = st.StochasticTensor(q)
# tf_contrib_bayesflow: no exact TFP equivalent; see https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide/variational_inference.md
vi.register_prior(latent, p)
log_likelihood = tf.reduce_sum(ds.Normal(latent, 1.0).log_prob([1.0, 2.0]))
# tf_contrib_bayesflow: no exact TFP equivalent; see https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide/variational_inference.md
loss = -vi.elbo(log_likelihood, form=vi.ELBOForms.analytic_kl)

names = ["exact", "maybe_exact", "elbo_analytic", "elbo_sampled", "bound", "alpha", "loss"]
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    values = sess.run([exact, maybe_exact, elbo_analytic, elbo_sampled, bound, alpha, loss])
for name, value in zip(names, values):
    print(name, np.shape(value), " ".join("%.9e" % v for v in np.ravel(value)))
