"""The two rewrites, `port` and `modernize`, of one module's source text.

Both parse the text with `ast`, decide every edit from the syntax tree and the user's imports,
and splice the edits into the original text at exact source spans (see `_source`). The result
is parsed again before it is returned, so a rewrite can never hand back broken code.
"""
import ast
import warnings
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from tf_contrib_bayesflow.migrate import _names
from tf_contrib_bayesflow.migrate._names import LEGACY_SYMBOLS, MOVED_TO_TFP, Names
from tf_contrib_bayesflow.migrate._source import Edits, Source, Span

GUIDE_BASE_URL = (
    "https://github.com/tf-contrib-bayesflow/tf_contrib_bayesflow/blob/main/migration_guide"
)
NO_EQUIVALENT = "# tf_contrib_bayesflow: no exact TFP equivalent; see "

INSTALL_LINES = ("import tf_contrib_bayesflow", "tf_contrib_bayesflow.install()")

# Attributes of `tensorflow` that TF 2 removed (they live on only in `tf.compat.v1`): a file that
# uses one is TF1 code, and gets the compat.v1 import.
TF1_ONLY = frozenset(
    "tensorflow." + name
    for name in (
        "AUTO_REUSE ConfigProto GraphKeys InteractiveSession Print RunOptions Session "
        "add_to_collection all_variables app arg_max assign assign_add contrib distributions "
        "div get_collection get_default_graph get_variable gfile global_variables "
        "global_variables_initializer initialize_all_variables lgamma local_variables_initializer "
        "log logging mul neg placeholder placeholder_with_default py_func random_normal "
        "random_uniform reset_default_graph set_random_seed sub to_float to_int32 "
        "trainable_variables variable_scope train.AdamOptimizer train.GradientDescentOptimizer "
        "train.MomentumOptimizer train.RMSPropOptimizer train.Saver summary.FileWriter"
    ).split()
)


def guide_link(module: str) -> str:
    return f"{GUIDE_BASE_URL}/{module}.md"


class ParseError(ValueError):
    """The source is not Python 3 (very often: it is Python 2)."""

    def __init__(self, reason: str, lineno: Optional[int]):
        self.reason = reason
        self.lineno = lineno
        where = f" at line {lineno}" if lineno else ""
        super().__init__(
            "cannot parse (Python 2 syntax? this tool needs Python 3 source; run 2to3 first): "
            f"{reason}{where}"
        )


class Note(NamedTuple):
    """Something the user must handle by hand; the rewrite does not depend on it."""

    lineno: int
    message: str


class Result(NamedTuple):
    text: str
    notes: List[Note]


def parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        # Legacy code is full of invalid escape sequences; they are not our business here.
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text)
        except SyntaxError as error:
            raise ParseError(error.msg, error.lineno) from None
        except ValueError as error:  # e.g. null bytes
            raise ParseError(str(error), None) from None


def migrate(text: str, modernize: bool) -> Result:
    """Applies `port` (modernize=False) or `modernize` to a module's text.

    Text that never mentions `tensorflow` (nor this package) cannot import it, so it is
    returned as is without being parsed.
    """
    if "tensorflow" not in text and "tf_contrib_bayesflow" not in text:
        return Result(text, [])
    migration = _Migration(text, modernize)
    return Result(migration.run(), migration.notes)


# Legacy call signatures, as (parameter names), for binding call arguments statically.
_SAMPLE_FORM = ("f", "samples", "log_prob", "use_reparametrization", "axis", "keep_dims", "name")
_DISTRIBUTION_FORM = ("f", "p", "z", "n", "seed", "name")
_ONLY_SAMPLE_FORM = frozenset(_SAMPLE_FORM[1:6])
_ONLY_DISTRIBUTION_FORM = frozenset(("p", "z", "n", "seed"))
_TFP_KEYWORDS = {"use_reparametrization": "use_reparameterization", "keep_dims": "keepdims"}
_ANALYTIC_ENTROPY = {
    ("entropy", "ELBOForms", "analytic_entropy"),
    ("variational_inference", "ELBOForms", "analytic_entropy"),
}
_SAMPLE_ENTROPY = {
    ("entropy", "ELBOForms", "sample"),
    ("variational_inference", "ELBOForms", "sample"),
}
# Expression nodes that can be followed by `.attr` or `(...)` without parentheses.
_PRIMARY = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)


def _bind(call: ast.Call, parameters: Sequence[str]) -> Optional[Dict[str, ast.expr]]:
    """Maps a call's arguments to parameter names; None when that cannot be done statically."""
    if len(call.args) > len(parameters) or any(
        isinstance(arg, ast.Starred) for arg in call.args
    ):
        return None
    bound = dict(zip(parameters, call.args))
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg not in parameters or keyword.arg in bound:
            return None
        bound[keyword.arg] = keyword.value
    return bound


def _given(args: Dict[str, ast.expr], *names: str) -> bool:
    """Whether every one of `names` was passed, and not as a literal None."""
    return all(name in args and not _is_constant(args[name], None) for name in names)


def _is_constant(node: Optional[ast.AST], value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _is_sample_call(node: ast.AST) -> bool:
    """`something.sample(...)`: a tensor of draws, never a distribution."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("sample", "sample_n")
    )


class _Migration:
    def __init__(self, text: str, modernize: bool):
        self.tree = parse(text)
        self.modernize = modernize
        self.source = Source(text)
        self.names = Names(self.tree)
        self.edits = Edits(self.source)
        self.notes: List[Note] = []
        self.nodes = list(ast.walk(self.tree))
        self.parents: Dict[ast.AST, ast.AST] = {
            child: parent for parent in self.nodes for child in ast.iter_child_nodes(parent)
        }
        self.tf = self.names.module_alias("tensorflow")
        self.tfp_imported = self.names.module_alias("tensorflow_probability")
        free = not self.names.is_bound("tfp") or self.names.binds_only(
            "tfp", "tensorflow_probability"
        )
        self.tfp = self.tfp_imported or ("tfp" if free else None)
        self.tfp_edits: List[Span] = []  # the replacements that name TFP

    # ----- driver -----

    def run(self) -> str:
        if self.modernize:
            self._rewrite_calls()
            self._drop_unused_legacy_imports()
        self._port_tensorflow_imports()
        self._add_imports()
        if self.modernize:
            self._comment_calls_without_equivalent()
        self._note_unprovided_modules()
        if not self.edits:
            return self.source.text
        text = self.edits.apply()
        try:
            parse(text)
        except ParseError as error:
            raise AssertionError(f"the rewritten source does not parse: {error}") from None
        return text

    # ----- helpers -----

    def span(self, node: ast.AST) -> Span:
        return self.source.span(node)

    def text(self, node: ast.AST) -> str:
        """`node`'s source with the rewrites already made inside it."""
        return self.edits.render(self.span(node))

    def primary(self, node: ast.AST) -> str:
        """`node`'s source, parenthesized unless `.attr` or `(...)` may follow it as is."""
        text = self.text(node)
        if isinstance(node, _PRIMARY) and "\n" not in text and "\r" not in text:
            return text
        return f"({text})"

    def resolve_legacy(self, node: ast.AST) -> Optional[Tuple[str, ...]]:
        path = self.names.resolve(node)
        return _names.legacy_parts(path) if path else None

    def statement_of(self, node: ast.AST) -> ast.stmt:
        while not isinstance(node, ast.stmt):
            node = self.parents[node]
        return node

    def replace_call(self, call: ast.Call, text: str, kept: Sequence[ast.AST], operator: bool):
        """Replaces the whole call; `operator` results get parentheses where precedence needs."""
        if operator and self._needs_parentheses(call):
            text = f"({text})"
        self.edits.replace(self.span(call), text, [self.span(node) for node in kept])
        if self.tfp and f"{self.tfp}." in text:
            self.tfp_edits.append(self.span(call))

    def _needs_parentheses(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call):
            return node is parent.func
        return not isinstance(
            parent,
            (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr, ast.keyword,
             ast.List, ast.Tuple, ast.Set, ast.Dict),
        )

    # ----- modernize: exact rewrites -----

    def _rewrite_calls(self) -> None:
        def length(call: ast.Call) -> int:
            start, end = self.span(call)
            return end - start

        # Innermost first, so an outer rewrite renders the already-rewritten arguments.
        for call in sorted((n for n in self.nodes if isinstance(n, ast.Call)), key=length):
            parts = self.resolve_legacy(call.func)
            if parts and len(parts) == 2:
                rewrite = _REWRITES.get(parts)
                if rewrite is not None:
                    rewrite(self, call)

    def _expectation(self, call: ast.Call, dice: bool = False) -> None:
        keywords = {keyword.arg for keyword in call.keywords}
        old, new = keywords & _ONLY_DISTRIBUTION_FORM, keywords & _ONLY_SAMPLE_FORM
        if dice or (new and not old):
            self._expectation_of_samples(call, dice)
        elif old and not new:
            self._expectation_of_distribution(call)
        elif not old and len(call.args) >= 2 and _is_sample_call(call.args[1]):
            self._expectation_of_samples(call, dice)
        # Otherwise the call form cannot be told statically: it is commented instead.

    def _expectation_of_samples(self, call: ast.Call, dice: bool) -> None:
        args = _bind(call, _SAMPLE_FORM)
        if args is None:
            return
        reparameterized = args.get("use_reparametrization")
        # Legacy's score-function surrogate is first order, TFP's is DiCE: only the value and
        # the first derivative agree. TF 1.3's expectation_v2 already used DiCE.
        if not dice and reparameterized is not None and not _is_constant(reparameterized, True):
            return
        if self.tfp is None:
            return
        self.edits.replace(self.span(call.func), f"{self.tfp}.monte_carlo.expectation")
        self.tfp_edits.append(self.span(call.func))
        for keyword in call.keywords:
            if keyword.arg in _TFP_KEYWORDS:
                start = self.span(keyword)[0]
                assert self.source.text.startswith(keyword.arg, start)
                self.edits.replace(
                    (start, start + len(keyword.arg)), _TFP_KEYWORDS[keyword.arg]
                )

    def _expectation_of_distribution(self, call: ast.Call) -> None:
        args = _bind(call, _DISTRIBUTION_FORM)
        if args is None or not _given(args, "f", "p"):
            return
        if _given(args, "z") == _given(args, "n") or self.tfp is None:  # legacy raises for z, n
            return
        if _given(args, "z"):
            samples, kept = self.text(args["z"]), [args["f"], args["z"]]
        else:
            seed = f", seed={self.text(args['seed'])}" if _given(args, "seed") else ""
            samples = f"{self.primary(args['p'])}.sample({self.text(args['n'])}{seed})"
            kept = [args[name] for name in ("f", "p", "n", "seed") if _given(args, name)]
        name = f", name={self.text(args['name'])}" if _given(args, "name") else ""
        self.replace_call(
            call,
            f"{self.tfp}.monte_carlo.expectation({self.text(args['f'])}, {samples}{name})",
            kept + ([args["name"]] if name else []),
            operator=False,
        )

    def _logspace_mean(self, call: ast.Call) -> None:
        args = None if call.keywords else _bind(call, ("log_values",))
        if not args or not _given(args, "log_values") or self.tfp is None:
            return
        values = args["log_values"]
        self.replace_call(
            call,
            f"{self.tfp}.math.reduce_logmeanexp({self.text(values)}, axis=0)",
            [values],
            operator=False,
        )

    def _sample_reduction(self, call: ast.Call, reduction: str) -> None:
        args = None if call.keywords else _bind(call, ("x",))
        if not args or not _given(args, "x") or self.tf is None:
            return
        self.replace_call(
            call, f"{self.tf}.{reduction}({self.text(args['x'])}, axis=0)", [args["x"]],
            operator=False,
        )

    def _importance_sampler_logspace(self, call: ast.Call) -> None:
        args = _bind(call, ("log_f", "log_p", "sampling_dist_q", "z", "n", "seed", "name"))
        # `z` appears three times in the rewrite: only a plain name is certainly the same value.
        if (
            args is None
            or not _given(args, "log_f", "log_p", "sampling_dist_q")
            or not isinstance(args.get("z"), ast.Name)
            or _given(args, "n")
            or self.tfp is None
        ):
            return
        z = self.text(args["z"])
        log_weighted = (
            f"{self.primary(args['log_f'])}({z}) + {self.primary(args['log_p'])}({z}) "
            f"- {self.primary(args['sampling_dist_q'])}.log_prob({z})"
        )
        name = f", name={self.text(args['name'])}" if _given(args, "name") else ""
        self.replace_call(
            call,
            f"{self.tfp}.math.reduce_logmeanexp({log_weighted}, axis=0{name})",
            [args[key] for key in ("log_f", "log_p", "sampling_dist_q", "z", "name")
             if _given(args, key)],
            operator=False,
        )

    def _entropy_shannon(self, call: ast.Call) -> None:
        args = _bind(call, ("p", "z", "n", "seed", "form", "name"))
        # Legacy raises for n with analytic_entropy; without a form it may sample.
        if args is None or not _given(args, "p", "form") or _given(args, "n"):
            return
        if self.resolve_legacy(args["form"]) not in _ANALYTIC_ENTROPY:
            return
        self.replace_call(call, f"{self.primary(args['p'])}.entropy()", [args["p"]], False)

    def _elbo_ratio(self, call: ast.Call) -> None:
        args = _bind(call, ("log_p", "q", "z", "n", "seed", "form", "name"))
        if (
            args is None
            or not _given(args, "log_p", "q", "z", "form")
            or _given(args, "n")
            or self.tf is None
        ):
            return
        form = self.resolve_legacy(args["form"])
        q, z = self.primary(args["q"]), self.text(args["z"])
        if form in _ANALYTIC_ENTROPY:
            entropy = f"{q}.entropy()"
        elif form in _SAMPLE_ENTROPY and isinstance(args["z"], ast.Name):
            entropy = f"-{self.tf}.reduce_mean({q}.log_prob({z}), axis=0)"
        else:
            return
        log_p = f"{self.tf}.reduce_mean({self.primary(args['log_p'])}({z}), axis=0)"
        self.replace_call(
            call, f"{entropy} + {log_p}", [args["log_p"], args["q"], args["z"]], operator=True
        )

    def _renyi_ratio(self, call: ast.Call) -> None:
        args = _bind(call, ("log_p", "q", "alpha", "z", "n", "seed", "name"))
        if (
            args is None
            or not _given(args, "log_p", "q", "alpha")
            or not isinstance(args.get("z"), ast.Name)
            or _given(args, "n")
        ):
            return
        alpha = args["alpha"]
        if not isinstance(alpha, ast.Name) and not (
            isinstance(alpha, ast.Constant) and type(alpha.value) in (int, float)
        ):
            return  # alpha appears twice in the rewrite
        if self.tfp is None:
            return
        z, a = self.text(args["z"]), self.text(alpha)
        log_ratio = (
            f"(1 - {a}) * ({self.primary(args['log_p'])}({z}) "
            f"- {self.primary(args['q'])}.log_prob({z}))"
        )
        self.replace_call(
            call,
            f"{self.tfp}.math.reduce_logmeanexp({log_ratio}, axis=0) / (1 - {a})",
            [args["log_p"], args["q"], alpha, args["z"]],
            operator=True,
        )

    # ----- modernize: imports that the rewrites left unused -----

    def _drop_unused_legacy_imports(self) -> None:
        loads: Dict[str, List[ast.Name]] = {}
        for node in self.nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loads.setdefault(node.id, []).append(node)
        by_statement: Dict[ast.stmt, List[_names.Binding]] = {}
        for binding in self.names.bindings:
            by_statement.setdefault(binding.statement, []).append(binding)
        kept_per_body: Dict[Tuple[ast.AST, str], int] = {}
        for statement, bindings in by_statement.items():
            if isinstance(statement, ast.ImportFrom) and any(
                alias.name == "*" for alias in statement.names
            ):
                continue
            # Only imports that the rewrites left unused: each name had uses, all rewritten.
            unused = all(
                binding.name != "tensorflow"
                and _names.legacy_parts(binding.path) is not None
                and loads.get(binding.name)
                and all(self.edits.removed(self.span(n)) for n in loads[binding.name])
                for binding in bindings
            )
            if not (unused and self.source.starts_line(statement)
                    and self.source.ends_line(statement)):
                continue
            parent = self.parents[statement]
            body = next(
                field for field, value in ast.iter_fields(parent)
                if isinstance(value, list) and statement in value
            )
            key = (parent, body)
            remaining = kept_per_body.setdefault(key, len(getattr(parent, body)))
            if remaining <= 1:
                continue  # a block cannot be left empty
            kept_per_body[key] = remaining - 1
            self.edits.replace(
                (self.source.line_start(statement.lineno),
                 self.source.line_start(statement.end_lineno + 1)),
                "",
            )

    # ----- port: the TensorFlow import and install() -----

    def _is_tf1_code(self) -> bool:
        return self._uses_contrib(self.nodes) or any(
            isinstance(node, ast.Attribute) and self.names.resolve(node) in TF1_ONLY
            for node in self.nodes
        )

    def _is_tf2_aware(self) -> bool:
        """Whether the file already uses `tf.compat`: it was ported (partly) by hand."""
        if any(_names.within(b.path, "tensorflow.compat") for b in self.names.bindings):
            return True
        return any(
            isinstance(node, ast.Attribute) and self.names.resolve(node) == "tensorflow.compat"
            for node in self.nodes
        )

    def _port_tensorflow_imports(self) -> None:
        if self._is_tf2_aware() or not self._is_tf1_code():
            return
        disable = not any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "disable_v2_behavior"
            for node in self.nodes
        )
        module_scope = {b.statement for b in self.names.bindings if b.module_scope}
        # `import tensorflow.x` (no `as`) binds the name `tensorflow` to TensorFlow 2 again.
        rebinds = any(
            alias.name.startswith("tensorflow.") and not alias.asname
            for node in self.nodes if isinstance(node, ast.Import) for alias in node.names
        )
        for statement in self.nodes:
            if not isinstance(statement, ast.Import):
                continue
            tf_names = [a.asname or a.name for a in statement.names if a.name == "tensorflow"]
            if not tf_names:
                continue
            self.edits.replace(
                self.span(statement),
                "import " + ", ".join(map(_ported_alias, statement.names)),
            )
            if tf_names[0] == "tensorflow" and rebinds:
                self.notes.append(Note(statement.lineno, (
                    "`import tensorflow` became `import tensorflow.compat.v1 as tensorflow`, "
                    "but an `import tensorflow.<module>` rebinds the name `tensorflow` to "
                    "TensorFlow 2; give that import an `as` name"
                )))
            if disable and statement in module_scope:
                self._insert_after(statement, [f"{tf_names[0]}.disable_v2_behavior()"])
                disable = False

    def _needs_install(self) -> bool:
        for node in self.nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                paths = _import_paths(node)
            elif isinstance(node, (ast.Attribute, ast.Name)):
                path = self.names.resolve(node)
                paths = [path] if path else []
            else:
                continue
            if any(
                _names.within(_names.without_compat(path), installed)
                for path in paths for installed in _names.INSTALLED_PATHS
            ) and not self.edits.removed(self.span(node)):
                return True
        return False

    def _has_install_call(self) -> bool:
        return any(
            isinstance(node, ast.Call)
            and self.names.resolve(node.func)
            in ("tf_contrib_bayesflow.install", "tf_contrib_bayesflow._internal.alias.install")
            for node in self.nodes
        )

    def _add_imports(self) -> None:
        lines = []
        if self._needs_install() and not self._has_install_call():
            lines += INSTALL_LINES
        if not self.tfp_imported and any(map(self.edits.survives, self.tfp_edits)):
            lines.append(f"import tensorflow_probability as {self.tfp}")
        if not lines:
            return
        where, statement = self._anchor()
        if where == "after":
            self._insert_after(statement, lines)
        elif where == "before":
            self._insert_before(statement, lines)
        else:
            text = self.source.text
            lead = "" if not text or text.endswith(("\n", "\r")) else self.source.newline
            self.edits.insert(len(text), lead + "".join(l + self.source.newline for l in lines))

    def _anchor(self) -> Tuple[str, Optional[ast.stmt]]:
        """Where module-level imports go: after the TensorFlow import, or before the first
        statement that uses `tensorflow.contrib` if that comes first, or else after the
        docstring and `__future__` imports."""
        for statement in self.tree.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                paths = [_names.without_compat(p) for p in _import_paths(statement)]
                if any(_names.within(p, "tensorflow") for p in paths) and not any(
                    _names.within(p, _names.CONTRIB) for p in paths
                ):
                    return "after", statement
            if self._uses_contrib(ast.walk(statement)):
                return "before", statement
        for index, statement in enumerate(self.tree.body):
            docstring = (
                index == 0
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            )
            future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
            if not docstring and not future:
                return "before", statement
        return "end", None

    def _uses_contrib(self, nodes: Iterable[ast.AST]) -> bool:
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                paths = _import_paths(node)
            elif isinstance(node, (ast.Attribute, ast.Name)):
                paths = [self.names.resolve(node) or ""]
            else:
                continue
            if any(_names.within(_names.without_compat(p), _names.CONTRIB) for p in paths):
                return True
        return False

    def _insert_after(self, statement: ast.stmt, lines: Sequence[str]) -> None:
        if self.source.starts_line(statement) and self.source.ends_line(statement):
            indent = self.source.indent(statement.lineno)
            self.edits.insert(
                self.source.line_end(statement.end_lineno),
                "".join(self.source.newline + indent + line for line in lines),
            )
        else:
            self.edits.insert(self.span(statement)[1], "".join("; " + line for line in lines))

    def _insert_before(self, statement: ast.stmt, lines: Sequence[str]) -> None:
        lineno = min([statement.lineno] + [d.lineno for d in
                                           getattr(statement, "decorator_list", ())])
        indent = self.source.indent(lineno)
        self.edits.insert(
            self.source.line_start(lineno),
            "".join(indent + line + self.source.newline for line in lines),
        )

    # ----- modernize: comments where no exact equivalent exists -----

    def _comment_calls_without_equivalent(self) -> None:
        modules: Dict[ast.stmt, Set[str]] = {}
        for node in self.nodes:
            if not isinstance(node, (ast.Name, ast.Attribute)):
                continue
            parent = self.parents.get(node)
            if isinstance(parent, ast.Attribute) and parent.value is node:
                continue  # only whole chains
            parts = self.resolve_legacy(node)
            if not parts or len(parts) < 2 or parts[0] not in LEGACY_SYMBOLS:
                continue
            if self.edits.removed(self.span(node)):
                continue
            modules.setdefault(self.statement_of(node), set()).add(parts[0])
        for statement, names in modules.items():
            lineno = min([statement.lineno] + [d.lineno for d in
                                               getattr(statement, "decorator_list", ())])
            present = self.source.comments_above(lineno)
            comments = [NO_EQUIVALENT + guide_link(module) for module in sorted(names)]
            missing = [comment for comment in comments if comment not in present]
            if missing:
                self._insert_before(statement, missing)

    # ----- notes -----

    def _note_unprovided_modules(self) -> None:
        seen: Set[str] = set()
        for node in self.nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                paths = _import_paths(node)
            elif isinstance(node, ast.Attribute):
                path = self.names.resolve(node)
                paths = [path] if path else []
            else:
                continue
            for path in paths:
                path = _names.without_compat(path)
                parts = path.split(".")
                if not _names.within(path, _names.CONTRIB) or len(parts) < 3:
                    continue
                if parts[2] not in ("bayesflow", "distributions"):
                    module, message = f"tf.contrib.{parts[2]}", (
                        "is not provided by tf_contrib_bayesflow or TensorFlow 2; port it "
                        "separately"
                    )
                else:
                    legacy = _names.legacy_parts(path)
                    if not legacy or legacy[0] not in MOVED_TO_TFP:
                        continue
                    module = f"tf.contrib.bayesflow.{legacy[0]}"
                    message = (
                        "is not provided by tf_contrib_bayesflow; it moved to "
                        f"{MOVED_TO_TFP[legacy[0]]}"
                    )
                if module not in seen:
                    seen.add(module)
                    self.notes.append(Note(node.lineno, f"{module} {message}"))
        self.notes.sort()


def _ported_alias(alias: ast.alias) -> str:
    if alias.name == "tensorflow":
        return f"tensorflow.compat.v1 as {alias.asname or 'tensorflow'}"
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _import_paths(statement: ast.stmt) -> List[str]:
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names]
    if statement.level or not statement.module:
        return []
    return [
        statement.module if alias.name == "*" else f"{statement.module}.{alias.name}"
        for alias in statement.names
    ]


_REWRITES: Dict[Tuple[str, str], Callable[[_Migration, ast.Call], None]] = {
    ("monte_carlo", "expectation"): _Migration._expectation,
    ("monte_carlo", "expectation_v2"): lambda self, call: self._expectation(call, dice=True),
    ("monte_carlo", "_logspace_mean"): _Migration._logspace_mean,
    ("monte_carlo", "_sample_mean"): lambda self, call: self._sample_reduction(
        call, "reduce_mean"),
    ("monte_carlo", "_sample_max"): lambda self, call: self._sample_reduction(call, "reduce_max"),
    ("monte_carlo", "expectation_importance_sampler_logspace"):
        _Migration._importance_sampler_logspace,
    ("entropy", "entropy_shannon"): _Migration._entropy_shannon,
    ("entropy", "elbo_ratio"): _Migration._elbo_ratio,
    ("entropy", "renyi_ratio"): _Migration._renyi_ratio,
}
