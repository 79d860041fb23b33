"""Shared test machinery: the execution regimes every op test runs in, and MC tolerances."""
from typing import Any, Callable, List

import numpy as np
import tensorflow as tf

SEED = 42
REGIMES = ("eager", "function", "graph")
REGIMES_WITH_XLA = REGIMES + ("xla",)


def _to_numpy(structure: Any) -> Any:
    return tf.nest.map_structure(
        lambda t: None if t is None else (t.numpy() if hasattr(t, "numpy") else np.asarray(t)),
        structure,
    )


class Regime:
    """Runs a computation eagerly, traced by `tf.function` (optionally XLA-compiled), or built
    in a fresh `tf.Graph` and evaluated by a `tf.compat.v1.Session`; returns NumPy values."""

    def __init__(self, name: str):
        assert name in REGIMES_WITH_XLA, name
        self.name = name

    def __repr__(self) -> str:
        return f"Regime({self.name})"

    @property
    def is_graph(self) -> bool:
        return self.name == "graph"

    @property
    def is_eager(self) -> bool:
        return self.name == "eager"

    def _wrap(self, fn: Callable) -> Callable:
        if self.name == "function":
            return tf.function(fn)
        if self.name == "xla":
            return tf.function(fn, jit_compile=True)
        return fn

    def run(self, fn: Callable[[], Any]) -> Any:
        """Builds and evaluates `fn()` once in this regime."""
        return self.iterate(lambda: fn, steps=1)[0]

    def iterate(self, make_step: Callable[[], Callable[[], Any]], steps: int) -> List[Any]:
        """Calls `make_step()` once (it may create variables) and evaluates the step it returns
        `steps` times; in the graph regime the step's ops are built once and run repeatedly."""
        if self.name != "graph":
            tf.random.set_seed(SEED)
            step = self._wrap(make_step())
            return [_to_numpy(step()) for _ in range(steps)]
        with tf.Graph().as_default() as graph:
            tf.compat.v1.set_random_seed(SEED)
            fetches = make_step()()
            flat = tf.nest.flatten(fetches)
            real = [t for t in flat if t is not None]
            init = tf.compat.v1.global_variables_initializer()
            graph.finalize()
            results = []
            with tf.compat.v1.Session(graph=graph) as session:
                session.run(init)
                for _ in range(steps):
                    values = iter(session.run(real))
                    results.append(
                        tf.nest.pack_sequence_as(
                            fetches, [None if t is None else next(values) for t in flat]
                        )
                    )
            return results


def mc_tolerance(std: Any, n: int, sigmas: float = 4.0) -> Any:
    """Absolute tolerance of a Monte Carlo mean of `n` draws: `sigmas` standard errors."""
    return sigmas * np.asarray(std) / np.sqrt(n)


def assert_within(actual: Any, expected: Any, tolerance: Any) -> None:
    """Elementwise |actual - expected| <= tolerance, where tolerance may be an array."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    error = np.abs(actual - expected)
    assert actual.shape == np.broadcast(actual, expected).shape, (actual.shape, expected.shape)
    assert np.all(error <= tolerance), (
        f"\nactual    {actual}\nexpected  {expected}\nerror     {error}\ntolerance {tolerance}"
    )
