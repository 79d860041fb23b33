"""The opt-in `tf.contrib.bayesflow` alias: `install()` and `uninstall()`."""
import importlib
import sys
import threading
import types

import tensorflow as tf

# Public legacy modules of the package, in the order legacy listed them.
LEGACY_MODULES = ("monte_carlo",)

_lock = threading.Lock()
# What install() changed, so uninstall() can undo exactly that: (object, attribute) pairs it
# set, and the sys.modules names it added.
_set_attributes = []
_added_modules = []


def _module(name: str, doc: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    module.__dict__.update(attributes)
    return module


def _alias_modules() -> dict:
    """Builds the `tensorflow.contrib.bayesflow` module tree, keyed by dotted name."""
    legacy = {
        name: importlib.import_module(f"tf_contrib_bayesflow.{name}") for name in LEGACY_MODULES
    }
    ops = _module(
        "tensorflow.contrib.bayesflow.python.ops",
        "Legacy implementation modules, aliased to tf_contrib_bayesflow.",
        **legacy,
        **{f"{name}_impl": module for name, module in legacy.items()},
    )
    python = _module("tensorflow.contrib.bayesflow.python", "Legacy layout.", ops=ops)
    bayesflow = _module(
        "tensorflow.contrib.bayesflow",
        "tf.contrib.bayesflow, provided by tf_contrib_bayesflow.",
        python=python,
        **legacy,
    )
    contrib = _module(
        "tensorflow.contrib", "tf.contrib, provided by tf_contrib_bayesflow.", bayesflow=bayesflow
    )
    tree = {module.__name__: module for module in (contrib, bayesflow, python, ops)}
    for name, module in legacy.items():
        for parent in ("tensorflow.contrib.bayesflow", "tensorflow.contrib.bayesflow.python.ops"):
            tree[f"{parent}.{name}"] = module
        tree[f"tensorflow.contrib.bayesflow.python.ops.{name}_impl"] = module
    return tree


def _set(obj, attribute, value) -> None:
    setattr(obj, attribute, value)
    _set_attributes.append((obj, attribute))


def install() -> None:
    """Makes `tf.contrib.bayesflow` and `import tensorflow.contrib.bayesflow` work.

    Sets `contrib` on both `tensorflow` and `tensorflow.compat.v1` and registers the legacy
    module paths in `sys.modules`. Idempotent. A `tf.contrib` that already exists is never
    replaced: only a missing `bayesflow` attribute is added to it.
    """
    with _lock:
        if _set_attributes or _added_modules:
            return
        tree = _alias_modules()
        contrib = tree["tensorflow.contrib"]
        for host in (tf, tf.compat.v1):
            existing = getattr(host, "contrib", None)
            if existing is None:
                _set(host, "contrib", contrib)
            elif getattr(existing, "bayesflow", None) is None:
                _set(existing, "bayesflow", contrib.bayesflow)
        for name, module in tree.items():
            if name not in sys.modules:
                sys.modules[name] = module
                _added_modules.append(name)


def uninstall() -> None:
    """Undoes `install()`, leaving `tensorflow` and `sys.modules` as they were before it."""
    with _lock:
        for obj, attribute in reversed(_set_attributes):
            delattr(obj, attribute)
        for name in _added_modules:
            sys.modules.pop(name, None)
        _set_attributes.clear()
        _added_modules.clear()
