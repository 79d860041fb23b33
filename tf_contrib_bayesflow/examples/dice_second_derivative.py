"""Second derivatives through a sample: the legacy surrogate loss vs DiCE, against the exact value.

Run it as a program: `python -m tf_contrib_bayesflow.examples.dice_second_derivative`.

`x ~ Bernoulli(logits=theta)` at `theta = 0.3`, `f(x) = 2 x`, so `E[f] = 2 s` with
`s = sigmoid(theta)`, and exactly

```none
d/dtheta   E[f] = 2 s (1 - s)                       =  0.4889
d2/dtheta2 E[f] = 2 s (1 - s) (1 - 2 s)             = -0.0728
```

The legacy surrogate `f + log p(x) * stop(f)` (`stochastic_graph.surrogate_loss`) has the right
first derivative, `f * d log p`, but its second derivative is `f * d2 log p = -f s (1 - s)`,
whose expectation is `-2 s^2 (1 - s) = -0.2809`: the score term's own dependence on `theta` is
cut by the stop-gradient. DiCE (`surrogate_loss(..., dice=True)`) writes the loss as
`f * exp(log p - stop(log p))`, whose derivatives of every order are unbiased: the second is
`f * (d2 log p + (d log p)^2)`, with expectation the exact `-0.0728`.

The estimates come from automatic differentiation (two nested `GradientTape`s inside a
`tf.function`) of the two surrogates over `n` samples. Each sample gets its own copy of `theta`,
so one backward pass gives every per-sample derivative, and the standard errors are those of
their means.

#### References

Foerster, J. et al. DiCE: The infinitely differentiable Monte Carlo estimator. ICML, 2018.
"""
import argparse
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor as st

tfd = tfp.distributions
THETA = 0.3


def exact(theta: float = THETA) -> dict:
    """Closed forms: the true derivatives, and what the legacy surrogate's estimates average to."""
    s = 1.0 / (1.0 + np.exp(-theta))
    return {
        "first": 2 * s * (1 - s),
        "second": 2 * s * (1 - s) * (1 - 2 * s),
        "legacy_second": -2 * s ** 2 * (1 - s),
    }


def per_sample_derivatives(num_samples: int, theta: float = THETA, seed: int = 1) -> dict:
    """First and second derivatives of both surrogates, one per sample (NumPy arrays)."""
    tf.random.set_seed(seed)

    @tf.function
    def derivatives():
        thetas = tf.fill([num_samples], tf.constant(theta))  # one copy per sample
        with tf.GradientTape(persistent=True) as outer:
            outer.watch(thetas)
            with tf.GradientTape(persistent=True) as inner:
                inner.watch(thetas)
                x = st.StochasticTensor(tfd.Bernoulli(logits=thetas, dtype=tf.float32))
                f = 2.0 * tf.identity(x)
                legacy = tf.reduce_sum(stochastic_graph.surrogate_loss([f]))
                dice = tf.reduce_sum(stochastic_graph.surrogate_loss([f], dice=True))
            # Sample i depends on thetas[i] only: these gradients are per-sample derivatives.
            legacy_first = inner.gradient(legacy, thetas)
            dice_first = inner.gradient(dice, thetas)
        return {
            "legacy_first": legacy_first,
            "legacy_second": outer.gradient(legacy_first, thetas),
            "dice_first": dice_first,
            "dice_second": outer.gradient(dice_first, thetas),
        }

    return {name: value.numpy().astype(np.float64) for name, value in derivatives().items()}


def run(num_samples: int = 1_000_000, seed: int = 1, emit: Callable[[str], None] = print) -> None:
    """Prints the exact derivatives next to the two estimates, then `RESULT` lines."""
    known = exact()
    samples = per_sample_derivatives(num_samples, seed=seed)
    mean = {name: values.mean() for name, values in samples.items()}
    error = {name: values.std(ddof=1) / np.sqrt(num_samples) for name, values in samples.items()}

    def cell(name):
        return "%8.4f +- %.4f" % (mean[name], error[name])

    emit("d^k/dtheta^k E[2x], x ~ Bernoulli(logits=0.3), n = %d samples:" % num_samples)
    emit("%-18s %8s   %-18s   %s" % ("", "exact", "legacy surrogate", "DiCE"))
    emit("%-18s %8.4f   %-18s   %s"
         % ("first derivative", known["first"], cell("legacy_first"), cell("dice_first")))
    emit("%-18s %8.4f   %-18s   %s"
         % ("second derivative", known["second"], cell("legacy_second"), cell("dice_second")))
    emit("the legacy surrogate's second derivative averages -2 s^2 (1 - s) = %.4f, not %.4f"
         % (known["legacy_second"], known["second"]))
    for name, target in (("legacy_first", known["first"]),
                         ("legacy_second", known["legacy_second"]),
                         ("dice_first", known["first"]),
                         ("dice_second", known["second"])):
        emit("RESULT %s %.6f %.6f %.6f" % (name, mean[name], target, error[name]))


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-samples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    run(args.num_samples, args.seed)


if __name__ == "__main__":
    main()
