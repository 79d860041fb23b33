"""Every Python example in `migration_guide/*.md` and `README.md` runs, and says what it shows.

How the examples are executed (the conventions are stated for readers in
`migration_guide/index.md`, "How the examples are checked"):

- Every fenced ```python block is executed; a block is skipped only when the line right above it
  is an HTML comment `<!-- guide-test: skip (reason) -->` with a reason.
- The blocks of one page run in order in one namespace, like notebook cells.
- A block that calls `disable_v2_behavior()` is TF1 code: it switches the whole process to TF1
  behaviour, so all such blocks (of all pages) run in ONE subprocess, in order within a page, one
  namespace and one fresh default graph per page. Every other block runs in this process.
- Both run under the warning filters of `pytest.ini` (errors, with its explicit ignores).
- A block that compares a legacy call with its TFP replacement labels the two sides with comment
  lines starting `# legacy` and `# TFP` and checks them with `np.allclose` /
  `np.testing.assert_allclose` / `np.array_equal` on the same samples; every module page has one.

The symbol tables are checked too: each module page has a row for every name of the module's
`__all__` and for the names legacy tests imported from it (spec section 1), with a status, a
replacement (or "none — keep using this package") and the differences that change numbers.
"""
import ast
import configparser
import json
import pathlib
import re
import subprocess
import sys
import textwrap
from typing import Dict, List, NamedTuple

import pytest
import tensorflow as tf

import tf_contrib_bayesflow
from tf_contrib_bayesflow import distributions as legacy_distributions

ROOT = pathlib.Path(__file__).parents[1]
GUIDE = ROOT / "migration_guide"
PAGES = sorted(GUIDE.glob("*.md")) + [ROOT / "README.md"]

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^`\s]*)[^`]*$")
SKIP = re.compile(r"^<!-- guide-test: skip \((?P<reason>[^)]+)\) -->$")
TF1_CALL = "disable_v2_behavior()"


class Block(NamedTuple):
    page: pathlib.Path
    line: int  # 1-based line of the first code line
    code: str
    skip_reason: str

    @property
    def is_tf1(self) -> bool:
        return TF1_CALL in self.code

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(page: pathlib.Path, language: str = "python") -> List[Block]:
    """The fenced blocks of `language` in `page`, dedented, with their skip markers."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        end = index + 1
        while not re.match(r"^[ \t]*```[ \t]*$", lines[end]):
            end += 1
        if match["info"] == language:
            previous = next((l.strip() for l in reversed(lines[:index]) if l.strip()), "")
            skip = SKIP.match(previous)
            code = textwrap.dedent("\n".join(lines[index + 1:end]))
            blocks.append(Block(page, index + 2, code, skip["reason"] if skip else ""))
        index = end + 1
    return blocks


def _padded(block: Block) -> str:
    """The code, shifted so that tracebacks show the line numbers of the Markdown file."""
    return "\n" * (block.line - 1) + block.code


def _page_id(page: pathlib.Path) -> str:
    return str(page.relative_to(ROOT))


# ----------------------------------------------------------------------------- the fences


def test_every_page_has_examples_and_fences_are_closed_and_named():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        fences = [line for line in text.splitlines() if line.lstrip().startswith("```")]
        assert len(fences) % 2 == 0, f"{page}: unclosed code fence"
        infos = {FENCE.match(line)["info"] for line in fences[0::2]}
        # Python examples are ```python (executed); shell is ```bash; formulas and output ```none.
        assert infos <= {"python", "bash", "none"}, (page, infos)
    # The extractor finds the examples: every guide page but the index has some.
    for page in GUIDE.glob("*.md"):
        assert page.name == "index.md" or _blocks(page), page


def test_skip_markers_are_rare_and_give_a_reason():
    skipped = [block.where for page in PAGES for block in _blocks(page) if block.skip_reason]
    assert len(skipped) <= 2, skipped
    for page in PAGES:
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("<!--") and "guide-test" in line:
                assert SKIP.match(line.strip()), f"{page}: malformed marker {line!r}"


def test_the_walkthrough_and_every_module_page_are_linked_from_the_index():
    index = (GUIDE / "index.md").read_text(encoding="utf-8")
    for page in GUIDE.glob("*.md"):
        if page.name != "index.md":
            assert f"]({page.name})" in index, page.name


# ---------------------------------------------------------------- running the examples


def _warning_filters() -> List[List[str]]:
    """pytest.ini's `filterwarnings`, as [action, message, category] triples, in order."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "pytest.ini")
    filters = []
    for line in parser["pytest"]["filterwarnings"].splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            action, message, category = (line.split(":") + ["", ""])[:3]
            filters.append([action, message, category or "Warning"])
    return filters


# Runs in a fresh interpreter: reads {"filters": ..., "pages": {page: [[line, code], ...]}} on
# stdin, runs each page's blocks in order in one namespace and a fresh default graph, and prints
# one JSON line {page: [null | traceback per block]}.
_TF1_RUNNER = r'''
import builtins, json, sys, traceback, warnings

request = json.load(sys.stdin)
for action, message, category in request["filters"]:  # later lines win, as in pytest
    warnings.filterwarnings(action, message, getattr(builtins, category))

results = {}
for page, blocks in request["pages"].items():
    namespace = {"__name__": "__guide__"}
    outcomes = results[page] = []
    import tensorflow
    tensorflow.compat.v1.reset_default_graph()
    for line, code in blocks:
        try:
            exec(compile("\n" * (line - 1) + code, page, "exec"), namespace)
            outcomes.append(None)
        except BaseException:
            outcomes.append(traceback.format_exc())
            break
    import tf_contrib_bayesflow
    tf_contrib_bayesflow.uninstall()
print("GUIDE-RESULTS " + json.dumps(results))
'''


@pytest.fixture(scope="module")
def tf1_results() -> Dict[str, List]:
    """Runs the TF1 blocks of every page in one subprocess; {page: [None | traceback]}."""
    pages = {
        _page_id(page): [[b.line, b.code] for b in _blocks(page) if b.is_tf1 and not b.skip_reason]
        for page in PAGES
    }
    request = {"filters": _warning_filters(), "pages": {k: v for k, v in pages.items() if v}}
    run = subprocess.run(
        [sys.executable, "-c", _TF1_RUNNER], input=json.dumps(request), capture_output=True,
        text=True, timeout=600, cwd=ROOT, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""},
    )
    lines = [l for l in run.stdout.splitlines() if l.startswith("GUIDE-RESULTS ")]
    assert run.returncode == 0 and lines, run.stderr[-5000:]
    return json.loads(lines[-1][len("GUIDE-RESULTS "):])


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_tf1_examples_run_in_a_tf1_process(page, tf1_results):
    blocks = [b for b in _blocks(page) if b.is_tf1 and not b.skip_reason]
    outcomes = tf1_results.get(_page_id(page), [])
    assert len(outcomes) <= len(blocks)
    for block, outcome in zip(blocks, outcomes):
        assert outcome is None, f"{block.where} failed:\n{outcome}"
    assert len(outcomes) == len(blocks)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_tf2_examples_run(page):
    blocks = [b for b in _blocks(page) if not b.is_tf1 and not b.skip_reason]
    namespace = {"__name__": "__guide__"}
    had_contrib = hasattr(tf, "contrib")
    try:
        for block in blocks:
            exec(compile(_padded(block), str(block.page), "exec"), namespace)
    finally:
        if not had_contrib:  # a block may demonstrate install()
            tf_contrib_bayesflow.uninstall()
    assert tf.executing_eagerly()


# ------------------------------------------------------------ side-by-side comparisons

_COMPARISONS = {"allclose", "array_equal", "assert_allclose", "assert_array_equal", "isclose"}


def _compares(code: str) -> bool:
    """Whether the block checks numbers: an assert on, or a call of, a NumPy comparison."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _COMPARISONS:
                return True
    return False


def _labels(code: str) -> set:
    labels = set()
    for line in code.splitlines():
        comment = line.strip().lower()
        for label in ("# legacy", "# tfp"):
            if comment.startswith(label):
                labels.add(label)
    return labels


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_side_by_side_blocks_check_that_the_numbers_agree(page):
    for block in _blocks(page):
        if _labels(block.code) == {"# legacy", "# tfp"}:
            assert _compares(block.code), f"{block.where}: legacy and TFP shown, not compared"


MODULE_PAGES = [
    "distributions", "entropy", "monte_carlo", "stochastic_gradient_estimators",
    "stochastic_graph", "stochastic_tensor", "stochastic_variables", "variational_inference",
]


@pytest.mark.parametrize("module", MODULE_PAGES)
def test_every_module_page_compares_legacy_and_tfp_on_the_same_samples(module):
    blocks = _blocks(GUIDE / f"{module}.md")
    assert any(
        _labels(b.code) == {"# legacy", "# tfp"} and _compares(b.code) and not b.skip_reason
        for b in blocks
    ), f"{module}.md has no executed side-by-side example"


def test_the_walkthrough_has_the_stages_and_checks_their_numbers():
    text = (GUIDE / "walkthrough.md").read_text(encoding="utf-8")
    for stage in range(4):
        assert re.search(rf"^## Stage {stage}\b", text, re.M), stage
    blocks = _blocks(GUIDE / "walkthrough.md")
    assert [b for b in blocks if b.is_tf1] and [b for b in blocks if not b.is_tf1]
    assert sum(_compares(b.code) for b in blocks) >= 3


# --------------------------------------------------------------------- the symbol tables

# Names legacy code and tests imported besides `__all__` (spec section 1, "also importable").
ALSO_IMPORTABLE = {
    "monte_carlo": {"_get_samples", "_logspace_mean", "_sample_mean", "_sample_max"},
    "stochastic_tensor": {"NoValueTypeSetError", "STOCHASTIC_TENSOR_COLLECTION"},
    "stochastic_graph": {
        "_stochastic_dependencies_map", "_upstream_stochastic_nodes", "_add_n_or_sum",
    },
    "stochastic_gradient_estimators": {"get_vimco_advantage_fn"},
    "variational_inference": {"VI_PRIORS", "_find_variational_and_priors"},
}
HEADER = "| legacy symbol | status | TFP 0.25 / TF 2 replacement | differences that change numbers |"
NONE = "none — keep using this package"


def _cells(row: str) -> List[str]:
    # Split on pipes outside code spans.
    cells, current, in_code = [], "", False
    for char in row.strip()[1:-1]:
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return cells + [current.strip()]


def symbol_rows(module: str) -> Dict[str, List[str]]:
    """{name: [status, replacement, differences]} from the page's symbol table(s)."""
    rows = {}
    in_table = False
    for line in (GUIDE / f"{module}.md").read_text(encoding="utf-8").splitlines():
        if line.strip() == HEADER:
            in_table = True
            continue
        if in_table and not line.startswith("|"):
            in_table = False
        if in_table and not line.startswith("|---"):
            cells = _cells(line)
            for name in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", cells[0]):
                rows.setdefault(name, cells[1:])
    return rows


def _public_names(module_name: str) -> set:
    module = getattr(tf_contrib_bayesflow, module_name)
    if module_name == "distributions":
        # TFP's own classes are re-exported unchanged; the legacy surface is the rest.
        tfd = legacy_distributions.tfd
        return {
            name for name in module.__all__
            if getattr(tfd, name, None) is not getattr(module, name)
        }
    return set(module.__all__) | ALSO_IMPORTABLE.get(module_name, set())


@pytest.mark.parametrize("module", MODULE_PAGES)
def test_every_public_symbol_has_a_complete_row(module):
    rows = symbol_rows(module)
    missing = _public_names(module) - set(rows)
    assert not missing, f"{module}.md has no row for {sorted(missing)}"
    for name in _public_names(module):
        status, replacement, differences = rows[name]
        assert status and differences, (module, name)
        # A replacement is code, or says plainly that there is none.
        assert "`" in replacement or replacement.startswith(NONE), (module, name, replacement)
