"""The `tf.contrib` alias, path by path: every legacy spelling of every wired module.

Driven by `_internal.alias.LEGACY_MODULES`, so a module wired into the alias is covered here
automatically; its legacy names must be listed in `LEGACY_NAMES` (the test says so otherwise).
The basics (idempotence, a pre-existing `tf.contrib`) are in test_package.py; this file checks
the full path set and the exact state `uninstall()` restores.
"""
import importlib
import sys
import types

import pytest
import tensorflow as tf

import tf_contrib_bayesflow
from tf_contrib_bayesflow._internal import alias

# Legacy names per module (spec section 1): the documented symbols, then what legacy tests and
# other bayesflow modules import from the module (from TF 1.1 on, from its `*_impl` module).
LEGACY_NAMES = {
    "entropy": ["elbo_ratio", "entropy_shannon", "renyi_alpha", "renyi_ratio", "ELBOForms"],
    "monte_carlo": [
        "expectation", "expectation_importance_sampler",
        "expectation_importance_sampler_logspace", "expectation_v2",
        "_get_samples", "_logspace_mean", "_sample_max", "_sample_mean",
    ],
    "stochastic_gradient_estimators": [
        "get_mean_baseline", "get_score_function_with_advantage",
        "get_score_function_with_baseline", "get_score_function_with_constant_baseline",
        "score_function", "get_vimco_advantage_fn",
    ],
    "stochastic_graph": [
        "surrogate_loss",
        "_add_n_or_sum", "_stochastic_dependencies_map", "_upstream_stochastic_nodes",
    ],
    "stochastic_tensor": [
        "BaseStochasticTensor", "MeanValue", "ObservedStochasticTensor", "SampleValue",
        "StochasticTensor", "get_current_value_type", "value_type",
        "NoValueTypeSetError", "STOCHASTIC_TENSOR_COLLECTION",
        # TF 0.11
        "SampleAndReshapeValue", "NormalTensor", "BernoulliTensor",
    ],
    "stochastic_variables": ["get_stochastic_variable", "make_stochastic_variable_getter"],
    "variational_inference": [
        "ELBOForms", "elbo", "elbo_with_log_joint", "register_prior",
        "VI_PRIORS", "_find_variational_and_priors",
    ],
}

PREFIX = "tensorflow.contrib.bayesflow"
HOSTS = {"tensorflow": tf, "tensorflow.compat.v1": tf.compat.v1}


def _module_paths(name):
    """Every dotted legacy path of bayesflow module `name`, relative to a `contrib` object."""
    ops = "bayesflow.python.ops"
    return [f"bayesflow.{name}", f"{ops}.{name}", f"{ops}.{name}_impl"]


def _import_statements(name):
    """Each legacy import spelling of module `name`; each binds it to `got`."""
    return [
        f"import {PREFIX}.{name} as got",
        f"from {PREFIX} import {name} as got",
        f"import {PREFIX}.python.ops.{name} as got",
        f"import {PREFIX}.python.ops.{name}_impl as got",
        f"from {PREFIX}.python.ops import {name} as got",
        f"from {PREFIX}.python.ops import {name}_impl as got",
        "import tensorflow as _tf\ngot = _tf.contrib.bayesflow." + name,
        "from tensorflow.compat.v1 import contrib\ngot = contrib.bayesflow." + name,
    ]


def _run(statement):
    namespace = {}
    exec(compile(statement, "<legacy import>", "exec"), namespace)  # noqa: S102
    return namespace["got"]


def _resolve(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.fixture
def installed():
    tf_contrib_bayesflow.install()
    yield
    tf_contrib_bayesflow.uninstall()


def test_every_wired_module_has_its_legacy_names_listed():
    missing = [name for name in alias.LEGACY_MODULES if name not in LEGACY_NAMES]
    assert not missing, f"add the legacy names of {missing} to LEGACY_NAMES (spec section 1)"


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("host", sorted(HOSTS))
@pytest.mark.parametrize("name", alias.LEGACY_MODULES)
def test_attribute_paths_resolve_to_the_module(host, name):
    module = importlib.import_module(f"tf_contrib_bayesflow.{name}")
    contrib = HOSTS[host].contrib
    for path in _module_paths(name):
        assert _resolve(contrib, path) is module, f"{host}.contrib.{path}"


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("name", alias.LEGACY_MODULES)
def test_import_spellings_resolve_to_the_module(name):
    module = importlib.import_module(f"tf_contrib_bayesflow.{name}")
    for statement in _import_statements(name):
        assert _run(statement) is module, statement
    for dotted in (f"{PREFIX}.{name}", f"{PREFIX}.python.ops.{name}_impl"):
        assert importlib.import_module(dotted) is module and sys.modules[dotted] is module


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("name", alias.LEGACY_MODULES)
def test_legacy_names_import_from_public_and_impl_modules(name):
    module = importlib.import_module(f"tf_contrib_bayesflow.{name}")
    for symbol in sorted(set(LEGACY_NAMES.get(name, [])) | set(module.__all__)):
        expected = getattr(module, symbol)
        for source in (f"{PREFIX}.{name}", f"{PREFIX}.python.ops.{name}_impl"):
            assert _run(f"from {source} import {symbol} as got") is expected, (source, symbol)


@pytest.mark.usefixtures("installed")
def test_shared_objects_are_the_same_across_modules():
    wired = set(alias.LEGACY_MODULES)
    from tensorflow.contrib.bayesflow.python.ops import entropy_impl  # noqa: E402
    from tensorflow.contrib.bayesflow.python.ops import stochastic_graph_impl  # noqa: E402
    from tensorflow.contrib.bayesflow.python.ops import stochastic_tensor_impl  # noqa: E402

    assert stochastic_tensor_impl.STOCHASTIC_TENSOR_COLLECTION == "_stochastic_tensor_collection_"
    assert stochastic_graph_impl._stochastic_dependencies_map.__module__ == (
        "tf_contrib_bayesflow.stochastic_graph"
    )
    if "variational_inference" in wired:
        vi = importlib.import_module(f"{PREFIX}.python.ops.variational_inference_impl")
        assert vi.ELBOForms is entropy_impl.ELBOForms


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize("host", sorted(HOSTS))
def test_contrib_distributions_slim_and_layers(host):
    contrib = HOSTS[host].contrib
    assert contrib.distributions is tf_contrib_bayesflow.distributions
    from tensorflow.contrib.distributions import Normal, kl  # noqa: E402

    assert Normal is tf_contrib_bayesflow.distributions.Normal
    assert kl is tf_contrib_bayesflow.distributions.kl
    tf_slim = pytest.importorskip("tf_slim")
    assert contrib.slim is tf_slim and _run("import tensorflow.contrib.slim as got") is tf_slim
    assert contrib.layers.fully_connected is tf_slim.layers.fully_connected


@pytest.mark.usefixtures("installed")
def test_contrib_layers_is_the_whole_tf_slim_layers_package():
    pytest.importorskip("tf_slim")
    for symbol in ("xavier_initializer", "l2_regularizer", "optimize_loss", "fully_connected"):
        assert hasattr(tf.contrib.layers, symbol), symbol


def _snapshot():
    return {
        "tf": dict(vars(tf)),
        "v1": dict(vars(tf.compat.v1)),
        "modules": dict(sys.modules),
    }


def _assert_same(before, after):
    for key in before:
        assert before[key].keys() == after[key].keys(), (
            key, set(before[key]) ^ set(after[key])
        )
        changed = [k for k in before[key] if before[key][k] is not after[key][k]]
        assert not changed, (key, changed)


def test_uninstall_restores_every_attribute_and_module_exactly():
    tf_contrib_bayesflow.uninstall()
    first = dict(sys.modules)
    # A first install imports tf-slim (a real import, with TF modules of its own, kept); no
    # alias module may stay behind.
    tf_contrib_bayesflow.install()
    tf_contrib_bayesflow.uninstall()
    added = set(sys.modules) - set(first)
    assert not [m for m in added if m.startswith("tensorflow.contrib")], added
    assert all(sys.modules[m] is first[m] for m in first)
    before = _snapshot()
    tf_contrib_bayesflow.install()
    tf_contrib_bayesflow.install()  # twice: harmless
    assert tf.contrib is tf.compat.v1.contrib and sys.modules["tensorflow.contrib"] is tf.contrib
    tf_contrib_bayesflow.uninstall()
    _assert_same(before, _snapshot())
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"{PREFIX}.python.ops.monte_carlo_impl")
    # And it installs again after an uninstall.
    tf_contrib_bayesflow.install()
    try:
        from tensorflow.contrib.bayesflow import monte_carlo  # noqa: E402

        assert monte_carlo is tf_contrib_bayesflow.monte_carlo
    finally:
        tf_contrib_bayesflow.uninstall()
    _assert_same(before, _snapshot())


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_existing_contrib_attributes_and_modules_are_kept(monkeypatch, host):
    users_bayesflow = types.ModuleType("users_bayesflow")
    users_contrib = types.ModuleType("tensorflow.contrib")
    users_contrib.bayesflow = users_bayesflow
    users_module = types.ModuleType(f"{PREFIX}.python.ops.entropy_impl")
    monkeypatch.setattr(HOSTS[host], "contrib", users_contrib, raising=False)
    monkeypatch.setitem(sys.modules, f"{PREFIX}.python.ops.entropy_impl", users_module)
    before = dict(vars(users_contrib))
    tf_contrib_bayesflow.install()
    try:
        assert HOSTS[host].contrib is users_contrib
        assert users_contrib.bayesflow is users_bayesflow  # never replaced
        assert users_contrib.distributions is tf_contrib_bayesflow.distributions  # only added
        assert sys.modules[f"{PREFIX}.python.ops.entropy_impl"] is users_module
        other = tf.compat.v1 if host == "tensorflow" else tf
        assert other.contrib.bayesflow.entropy is tf_contrib_bayesflow.entropy
    finally:
        tf_contrib_bayesflow.uninstall()
    assert vars(users_contrib) == before
    assert sys.modules[f"{PREFIX}.python.ops.entropy_impl"] is users_module
    assert not hasattr(tf.compat.v1 if host == "tensorflow" else tf, "contrib")


@pytest.mark.usefixtures("installed")
def test_compat_v1_import_paths_resolve_too():
    from tensorflow.compat.v1.contrib import bayesflow  # noqa: E402
    from tensorflow.compat.v1.contrib.bayesflow.python.ops import monte_carlo_impl  # noqa: E402

    assert bayesflow is tf.contrib.bayesflow
    assert monte_carlo_impl is tf_contrib_bayesflow.monte_carlo
