"""TensorFlow 1's `tf.contrib.bayesflow`, rebuilt on TensorFlow 2 and TensorFlow Probability.

Import the legacy modules from here (`from tf_contrib_bayesflow import monte_carlo`), or call
`install()` once so that legacy `tf.contrib.bayesflow` code runs unchanged.
"""
from tf_contrib_bayesflow import distributions
from tf_contrib_bayesflow import entropy
from tf_contrib_bayesflow import monte_carlo
from tf_contrib_bayesflow import stochastic_gradient_estimators
from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor
from tf_contrib_bayesflow import stochastic_variables
from tf_contrib_bayesflow import variational_inference
from tf_contrib_bayesflow._internal.alias import install, uninstall
from tf_contrib_bayesflow._internal.deprecation import BayesflowDeprecationWarning

__version__ = "0.1.0"

__all__ = [
    "BayesflowDeprecationWarning",
    "distributions",
    "entropy",
    "install",
    "monte_carlo",
    "stochastic_gradient_estimators",
    "stochastic_graph",
    "stochastic_tensor",
    "stochastic_variables",
    "variational_inference",
    "uninstall",
]
