"""Package-level behaviour: import hygiene, the tf.contrib alias, deprecation warnings, demo."""
import importlib
import pathlib
import re
import subprocess
import sys
import warnings

import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tf_contrib_bayesflow
from tf_contrib_bayesflow import monte_carlo

PACKAGE_DIR = pathlib.Path(tf_contrib_bayesflow.__file__).parent


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )


def test_import_prints_nothing_warns_nothing_and_changes_no_tf_state():
    code = (
        "import warnings; warnings.simplefilter('error');"
        "warnings.filterwarnings('ignore', 'distutils Version', DeprecationWarning);"
        "import tensorflow as tf, tensorflow_probability;"
        "import tf_contrib_bayesflow;"
        "assert not hasattr(tf, 'contrib') and not hasattr(tf.compat.v1, 'contrib');"
        "import sys; assert not [m for m in sys.modules if m.startswith('tensorflow.contrib')];"
        "assert tf.executing_eagerly()"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    baseline = _python("import tensorflow, tensorflow_probability")
    # TF's native log lines carry timestamps and thread ids: compare them without digits.
    assert re.sub(r"\d+", "", result.stderr) == re.sub(r"\d+", "", baseline.stderr)


def test_sources_use_only_public_tensorflow_apis():
    offenders = [
        str(path) for path in PACKAGE_DIR.rglob("*.py")
        if "tensorflow.python" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


@pytest.fixture
def installed():
    tf_contrib_bayesflow.install()
    yield
    tf_contrib_bayesflow.uninstall()


@pytest.mark.usefixtures("installed")
def test_alias_resolves_every_legacy_path():
    for host in (tf, tf.compat.v1):
        assert host.contrib.bayesflow.monte_carlo is monte_carlo
    assert importlib.import_module("tensorflow.contrib.bayesflow").monte_carlo is monte_carlo
    from tensorflow.contrib.bayesflow import monte_carlo as via_from  # noqa: E402
    from tensorflow.contrib.bayesflow.python.ops import monte_carlo_impl  # noqa: E402

    assert via_from is monte_carlo and monte_carlo_impl is monte_carlo
    assert monte_carlo_impl._get_samples is monte_carlo._get_samples
    import tensorflow.contrib.bayesflow as bf  # noqa: E402

    assert bf.python.ops.monte_carlo is monte_carlo


def test_install_is_idempotent_and_uninstall_restores_tensorflow():
    # A first install imports optional packages (tf-slim) for real; those may stay imported.
    tf_contrib_bayesflow.install()
    tf_contrib_bayesflow.uninstall()
    before = set(sys.modules)
    tf_contrib_bayesflow.install()
    contrib = tf.contrib
    tf_contrib_bayesflow.install()
    assert tf.contrib is contrib and tf.compat.v1.contrib is contrib
    tf_contrib_bayesflow.uninstall()
    assert not hasattr(tf, "contrib") and not hasattr(tf.compat.v1, "contrib")
    assert set(sys.modules) == before
    tf_contrib_bayesflow.uninstall()  # harmless when not installed


def test_existing_contrib_is_never_replaced(monkeypatch):
    import types

    real = types.ModuleType("tensorflow.contrib")
    monkeypatch.setattr(tf, "contrib", real, raising=False)
    tf_contrib_bayesflow.install()
    try:
        assert tf.contrib is real
        assert real.bayesflow.monte_carlo is monte_carlo
    finally:
        tf_contrib_bayesflow.uninstall()
    assert tf.contrib is real and not hasattr(real, "bayesflow")


@pytest.mark.usefixtures("fresh_deprecations")
def test_deprecation_warning_once_per_symbol_at_the_call_site():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            monte_carlo.expectation(tf.square, [1.0, 2.0])
            monte_carlo.expectation_importance_sampler(
                tf.square, tfp.distributions.Normal(0.0, 1.0).log_prob,
                tfp.distributions.Normal(0.0, 1.0), z=[1.0],
            )
    ours = [w for w in caught if issubclass(w.category, tf_contrib_bayesflow.BayesflowDeprecationWarning)]
    assert len(ours) == 2
    assert all(w.filename == __file__ for w in ours)
    assert "tfp.monte_carlo.expectation" in str(ours[0].message)
    assert "no equivalent" in str(ours[1].message)
    assert issubclass(tf_contrib_bayesflow.BayesflowDeprecationWarning, DeprecationWarning)


def test_demo_runs_and_prints_estimates():
    # The estimates part only (tests/test_demo.py runs the whole demo).
    result = subprocess.run(
        [sys.executable, "-m", "tf_contrib_bayesflow", "--quick", "--only", "estimates"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Session" in result.stdout and "analytic" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()
            if line.lstrip().startswith(("E", "log"))]
    assert len(rows) == 4
    for row in rows:
        analytic, *estimates = map(float, row[-5:-1])  # the last column is the standard error
        # eager, tf.function and Session use the same seeds, so they agree exactly.
        assert estimates[0] == estimates[1] == estimates[2]
        assert abs(estimates[0] - analytic) < 0.5


@pytest.mark.usefixtures("installed")
def test_alias_points_contrib_slim_and_layers_to_tf_slim():
    tf_slim = pytest.importorskip("tf_slim")
    assert tf.contrib.slim is tf_slim
    assert tf.compat.v1.contrib.layers is sys.modules["tf_slim.layers"]
    from tensorflow.contrib import layers  # noqa: E402

    assert layers.fully_connected is tf_slim.layers.fully_connected
    assert callable(layers.xavier_initializer) and callable(layers.l2_regularizer)
    import tensorflow.contrib as contrib  # noqa: E402

    assert contrib is tf.contrib
