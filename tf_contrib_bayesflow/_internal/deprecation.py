"""Call-site deprecation warnings for the legacy surface, once per symbol per process."""
import functools
import threading
import warnings
from typing import Callable, Optional, TypeVar

_T = TypeVar("_T")

_warned = set()
_lock = threading.Lock()


class BayesflowDeprecationWarning(DeprecationWarning):
    """Warns that a legacy `tf.contrib.bayesflow` symbol was used; names its TF2/TFP replacement.

    Silence it with an ordinary filter, e.g.
    `warnings.filterwarnings("ignore", category=tf_contrib_bayesflow.BayesflowDeprecationWarning)`.
    """


def warn_once(symbol: str, replacement: Optional[str], stacklevel: int = 3) -> None:
    """Emits the deprecation warning for `symbol` unless this process already did."""
    if symbol in _warned:  # the common case, without taking the lock
        return
    with _lock:
        if symbol in _warned:
            return
        _warned.add(symbol)
    if replacement:
        advice = f"In TensorFlow Probability, use {replacement}."
    else:
        advice = "TensorFlow Probability has no equivalent; keep using tf_contrib_bayesflow."
    warnings.warn(
        f"{symbol} is legacy tf.contrib.bayesflow API. {advice}",
        BayesflowDeprecationWarning,
        stacklevel=stacklevel,
    )


def reset() -> None:
    """Forgets which symbols have warned (for tests)."""
    with _lock:
        _warned.clear()


def legacy(symbol: str, replacement: Optional[str]) -> Callable[[_T], _T]:
    """Decorates a legacy function so its first call warns, at the caller's line."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            warn_once(symbol, replacement)
            return fn(*args, **kwargs)

        return wrapper

    return decorate
