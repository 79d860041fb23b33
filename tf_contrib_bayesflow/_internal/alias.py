"""The opt-in `tf.contrib` alias: `install()` and `uninstall()`."""
import importlib
import importlib.util
import sys
import threading
import types

import tensorflow as tf

# Public legacy bayesflow modules of the package, in the order legacy listed them.
LEGACY_MODULES = (
    "entropy",
    "monte_carlo",
    "stochastic_gradient_estimators",
    "stochastic_graph",
    "stochastic_tensor",
    "stochastic_variables",
    "variational_inference",
)

_lock = threading.Lock()
# What install() changed, so uninstall() can undo exactly that: (object, attribute) pairs it
# set, and the sys.modules names it added.
_set_attributes = []
_added_modules = []


def _module(name: str, doc: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    module.__dict__.update(attributes)
    return module


def _bayesflow_tree() -> dict:
    """The `tensorflow.contrib.bayesflow` modules, keyed by dotted name."""
    legacy = {
        name: importlib.import_module(f"tf_contrib_bayesflow.{name}") for name in LEGACY_MODULES
    }
    prefix = "tensorflow.contrib.bayesflow"
    ops = _module(
        f"{prefix}.python.ops",
        "Legacy implementation modules, aliased to tf_contrib_bayesflow.",
        **legacy,
        **{f"{name}_impl": module for name, module in legacy.items()},
    )
    python = _module(f"{prefix}.python", "Legacy layout.", ops=ops)
    bayesflow = _module(
        prefix, "tf.contrib.bayesflow, provided by tf_contrib_bayesflow.", python=python, **legacy
    )
    tree = {module.__name__: module for module in (bayesflow, python, ops)}
    for name, module in legacy.items():
        tree[f"{prefix}.{name}"] = module
        tree[f"{prefix}.python.ops.{name}"] = module
        tree[f"{prefix}.python.ops.{name}_impl"] = module
    return tree


def _contrib_children() -> dict:
    """`tf.contrib.<name>` entries: bayesflow and distributions, plus tf-slim's when installed."""
    children = {
        "bayesflow": _bayesflow_tree(),
        "distributions": {
            "tensorflow.contrib.distributions": importlib.import_module(
                "tf_contrib_bayesflow.distributions"
            )
        },
    }
    if importlib.util.find_spec("tf_slim") is not None:
        slim = importlib.import_module("tf_slim")
        children["slim"] = {"tensorflow.contrib.slim": slim}
        # tf_slim.layers (the package), not slim.layers (its layers.py module): the package is
        # what tf.contrib.layers was, with initializers, regularizers and optimize_loss.
        children["layers"] = {"tensorflow.contrib.layers": importlib.import_module("tf_slim.layers")}
    return children


def _set(obj, attribute, value) -> None:
    setattr(obj, attribute, value)
    _set_attributes.append((obj, attribute))


def install() -> None:
    """Makes `tf.contrib.bayesflow`, `tf.contrib.distributions` and their imports work.

    Sets `contrib` on both `tensorflow` and `tensorflow.compat.v1` and registers the legacy
    module paths in `sys.modules`; with the optional `tf-slim` package installed,
    `tf.contrib.slim` and `tf.contrib.layers` point to it. Idempotent. A `tf.contrib` that
    already exists is never replaced: only its missing attributes are added.
    """
    with _lock:
        if _set_attributes or _added_modules:
            return
        children = _contrib_children()
        tree = {}
        for name, subtree in children.items():
            tree.update(subtree)
        top = {name: tree[f"tensorflow.contrib.{name}"] for name in children}
        contrib = _module("tensorflow.contrib", "tf.contrib, provided by tf_contrib_bayesflow.", **top)
        for host in (tf, tf.compat.v1):
            existing = getattr(host, "contrib", None)
            if existing is None:
                _set(host, "contrib", contrib)
                continue
            for name, module in top.items():
                if getattr(existing, name, None) is None:
                    _set(existing, name, module)
        # `import tensorflow.contrib` must give the same object as `tf.contrib`.
        tree["tensorflow.contrib"] = tf.contrib
        # The same paths under tensorflow.compat.v1, as `import tensorflow.compat.v1.contrib...`.
        tree.update({
            "tensorflow.compat.v1." + name[len("tensorflow."):]: module
            for name, module in list(tree.items())
        })
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
