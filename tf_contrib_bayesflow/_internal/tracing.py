"""Running graph-only legacy code from eager mode by tracing a user callable into a graph."""
from typing import Any, Callable

import tensorflow as tf


def compute_in_graph(build: Callable[[], Any], compute: Callable[[Any], Any]) -> Any:
    """`compute(build())`; from eager mode, traced as TF1 graph code and run once.

    `surrogate_loss` and `elbo` walk the graph behind their inputs, which eager tensors lack. The
    callable is traced into a fresh graph on every call (so it sees the current Python state, as
    eager code does) and that graph is run once, with gradients flowing to an enclosing tape:
    `tf.compat.v1.wrap_function`, which, unlike `tf.function`, neither converts Python control
    flow nor warns about repeated tracing. Every graph traced with the same global seed would
    replay the same random stream, i.e. draw the same samples at every step; a graph seed taken
    from the eager random stream keeps the draws reproducible and different per call.
    Variables created by `build` do not outlive the trace.
    """
    if not tf.executing_eagerly():
        return compute(build())
    graph_seed = int(tf.random.uniform([], 0, 2**31 - 1, dtype=tf.int64))

    def traced():
        tf.random.set_seed(graph_seed)
        return compute(build())

    return tf.compat.v1.wrap_function(traced, signature=[])()
