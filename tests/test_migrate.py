"""The codemod `python -m tf_contrib_bayesflow.migrate`.

- Rewrites of the sample legacy programs in `tests/legacy_programs/` match golden files in
  `tests/legacy_programs/expected/` (regenerate them with `MIGRATE_UPDATE_GOLDEN=1`); the
  programs listed in `RUN_AND_COMPARE` are also run, original and rewritten, and must print the
  same numbers. To add a program, drop it in the folder, generate its goldens, and list it in
  `RUN_AND_COMPARE` if the legacy modules it uses are wired into `install()`.
- Each rewrite rule, name resolution, formatting preservation, idempotence, unparsable input,
  and the command line (actions, exit status, folders, encodings).
"""
import ast
import difflib
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tf_contrib_bayesflow.migrate import GUIDE_BASE_URL
from tf_contrib_bayesflow.migrate import ParseError
from tf_contrib_bayesflow.migrate import main
from tf_contrib_bayesflow.migrate import migrate
from tf_contrib_bayesflow.migrate import modernize_source
from tf_contrib_bayesflow.migrate import port_source

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "legacy_programs"
GOLDEN = PROGRAMS / "expected"
PROGRAM_NAMES = sorted(path.name for path in PROGRAMS.glob("*.py"))
# Programs that need only what install() wires today (monte_carlo).
RUN_AND_COMPARE = ("entropy_elbo.py", "importance_sampling.py", "mc_expectation.py")
REWRITES = {"port": port_source, "modernize": modernize_source}

MC = "from tensorflow.contrib.bayesflow import monte_carlo as mc\n"
BF = "from tensorflow.contrib import bayesflow as bf\n"
INSTALL = "import tf_contrib_bayesflow\ntf_contrib_bayesflow.install()\n"


def comment(module: str) -> str:
    return (
        "# tf_contrib_bayesflow: no exact TFP equivalent; see "
        f"{GUIDE_BASE_URL}/{module}.md"
    )


def read(path: pathlib.Path) -> str:
    with open(path, encoding="utf-8", newline="") as file:
        return file.read()


def write(path: pathlib.Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(text)


def port(source: str) -> str:
    """`port_source`, checking that its result parses and that a second run changes nothing."""
    return _checked(port_source, source)


def modernize(source: str) -> str:
    """`modernize_source`, checking that its result parses and that a second run changes nothing."""
    return _checked(modernize_source, source)


def _checked(rewrite, source: str) -> str:
    once = rewrite(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. invalid escape sequences kept from the source
        ast.parse(once)
    assert rewrite(once) == once
    return once


# ---------------------------------------------------------------------------------------------
# Sample legacy programs: golden rewrites, and the rewritten programs print the same numbers.


@pytest.mark.parametrize("mode", sorted(REWRITES))
@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_program_rewrite_matches_golden_and_is_idempotent(name, mode):
    rewritten = REWRITES[mode](read(PROGRAMS / name))
    golden = GOLDEN / name.replace(".py", f".{mode}.py")
    if os.environ.get("MIGRATE_UPDATE_GOLDEN"):
        write(golden, rewritten)
    assert rewritten == read(golden)
    assert REWRITES[mode](rewritten) == rewritten


def test_goldens_show_the_rewrites_the_runs_rely_on():
    # Guards the run-and-compare test against comparing programs that were not rewritten.
    modernized = read(GOLDEN / "mc_expectation.modernize.py")
    assert "tfp.monte_carlo.expectation(tf.square, x," in modernized
    assert "use_reparameterization=True" in modernized and "keepdims=True" in modernized
    assert "tfp.math.reduce_logmeanexp(p.log_prob(x), axis=0)" in modernized
    assert f"{comment('monte_carlo')}\nscored = mc.expectation(" in modernized
    modernized = read(GOLDEN / "importance_sampling.modernize.py")
    assert "tfp.monte_carlo.expectation(tf.square, q.sample(1000, seed=42))" in modernized
    assert "tfp.monte_carlo.expectation(lambda x: x, z)" in modernized
    for mode in REWRITES:
        assert "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n" + INSTALL in read(
            GOLDEN / f"importance_sampling.{mode}.py"
        )


# Runs a legacy program as TF1 would have: `import tensorflow` gives the v1 API (with
# `tf.contrib.bayesflow` provided by this package), and v2 behaviour is off.
RUN_AS_TF1 = """
import runpy, sys
import tensorflow as tf
import tensorflow_probability  # noqa: F401 (loaded before `tensorflow` is swapped below)
import tf_contrib_bayesflow
tf.compat.v1.disable_v2_behavior()
tf_contrib_bayesflow.install()
sys.modules["tensorflow"] = tf.compat.v1
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _environment() -> dict:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_DETERMINISTIC_OPS": "1",
        # One thread per process: the runs go in parallel, and oversubscribed cores are slow.
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }


@pytest.fixture(scope="module")
def program_outputs(tmp_path_factory):
    """{(program, 'original' | 'port' | 'modernize'): (status, stdout, stderr)}, run in parallel."""
    folder = tmp_path_factory.mktemp("programs")
    commands = {}
    for name in RUN_AND_COMPARE:
        source = read(PROGRAMS / name)
        commands[name, "original"] = [sys.executable, "-c", RUN_AS_TF1, str(PROGRAMS / name)]
        for mode, rewrite in REWRITES.items():
            path = folder / f"{mode}_{name}"
            write(path, rewrite(source))
            commands[name, mode] = [sys.executable, str(path)]
    processes = {
        key: subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=_environment(), cwd=folder,
        )
        for key, command in commands.items()
    }
    outputs = {}
    for key, process in processes.items():
        stdout, stderr = process.communicate(timeout=600)
        outputs[key] = (process.returncode, stdout, stderr)
    return outputs


def _printed(output) -> dict:
    status, stdout, stderr = output
    assert status == 0, stderr[-3000:]
    values = {}
    for line in stdout.splitlines():
        name, rest = line.split(" ", 1)
        shape, numbers = rest.rsplit(")", 1)
        values[name] = (shape + ")", np.array([float(v) for v in numbers.split()]))
    return values


@pytest.mark.parametrize("name", RUN_AND_COMPARE)
def test_rewritten_programs_print_the_same_numbers(program_outputs, name):
    original = _printed(program_outputs[name, "original"])
    assert len(original) >= 4
    # The port changes imports only: the very same ops run, so the output is identical.
    assert program_outputs[name, "port"][1] == program_outputs[name, "original"][1]
    modernized = _printed(program_outputs[name, "modernize"])
    assert modernized.keys() == original.keys()
    for key, (shape, values) in original.items():
        assert modernized[key][0] == shape, key
        # Exact rewrites: the same values, except that tfp.math.reduce_logmeanexp forms the
        # log-mean-exp as logsumexp - log(n) where legacy took log(mean(exp(x - max))) + max:
        # the same float32 terms, a different last step, a few ulps (eps = 1.2e-7) apart.
        # 1e-5 allows that and still catches any real change (a wrong axis, a dropped term).
        np.testing.assert_allclose(modernized[key][1], values, rtol=1e-5, atol=0, err_msg=key)


# ---------------------------------------------------------------------------------------------
# --port


def test_port_is_the_minimal_edit_and_keeps_docstring_future_and_comments():
    source = (
        '"""A legacy script."""\n'
        "from __future__ import print_function\n"
        "\n"
        "import numpy as np\n"
        "import tensorflow as tf  # TF 1.4\n"
        "from tensorflow.contrib.bayesflow import monte_carlo as mc\n"
        "\n"
        "x = tf.placeholder(tf.float32)   # odd   spacing stays\n"
        "y = mc.expectation(tf.square, samples=x)\n"
    )
    assert port(source) == (
        '"""A legacy script."""\n'
        "from __future__ import print_function\n"
        "\n"
        "import numpy as np\n"
        "import tensorflow.compat.v1 as tf  # TF 1.4\n"
        "tf.disable_v2_behavior()\n"
        + INSTALL
        + "from tensorflow.contrib.bayesflow import monte_carlo as mc\n"
        "\n"
        "x = tf.placeholder(tf.float32)   # odd   spacing stays\n"
        "y = mc.expectation(tf.square, samples=x)\n"
    )


@pytest.mark.parametrize(
    "source",
    [
        ("import tensorflow as tf\nm = tf.contrib.bayesflow.monte_carlo\n"),
        ("import tensorflow as tf\nd = tf.contrib.distributions.Normal(0., 1.)\n"),
        ("import tensorflow as tf\nbf = tf.contrib.bayesflow\n"),
        ("import tensorflow.contrib.bayesflow as bf\n"),
        ("from tensorflow.contrib import bayesflow\n"),
        ("from tensorflow.contrib.bayesflow.python.ops import monte_carlo_impl\n"),
        ("from tensorflow.contrib.bayesflow.monte_carlo import *\n"),
        ("import tensorflow.contrib.distributions as ds\n"),
        ("import tensorflow as tf\nm = tf.compat.v1.contrib.bayesflow.monte_carlo\n"),
    ],
)
def test_port_installs_the_alias_for_every_legacy_spelling(source):
    ported = port(source)
    assert INSTALL in ported
    assert ported.replace(INSTALL, "").replace(
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n", "import tensorflow as tf\n"
    ) == source


@pytest.mark.parametrize(
    "source",
    [
        ("import numpy as np\nprint(np.pi)\n"),
        ("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    return tf.exp(x)\n"),
        ("import tensorflow as tf\nimport tensorflow_probability as tfp\n"
                "m = tfp.monte_carlo.expectation(tf.square, tf.ones([3]))\n"),
        (""),
        ("# only a comment"),
    ],
)
def test_port_leaves_tf2_and_non_legacy_files_alone(source):
    assert port(source) == source
    assert modernize(source) == source


def test_port_leaves_code_using_this_package_directly_alone():
    source = "from tf_contrib_bayesflow import monte_carlo\nm = monte_carlo.expectation(f, x)\n"
    assert port(source) == source


def test_port_rewrites_tf1_files_without_bayesflow_too():
    source = ("import tensorflow as tf\nsess = tf.Session()\n")
    assert port(source) == (
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\nsess = tf.Session()\n"
    )


def test_port_keeps_the_import_of_a_file_already_using_tf_compat():
    source = (
        "import tensorflow as tf\n"
        "tf.compat.v1.disable_eager_execution()\n"
        "m = tf.contrib.bayesflow.monte_carlo\n"
    )
    assert port(source) == (
        "import tensorflow as tf\n" + INSTALL + "tf.compat.v1.disable_eager_execution()\n"
        "m = tf.contrib.bayesflow.monte_carlo\n"
    )


def test_port_puts_install_before_a_contrib_import_that_comes_first():
    source = (
        "from tensorflow.contrib.bayesflow import monte_carlo\nimport tensorflow as tf\n"
    )
    assert port(source) == (
        INSTALL + "from tensorflow.contrib.bayesflow import monte_carlo\n"
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n"
    )


def test_port_puts_install_before_a_guarded_contrib_import():
    source = (
        "try:\n"
        "    from tensorflow.contrib.bayesflow import monte_carlo\n"
        "except ImportError:\n"
        "    monte_carlo = None\n"
        "import tensorflow as tf\n"
    )
    assert port(source) == INSTALL + source.replace(
        "import tensorflow as tf\n", "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n"
    )


def test_port_edits_inside_the_statement_and_line_it_finds():
    source = (
        "import os, tensorflow as tf, numpy\n"
        "try: import tensorflow as tf2\n"
        "except ImportError: tf2 = None\n"
        "def f():\n"
        "\timport tensorflow as tf3\n"
        "\treturn tf3.contrib.bayesflow.monte_carlo\n"
    )
    assert port(source) == (
        "import os, tensorflow.compat.v1 as tf, numpy\n"
        "tf.disable_v2_behavior()\n"
        + INSTALL
        + "try: import tensorflow.compat.v1 as tf2\n"
        "except ImportError: tf2 = None\n"
        "def f():\n"
        "\timport tensorflow.compat.v1 as tf3\n"
        "\treturn tf3.contrib.bayesflow.monte_carlo\n"
    )


def test_port_inside_a_block_and_without_a_module_level_tensorflow_import():
    source = (
        '"""Doc."""\n'
        "from __future__ import division\n"
        "# a comment\n"
        "if True:\n"
        "    import tensorflow as tf; import numpy\n"
        "    m = tf.contrib.bayesflow.monte_carlo\n"
    )
    assert port(source) == (
        '"""Doc."""\n'
        "from __future__ import division\n"
        "# a comment\n"
        + INSTALL
        + "if True:\n"
        "    import tensorflow.compat.v1 as tf; tf.disable_v2_behavior(); import numpy\n"
        "    m = tf.contrib.bayesflow.monte_carlo\n"
    )


def test_port_of_a_plain_import_tensorflow():
    source = ("import tensorflow\ns = tensorflow.Session()\n")
    assert port(source) == (
        "import tensorflow.compat.v1 as tensorflow\ntensorflow.disable_v2_behavior()\n"
        "s = tensorflow.Session()\n"
    )
    source = "import tensorflow\nimport tensorflow.contrib.bayesflow\ns = tensorflow.Session()\n"
    result = migrate(source, modernize=False)
    assert result.text.startswith("import tensorflow.compat.v1 as tensorflow\n")
    assert [(note.lineno, note.message[:45]) for note in result.notes] == [
        (1, "`import tensorflow` became `import tensorflow")
    ]


def test_port_keeps_crlf_and_lone_cr_line_endings_and_a_missing_final_newline():
    source = ("import tensorflow as tf\r\nm = tf.contrib.bayesflow.monte_carlo")
    ported = port(source)
    assert ported == (
        "import tensorflow.compat.v1 as tf\r\ntf.disable_v2_behavior()\r\n"
        "import tf_contrib_bayesflow\r\ntf_contrib_bayesflow.install()\r\n"
        "m = tf.contrib.bayesflow.monte_carlo"
    )
    source = ("x = 1\rimport tensorflow as tf\rtf.Session()\r")
    assert port(source) == (
        "x = 1\rimport tensorflow.compat.v1 as tf\rtf.disable_v2_behavior()\rtf.Session()\r"
    )


def test_port_appends_install_to_a_module_that_is_only_a_docstring_and_imports_later():
    source = ('"""Doc."""\nfrom __future__ import division')
    assert port(source) == source
    source = ('"""Doc."""\ndef f():\n    from tensorflow.contrib import bayesflow\n')
    assert port(source) == '"""Doc."""\n' + INSTALL + source[len('"""Doc."""\n'):]


def test_port_notes_what_install_cannot_provide():
    source = (
        "import tensorflow as tf\n"
        "h = tf.contrib.bayesflow.hmc.kernel\n"
        "l = tf.contrib.layers.fully_connected\n"
        "l2 = tf.contrib.layers.conv2d\n"
    )
    result = migrate(source, modernize=False)
    assert [(note.lineno, note.message.split(" is ")[0]) for note in result.notes] == [
        (2, "tf.contrib.bayesflow.hmc"), (3, "tf.contrib.layers"),
    ]
    assert "tfp.mcmc" in result.notes[0].message
    assert INSTALL in result.text  # bayesflow is still referenced


# ---------------------------------------------------------------------------------------------
# --modernize: which calls are rewritten, to what, and which get a comment


def _modernized_line(header: str, statement: str, module: str = "monte_carlo") -> str:
    """The rewritten `statement` line(s), or the comment + statement when it was not rewritten."""
    text = modernize(header + statement + "\n")
    body = text.split("\n")
    index = next(i for i, line in enumerate(body) if line.startswith(statement.split("=")[0]))
    line = body[index]
    if body[index - 1] == comment(module):
        return "COMMENT " + line
    return line


@pytest.mark.parametrize(
    "call, expected",
    [
        # The 1.4+ sample form, told statically: renamed keywords, same argument order.
        ("mc.expectation(f, samples=x)", "tfp.monte_carlo.expectation(f, samples=x)"),
        ("mc.expectation(f, x, keep_dims=True)",
         "tfp.monte_carlo.expectation(f, x, keepdims=True)"),
        ("mc.expectation(f, x, lp, use_reparametrization=True, axis=1, name='e')",
         "tfp.monte_carlo.expectation(f, x, lp, use_reparameterization=True, axis=1, name='e')"),
        ("mc.expectation(f, p.sample(9))", "tfp.monte_carlo.expectation(f, p.sample(9))"),
        ("mc.expectation(f, p.sample(9), lp, name='e')",
         "tfp.monte_carlo.expectation(f, p.sample(9), lp, name='e')"),
        # Score-function branch: legacy's surrogate differs from TFP's DiCE in 2nd derivatives.
        ("mc.expectation(f, x, log_prob=lp, use_reparametrization=False)", None),
        ("mc.expectation(f, x, use_reparametrization=flag)", None),
        ("mc.expectation(f, x, use_reparametrization=None)", None),
        # TF 1.3's expectation_v2 was DiCE already: exact in both branches.
        ("mc.expectation_v2(f, x, lp, False, 0, True)",
         "tfp.monte_carlo.expectation(f, x, lp, False, 0, True)"),
        ("mc.expectation_v2(f, x, log_prob=lp, use_reparametrization=False, keep_dims=True)",
         "tfp.monte_carlo.expectation(f, x, log_prob=lp, use_reparameterization=False, "
         "keepdims=True)"),
        # The TF 1.0-1.3 distribution form.
        ("mc.expectation(f, p, z=zs)", "tfp.monte_carlo.expectation(f, zs)"),
        ("mc.expectation(f, p=d, z=zs, name='e')", "tfp.monte_carlo.expectation(f, zs, name='e')"),
        ("mc.expectation(f, p, n=100, seed=1)",
         "tfp.monte_carlo.expectation(f, p.sample(100, seed=1))"),
        ("mc.expectation(f, p, None, 100)", None),
        ("mc.expectation(f, a if c else b, n=5)",
         "tfp.monte_carlo.expectation(f, (a if c else b).sample(5))"),
        # Legacy errors (both or neither of n and z; mixed forms) and the undecidable.
        ("mc.expectation(f, p, z=zs, n=100)", None),
        ("mc.expectation(f, p, seed=1)", None),
        ("mc.expectation(f, p=d, keep_dims=True)", None),
        ("mc.expectation(f, x)", None),
        ("mc.expectation(f, x, lp)", None),
        ("mc.expectation(*args)", None),
        ("mc.expectation(f, x, **options)", None),
        # Private helpers.
        ("mc._logspace_mean(lw)", "tfp.math.reduce_logmeanexp(lw, axis=0)"),
        ("mc._logspace_mean(a + b)", "tfp.math.reduce_logmeanexp(a + b, axis=0)"),
        ("mc._logspace_mean(log_values=lw)", None),
        ("mc._sample_mean(v)", "tf.reduce_mean(v, axis=0)"),
        ("mc._sample_max(v)", "tf.reduce_max(v, axis=0)"),
        ("mc._get_samples(p, None, 10, 1)", None),
        # Importance samplers: the log-space one is a TFP expression when z is a plain name.
        ("mc.expectation_importance_sampler_logspace(lf, p.log_prob, q, z=zs)",
         "tfp.math.reduce_logmeanexp(lf(zs) + p.log_prob(zs) - q.log_prob(zs), axis=0)"),
        ("mc.expectation_importance_sampler_logspace(lambda v: v, lp, q, zs, name='i')",
         "tfp.math.reduce_logmeanexp((lambda v: v)(zs) + lp(zs) - q.log_prob(zs), axis=0, "
         "name='i')"),
        ("mc.expectation_importance_sampler_logspace(lf, lp, q, z=q.sample(9))", None),
        ("mc.expectation_importance_sampler_logspace(lf, lp, q, n=9)", None),
        ("mc.expectation_importance_sampler(f, lp, q, z=zs)", None),
    ],
)
def test_modernize_monte_carlo_calls(call, expected):
    header = "import tensorflow as tf\n" + MC
    line = _modernized_line(header, f"r = {call}")
    assert line == (f"COMMENT r = {call}" if expected is None else f"r = {expected}")


@pytest.mark.parametrize(
    "call, expected",
    [
        ("entropy.entropy_shannon(p, form=entropy.ELBOForms.analytic_entropy)", "p.entropy()"),
        ("entropy.entropy_shannon(p, zs, None, 1, vi.ELBOForms.analytic_entropy)",
         "p.entropy()"),
        ("entropy.entropy_shannon(make(1).q, form=ELBOForms.analytic_entropy)",
         "make(1).q.entropy()"),
        ("entropy.entropy_shannon(a or b, form=ELBOForms.analytic_entropy)", "(a or b).entropy()"),
        ("entropy.entropy_shannon(p, n=10, form=ELBOForms.analytic_entropy)", None),
        ("entropy.entropy_shannon(p, n=10)", None),
        ("entropy.entropy_shannon(p, z=zs, form=ELBOForms.sample)", None),
        ("entropy.entropy_shannon(p, form=other.analytic_entropy)", None),
        ("entropy.elbo_ratio(lp, q, z=q.sample(5), form=ELBOForms.analytic_entropy)",
         "q.entropy() + tf.reduce_mean(lp(q.sample(5)), axis=0)"),
        ("entropy.elbo_ratio(lp, q, z=zs, form=ELBOForms.sample)",
         "-tf.reduce_mean(q.log_prob(zs), axis=0) + tf.reduce_mean(lp(zs), axis=0)"),
        ("entropy.elbo_ratio(lp, q, z=q.sample(5), form=ELBOForms.sample)", None),
        ("entropy.elbo_ratio(lp, q, n=5, form=ELBOForms.analytic_entropy)", None),
        ("entropy.elbo_ratio(lp, q, z=zs)", None),
        ("entropy.renyi_ratio(lp, q, 0.5, z=zs)",
         "tfp.math.reduce_logmeanexp((1 - 0.5) * (lp(zs) - q.log_prob(zs)), axis=0) / (1 - 0.5)"),
        ("entropy.renyi_ratio(lp, q, alpha=a, z=zs)",
         "tfp.math.reduce_logmeanexp((1 - a) * (lp(zs) - q.log_prob(zs)), axis=0) / (1 - a)"),
        ("entropy.renyi_ratio(lp, q, 1 - b, z=zs)", None),
        ("entropy.renyi_ratio(lp, q, 0.5, n=9)", None),
        ("entropy.renyi_alpha(step, 10, 0.0)", None),
    ],
)
def test_modernize_entropy_calls(call, expected):
    header = (
        "import tensorflow as tf\n"
        "from tensorflow.contrib.bayesflow import entropy\n"
        "from tensorflow.contrib.bayesflow import variational_inference as vi\n"
        "from tensorflow.contrib.bayesflow.entropy import ELBOForms\n"
    )
    line = _modernized_line(header, f"r = {call}", "entropy")
    assert line == (f"COMMENT r = {call}" if expected is None else f"r = {expected}")


def test_modernize_comments_every_other_legacy_module_once_per_statement():
    source = (
        "import tensorflow as tf\n"
        "st = tf.contrib.bayesflow.stochastic_tensor\n"
        "sg = tf.contrib.bayesflow.stochastic_graph\n"
        "\n"
        "@tf.contrib.bayesflow.stochastic_variables.make_stochastic_variable_getter(d)\n"
        "def getter(*args):\n"
        "    pass\n"
        "for i in range(3):\n"
        "    x = st.StochasticTensor(st.SampleValue(), loss_fn=sg.surrogate_loss)  # keep\n"
        "y = tf.get_collection(st.STOCHASTIC_TENSOR_COLLECTION)\n"
    )
    assert modernize(source) == (
        "import tensorflow.compat.v1 as tf\n"
        "tf.disable_v2_behavior()\n"
        + INSTALL
        + "st = tf.contrib.bayesflow.stochastic_tensor\n"
        "sg = tf.contrib.bayesflow.stochastic_graph\n"
        "\n"
        f"{comment('stochastic_variables')}\n"
        "@tf.contrib.bayesflow.stochastic_variables.make_stochastic_variable_getter(d)\n"
        "def getter(*args):\n"
        "    pass\n"
        "for i in range(3):\n"
        f"    {comment('stochastic_graph')}\n"
        f"    {comment('stochastic_tensor')}\n"
        "    x = st.StochasticTensor(st.SampleValue(), loss_fn=sg.surrogate_loss)  # keep\n"
        f"{comment('stochastic_tensor')}\n"
        "y = tf.get_collection(st.STOCHASTIC_TENSOR_COLLECTION)\n"
    )


@pytest.mark.parametrize(
    "header, callee",
    [
        ("import tensorflow as tf\n", "tf.contrib.bayesflow.monte_carlo.expectation"),
        ("import tensorflow.compat.v1 as tf\n", "tf.contrib.bayesflow.monte_carlo.expectation"),
        ("import tensorflow as tf\n", "tf.compat.v1.contrib.bayesflow.monte_carlo.expectation"),
        ("import tensorflow as tf\nbf = tf.contrib.bayesflow\n", "bf.monte_carlo.expectation"),
        (BF, "bf.monte_carlo.expectation"),
        ("import tensorflow.contrib.bayesflow as bf\n", "bf.monte_carlo.expectation"),
        ("import tensorflow.contrib.bayesflow\n",
         "tensorflow.contrib.bayesflow.monte_carlo.expectation"),
        (MC, "mc.expectation"),
        ("from tensorflow.contrib.bayesflow.python.ops import monte_carlo_impl\n",
         "monte_carlo_impl.expectation"),
        ("import tensorflow.contrib.bayesflow.python.ops.monte_carlo_impl as impl\n",
         "impl.expectation"),
        ("from tensorflow.contrib.bayesflow.monte_carlo import expectation\n", "expectation"),
        ("from tensorflow.contrib.bayesflow.monte_carlo import expectation as ev\n", "ev"),
        ("from tensorflow.contrib.bayesflow.monte_carlo import *\n", "expectation"),
        ("from tf_contrib_bayesflow import monte_carlo\n", "monte_carlo.expectation"),
        ("try:\n    from tensorflow.contrib.bayesflow import monte_carlo as mc\n"
         "except ImportError:\n    from tensorflow.contrib.bayesflow.python.ops import "
         "monte_carlo_impl as mc\n", "mc.expectation"),
    ],
)
def test_modernize_follows_every_import_spelling(header, callee):
    line = _modernized_line(header, f"r = {callee}(f, samples=xs, keep_dims=True)")
    assert line == "r = tfp.monte_carlo.expectation(f, samples=xs, keepdims=True)"


@pytest.mark.parametrize(
    "source",
    [
        ("from mylib import monte_carlo as mc\nr = mc.expectation(f, samples=xs)\n"),
        ("def expectation(f, samples):\n    pass\nr = expectation(f, samples=xs)\n"),
        (MC + "from mylib import monte_carlo as mc\nr = mc.expectation(f, samples=xs)\n"),
        ("import tensorflow as tf\nr = tf.contrib.bayesflow_extra.expectation(f, samples=xs)\n"),
        ("import tensorflow as tf\nr = tf.monte_carlo.expectation(f, samples=xs)\n"),
        ("from tensorflow.contrib.bayesflow.monte_carlo import *\n"
         "def expectation(f, samples):\n    pass\nr = expectation(f, samples=xs)\n"),
        ("from tensorflow.contrib.bayesflow.monte_carlo import expectation\n"
         "class expectation:\n    pass\nr = expectation(f, samples=xs)\n"),
        ("r = bf.monte_carlo.expectation(f, samples=xs)\n"),
    ],
)
def test_modernize_leaves_look_alikes_alone(source):
    modernized = modernize(source)
    assert "r = " + source.split("r = ")[1] in modernized
    assert "tfp" not in modernized and "# tf_contrib_bayesflow" not in modernized


def test_modernize_nested_rewrites_and_kept_formatting():
    source = (
        "import tensorflow as tf\n" + MC + BF
        + "r = mc._logspace_mean(mc.expectation(\n"
        "    f,  # the integrand\n"
        "    samples=xs,\n"
        "    keep_dims=True))\n"
        "h = -bf.entropy.renyi_ratio(lp, q, 0.5, z=zs) * 2\n"
        "g = fn(bf.entropy.renyi_ratio(lp, q, 0.5, z=zs))\n"
        "e = bf.entropy.entropy_shannon(mc.expectation(f, p, z=zs),\n"
        "                               form=bf.entropy.ELBOForms.analytic_entropy)\n"
        "t = bf.entropy.entropy_shannon(x\n"
        "                               .q, form=bf.entropy.ELBOForms.analytic_entropy)\n"
        "s = 'é'; m = mc.expectation(f, samples=xs)\n"
    )
    assert modernize(source) == (
        "import tensorflow.compat.v1 as tf\n"
        "tf.disable_v2_behavior()\n"
        "import tensorflow_probability as tfp\n"
        "r = tfp.math.reduce_logmeanexp(tfp.monte_carlo.expectation(\n"
        "    f,  # the integrand\n"
        "    samples=xs,\n"
        "    keepdims=True), axis=0)\n"
        "h = -(tfp.math.reduce_logmeanexp((1 - 0.5) * (lp(zs) - q.log_prob(zs)), axis=0) / "
        "(1 - 0.5)) * 2\n"
        "g = fn(tfp.math.reduce_logmeanexp((1 - 0.5) * (lp(zs) - q.log_prob(zs)), axis=0) / "
        "(1 - 0.5))\n"
        "e = tfp.monte_carlo.expectation(f, zs).entropy()\n"
        "t = (x\n"
        "                               .q).entropy()\n"
        "s = 'é'; m = tfp.monte_carlo.expectation(f, samples=xs)\n"
    )


def test_modernize_imports_tfp_only_if_a_tfp_call_survives():
    source = (
        "import tensorflow as tf\n" + BF
        + "h = bf.entropy.entropy_shannon(\n"
        "    p, z=bf.monte_carlo._logspace_mean(lw), form=bf.entropy.ELBOForms.analytic_entropy)\n"
    )
    assert modernize(source) == (
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\nh = p.entropy()\n"
    )


def test_modernize_drops_only_legacy_imports_it_left_unused():
    source = (
        "import tensorflow as tf\n"
        + MC
        + "from tensorflow.contrib.bayesflow import entropy  # still used\n"
        "from tensorflow.contrib.bayesflow import stochastic_graph as sg\n"
        "try:\n"
        "    from tensorflow.contrib.bayesflow import monte_carlo as mc2\n"
        "except ImportError:\n"
        "    pass\n"
        "r = mc.expectation(f, samples=xs)\n"
        "r2 = mc2.expectation(f, samples=xs)\n"
        "h = entropy.renyi_alpha(1, 2, 0.)\n"
    )
    modernized = modernize(source)
    assert "monte_carlo as mc\n" not in modernized  # unused now: dropped
    assert "import stochastic_graph as sg\n" in modernized  # unused before: kept
    assert "    from tensorflow.contrib.bayesflow import monte_carlo as mc2\n" in modernized
    assert "import entropy  # still used\n" in modernized
    assert INSTALL in modernized


def test_modernize_without_legacy_left_needs_no_install():
    source = (
        '"""Doc."""\n'
        "import tensorflow as tf\n"
        + MC
        + "x = tf.placeholder(tf.float32)\n"
        "r = mc.expectation(tf.square, samples=x)\n"
    )
    assert modernize(source) == (
        '"""Doc."""\n'
        "import tensorflow.compat.v1 as tf\n"
        "tf.disable_v2_behavior()\n"
        "import tensorflow_probability as tfp\n"
        "x = tf.placeholder(tf.float32)\n"
        "r = tfp.monte_carlo.expectation(tf.square, samples=x)\n"
    )


def test_modernize_uses_the_files_tfp_name_and_never_shadows_one():
    source = (
        "import tensorflow_probability as prob\n" + MC + "r = mc.expectation(f, samples=xs)\n"
    )
    assert modernize(source) == (
        "import tensorflow_probability as prob\nr = prob.monte_carlo.expectation(f, samples=xs)\n"
    )
    source = (MC + "tfp = 3\nr = mc.expectation(f, samples=xs)\n")
    assert modernize(source) == (
        INSTALL + MC + f"tfp = 3\n{comment('monte_carlo')}\nr = mc.expectation(f, samples=xs)\n"
    )


def test_modernize_sample_reductions_need_a_module_level_tensorflow_name():
    source = (MC + "r = mc._sample_mean(v)\n")
    assert modernize(source) == (
        INSTALL + MC + f"{comment('monte_carlo')}\nr = mc._sample_mean(v)\n"
    )


# ---------------------------------------------------------------------------------------------
# Unparsable input


@pytest.mark.parametrize(
    "source, lineno, gist",
    [
        ("import tensorflow as tf\nprint 'hello'\n", 2, "Missing parentheses in call to 'print'"),
        ("import tensorflow\ntry:\n    pass\nexcept ValueError, e:\n    pass\n", 4,
         "must be parenthesized"),
        ("x = 0777  # tensorflow\n", 1, "leading zeros"),
        ("import tensorflow\ndef f(:\n", 2, "invalid syntax"),
    ],
)
def test_unparsable_source_raises_a_parse_error_naming_python_2(source, lineno, gist):
    for rewrite in REWRITES.values():
        with pytest.raises(ParseError) as info:
            rewrite(source)
        assert info.value.lineno == lineno
        message = str(info.value)
        assert message.startswith("cannot parse (Python 2 syntax? this tool needs Python 3 "
                                  "source; run 2to3 first): ")
        assert gist in message and message.endswith(f" at line {lineno}")


def test_files_that_never_mention_tensorflow_are_not_even_parsed():
    for rewrite in REWRITES.values():
        assert rewrite("print 'no TF here'\n") == "print 'no TF here'\n"


def test_invalid_escape_sequences_in_legacy_code_do_not_warn():
    # pytest turns warnings into errors: a SyntaxWarning from parsing would fail this test.
    source = 'import tensorflow as tf\npattern = "\\d+"\ns = tf.Session()\n'
    assert 'pattern = "\\d+"' in port(source)


# ---------------------------------------------------------------------------------------------
# Command line


LEGACY = "import tensorflow as tf\nm = tf.contrib.bayesflow.monte_carlo.expectation(f, samples=x)\n"


def test_check_reports_without_writing_and_write_then_leaves_nothing_to_do(tmp_path, capsys):
    path = tmp_path / "legacy.py"
    write(path, LEGACY)
    assert main(["--check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == f"would rewrite {path}\n"
    assert "1 file(s) would be rewritten, 0 unchanged, 0 failed (port)" in err
    assert read(path) == LEGACY
    assert main(["--modernize", "--write", str(path)]) == 0
    assert capsys.readouterr()[0] == f"rewrote {path}\n"
    assert read(path) == modernize_source(LEGACY)
    assert main(["--modernize", "--check", str(path)]) == 0
    assert main(["--check", str(path)]) == 0
    assert capsys.readouterr()[0] == ""


def test_diff_is_the_default_action_and_is_a_unified_diff(tmp_path, capsys):
    path = tmp_path / "legacy.py"
    write(path, LEGACY)
    assert main([str(path)]) == 1
    out, _ = capsys.readouterr()
    assert read(path) == LEGACY
    expected = "".join(difflib.unified_diff(
        LEGACY.splitlines(True), port_source(LEGACY).splitlines(True), str(path), str(path)))
    assert out == expected and out.startswith(f"--- {path}\n+++ {path}\n@@ ")
    write(path, "import tensorflow as tf\nx = tf.Session()")  # no final newline
    assert main(["--diff", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert out.endswith("\n x = tf.Session()\n\\ No newline at end of file\n")


def test_folders_recurse_into_python_files_only(tmp_path, capsys):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "pkg" / "__pycache__").mkdir()
    for name in ("pkg/a.py", "pkg/sub/b.py", ".hidden/c.py", "pkg/__pycache__/d.py", "pkg/e.txt"):
        write(tmp_path / name, LEGACY)
    write(tmp_path / "pkg" / "clean.py", "x = 1\n")
    assert main(["--check", str(tmp_path), str(tmp_path / "pkg" / "a.py")]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"would rewrite {tmp_path / 'pkg' / 'a.py'}",
        f"would rewrite {tmp_path / 'pkg' / 'sub' / 'b.py'}",
    ]
    assert "2 file(s) would be rewritten, 1 unchanged, 0 failed" in err


def test_unparsable_and_unreadable_files_are_reported_and_the_rest_still_processed(
    tmp_path, capsys
):
    write(tmp_path / "a_py2.py", "import tensorflow as tf\n\nprint 'loss', 1\n")
    (tmp_path / "b_latin1.py").write_bytes(b"# caf\xe9\nimport tensorflow as tf\n")
    (tmp_path / "b_latin1_late.py").write_bytes(b"import tensorflow as tf\n\ns = '\xe9'\n")
    write(tmp_path / "c_good.py", LEGACY)
    missing = tmp_path / "missing.py"
    assert main(["--write", str(tmp_path), str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == f"rewrote {tmp_path / 'c_good.py'}\n"
    assert read(tmp_path / "c_good.py") == port_source(LEGACY)
    assert (
        f"{tmp_path / 'a_py2.py'}: cannot parse (Python 2 syntax? this tool needs Python 3 "
        "source; run 2to3 first): Missing parentheses in call to 'print'. Did you mean "
        "print(...)? at line 3\n"
    ) in err
    assert (
        f"{tmp_path / 'b_latin1.py'}: cannot decode: invalid or missing encoding declaration; "
        "Python 2 files often lack an encoding declaration"
    ) in err
    assert (
        f"{tmp_path / 'b_latin1_late.py'}: cannot decode: not valid utf-8 (byte 30); "
    ) in err
    assert f"{missing}: no such file or folder\n" in err
    assert "1 file(s) rewritten, 0 unchanged, 4 failed (port)" in err
    assert read(tmp_path / "a_py2.py") == "import tensorflow as tf\n\nprint 'loss', 1\n"


def test_write_keeps_encoding_bom_and_line_endings(tmp_path, capsys):
    path = tmp_path / "legacy.py"
    original = "\ufeff# -*- coding: utf-8 -*-\r\nimport tensorflow as tf\r\ns = 'ü'\r\n" \
               "m = tf.contrib.bayesflow.monte_carlo\r\n"
    path.write_bytes(original.encode("utf-8"))
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\nimport tensorflow as tf\ns = '\xe9'\n"
                      b"tf.Session()\n")
    assert main(["--write", str(path), str(latin)]) == 0
    assert path.read_bytes() == (
        "\ufeff# -*- coding: utf-8 -*-\r\nimport tensorflow.compat.v1 as tf\r\n"
        "tf.disable_v2_behavior()\r\nimport tf_contrib_bayesflow\r\n"
        "tf_contrib_bayesflow.install()\r\ns = 'ü'\r\nm = tf.contrib.bayesflow.monte_carlo\r\n"
    ).encode("utf-8")
    assert latin.read_bytes() == (
        b"# -*- coding: latin-1 -*-\nimport tensorflow.compat.v1 as tf\n"
        b"tf.disable_v2_behavior()\ns = '\xe9'\ntf.Session()\n"
    )


def test_notes_go_to_stderr_and_do_not_change_the_exit_status(tmp_path, capsys):
    path = tmp_path / "legacy.py"
    write(path, "import tensorflow.compat.v1 as tf\nx = tf.contrib.layers.flatten\n")
    assert main(["--check", str(path)]) == 0
    assert f"{path}:2: note: tf.contrib.layers is not provided" in capsys.readouterr()[1]


def test_usage_errors_exit_2_and_help_explains_modes_and_exit_status(capsys):
    for argv in (["--port", "--modernize", "x.py"], ["--check", "--write", "x.py"], []):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    help_text = capsys.readouterr()[0]
    for words in ("--port", "--modernize", "--check", "--diff", "--write", "exit status",
                  "2to3", "never imported or run"):
        assert words in help_text


def test_user_code_is_never_imported_or_run(tmp_path, capsys):
    path = tmp_path / "legacy.py"
    marker = tmp_path / "ran"
    write(path, f"open({str(marker)!r}, 'w').close()\nraise SystemExit(7)\n" + LEGACY)
    assert main(["--modernize", "--write", str(path)]) == 0
    assert not marker.exists()
    assert "tfp.monte_carlo.expectation" in read(path)


def test_the_codemod_imports_neither_tensorflow_nor_the_user_code(tmp_path):
    # Loads the migrate package under a stand-in parent package (the real one imports
    # TensorFlow), with TensorFlow, TFP and NumPy imports made to fail.
    path = tmp_path / "legacy.py"
    write(path, LEGACY)
    code = f"""
import importlib.abc, sys, types
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tensorflow_probability", "numpy"):
            raise ImportError("blocked " + name)
sys.meta_path.insert(0, Block())
package = types.ModuleType("tf_contrib_bayesflow")
package.__path__ = [{str(ROOT / "tf_contrib_bayesflow")!r}]
sys.modules["tf_contrib_bayesflow"] = package
from tf_contrib_bayesflow.migrate import main
sys.exit(main(["--modernize", "--check", {str(path)!r}]))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", "")}, cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == f"would rewrite {path}\n"


def test_python_dash_m_entry_point(tmp_path):
    path = tmp_path / "legacy.py"
    write(path, LEGACY)
    result = subprocess.run(
        [sys.executable, "-m", "tf_contrib_bayesflow.migrate", "--check", str(path)],
        capture_output=True, text=True, timeout=120, env=_environment(), cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == f"would rewrite {path}\n"
