"""Call-site deprecation warnings for the legacy surface, once per symbol per process."""
import functools
import sys
import threading
import warnings
from typing import Any, Callable, Optional, TypeVar

_T = TypeVar("_T")

_warned = set()
_lock = threading.Lock()


class BayesflowDeprecationWarning(DeprecationWarning):
    """Warns that a legacy `tf.contrib.bayesflow` symbol was used; names its TF2/TFP replacement.

    Silence it with an ordinary filter, e.g.
    `warnings.filterwarnings("ignore", category=tf_contrib_bayesflow.BayesflowDeprecationWarning)`.
    """


def warn_once(symbol: str, replacement: Optional[str]) -> None:
    """Emits the deprecation warning for `symbol` unless this process already did.

    It is attributed to the first frame of user code above the caller (see `_user_frame`).
    """
    if symbol in _warned:  # the common case, without taking the lock
        return
    _emit(symbol, replacement, _user_frame(sys._getframe(1)))


def _emit(symbol: str, replacement: Optional[str], frame: Any) -> None:
    with _lock:
        if symbol in _warned:
            return
        _warned.add(symbol)
    if replacement:
        advice = f"In TensorFlow Probability, use {replacement}."
    else:
        advice = "TensorFlow Probability has no equivalent; keep using tf_contrib_bayesflow."
    # At an explicit frame rather than a stack level: inside tf.function, autograph calls the
    # package through a varying number of TensorFlow frames.
    module_globals = frame.f_globals
    warnings.warn_explicit(
        f"{symbol} is legacy tf.contrib API. {advice}",
        BayesflowDeprecationWarning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=module_globals.get("__name__", "<unknown>"),
        registry=module_globals.setdefault("__warningregistry__", {}),
        # No module_globals: its loader lookup fails for code run as `python -m package`.
    )


def reset() -> None:
    """Forgets which symbols have warned (for tests)."""
    with _lock:
        _warned.clear()


def legacy(symbol: str, replacement: Optional[str]) -> Callable[[_T], _T]:
    """Decorates a legacy function so its first call warns, at the caller's line.

    The caller is the first frame outside this package, TFP, TF and `decorator`: the line that
    calls the function directly, or the user's line whose call reached it through the package
    (a default `loss_fn`) or TensorFlow (`tf.function`'s autograph, `tf.nest.map_structure`).
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            warn_from_user_code(symbol, replacement)
            return fn(*args, **kwargs)

        return wrapper

    return decorate


_PACKAGE = __name__.split(".")[0]
# Frames of these top-level modules are never the call site a warning should point at:
# `decorator` wraps every TFP distribution `__init__`, and inside tf.function TensorFlow's
# autograph calls builtins such as getattr on behalf of the converted code.
_LIBRARY_MODULES = frozenset({_PACKAGE, "tensorflow_probability", "decorator", "tensorflow"})


def top_module(frame: Any) -> str:
    """The top-level package name of the code running in `frame`."""
    return frame.f_globals.get("__name__", "").split(".")[0]


def _user_frame(frame: Any) -> Any:
    """`frame` or the first frame above it outside this package, TFP, TF and `decorator`, and
    outside autograph's generated copies of functions (inside `tf.function` that is the line that
    called the function)."""
    while frame.f_back is not None and (
        top_module(frame) in _LIBRARY_MODULES
        or "__autograph_generated_file" in frame.f_code.co_filename
    ):
        frame = frame.f_back
    return frame


def warn_from_user_code(symbol: str, replacement: Optional[str], from_package_too: bool = True) -> None:
    """Warns once for `symbol`, at the first frame of user code (see `_user_frame`).

    For legacy spellings reached through TFP's machinery (constructors, properties). With
    `from_package_too=False` nothing is emitted when the direct caller of the function that
    calls this one is part of this package: the package reading an alias is not user code using it.
    """
    if symbol in _warned:
        return
    frame = sys._getframe(1)
    if not from_package_too:
        caller = frame.f_back
        while caller is not None and top_module(caller) == "tensorflow":
            caller = caller.f_back
        if caller is not None and top_module(caller) == _PACKAGE:
            return
    _emit(symbol, replacement, _user_frame(frame))
