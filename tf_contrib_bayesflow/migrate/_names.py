"""Static name resolution: which dotted path each name and attribute chain in a module denotes.

Only imports (and single assignments of an imported path, like `bf = tf.contrib.bayesflow`)
are followed; nothing is imported or executed. Resolution is flow-insensitive: a name bound by
several imports to different modules resolves to nothing.
"""
import ast
from typing import Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

# Public (and importable private) symbols of the legacy modules this package provides.
LEGACY_SYMBOLS: Dict[str, Set[str]] = {
    "entropy": {"elbo_ratio", "entropy_shannon", "renyi_ratio", "renyi_alpha", "ELBOForms"},
    "monte_carlo": {
        "expectation", "expectation_v2", "expectation_importance_sampler",
        "expectation_importance_sampler_logspace", "_get_samples", "_logspace_mean",
        "_sample_mean", "_sample_max",
    },
    "stochastic_tensor": {
        "BaseStochasticTensor", "StochasticTensor", "ObservedStochasticTensor", "MeanValue",
        "SampleValue", "value_type", "get_current_value_type", "NoValueTypeSetError",
        "STOCHASTIC_TENSOR_COLLECTION",
    },
    "stochastic_graph": {
        "surrogate_loss", "_stochastic_dependencies_map", "_upstream_stochastic_nodes",
        "_add_n_or_sum",
    },
    "stochastic_gradient_estimators": {
        "score_function", "get_score_function_with_advantage",
        "get_score_function_with_constant_baseline", "get_score_function_with_baseline",
        "get_mean_baseline", "get_vimco_advantage_fn",
    },
    "stochastic_variables": {"get_stochastic_variable", "make_stochastic_variable_getter"},
    "variational_inference": {
        "elbo", "elbo_with_log_joint", "ELBOForms", "register_prior", "VI_PRIORS",
        "_find_variational_and_priors",
    },
}

# Later `tf.contrib.bayesflow` modules that moved to TFP and that this package does not provide.
MOVED_TO_TFP: Dict[str, str] = {
    "csiszar_divergence": "tfp.vi",
    "custom_grad": "tfp.math.custom_gradient",
    "halton_sequence": "tfp.mcmc.sample_halton_sequence",
    "hmc": "tfp.mcmc",
    "layers": "tfp.layers",
    "mcmc_diagnostics": "tfp.mcmc",
    "metropolis_hastings": "tfp.mcmc",
    "optimizers": "tfp.optimizer",
    "special_math": "tfp.math (ndtr, ndtri, log_ndtr)",
}

CONTRIB = "tensorflow.contrib"
BAYESFLOW = "tensorflow.contrib.bayesflow"
# Paths that `tf_contrib_bayesflow.install()` makes importable.
INSTALLED_PATHS = (BAYESFLOW, "tensorflow.contrib.distributions")
_LEGACY_PREFIXES = ("tensorflow.contrib.bayesflow.python.ops", BAYESFLOW, "tf_contrib_bayesflow")
_COMPAT_V1 = "tensorflow.compat.v1"


def within(path: str, prefix: str) -> bool:
    """Whether dotted `path` is `prefix` or lies below it."""
    return path == prefix or path.startswith(prefix + ".")


def without_compat(path: str) -> str:
    """`tensorflow.compat.v1.X` denotes what `tensorflow.X` did in TF1."""
    if within(path, _COMPAT_V1):
        return "tensorflow" + path[len(_COMPAT_V1):]
    return path


def legacy_parts(path: str) -> Optional[Tuple[str, ...]]:
    """(module, symbol, ...) of a legacy bayesflow path, or None.

    `tensorflow.contrib.bayesflow.monte_carlo.expectation`, its `python.ops.monte_carlo_impl`
    spelling and this package's `tf_contrib_bayesflow.monte_carlo.expectation` all give
    `("monte_carlo", "expectation")`; the package itself gives `()`.
    """
    path = without_compat(path)
    for prefix in _LEGACY_PREFIXES:
        if within(path, prefix):
            rest = path[len(prefix) + 1:].split(".") if path != prefix else []
            if rest and rest[0].endswith("_impl"):
                rest[0] = rest[0][: -len("_impl")]
            if prefix == "tf_contrib_bayesflow" and (not rest or rest[0] not in LEGACY_SYMBOLS):
                return None
            return tuple(rest)
    return None


def _identity(path: str) -> object:
    """What `path` denotes, so that different spellings of one legacy module compare equal."""
    parts = legacy_parts(path)
    return parts if parts is not None else without_compat(path)


class Binding(NamedTuple):
    name: str
    path: str
    statement: ast.stmt
    module_scope: bool  # bound outside any function or class body


def _scoped_nodes(tree: ast.Module) -> Iterator[Tuple[ast.AST, bool]]:
    """Every node with whether it sits outside function and class bodies."""
    pending: List[Tuple[ast.AST, bool]] = [(tree, True)]
    while pending:
        node, module_scope = pending.pop()
        yield node, module_scope
        inner = module_scope and not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
        )
        pending.extend((child, inner) for child in ast.iter_child_nodes(node))


def chain_root(node: ast.AST) -> Tuple[Optional[str], List[str]]:
    """`a.b.c` -> ('a', ['b', 'c']); (None, []) for anything but a Name with attributes."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, attributes[::-1]
    return None, []


class Names:
    """The import bindings of one module, and resolution of names and attribute chains."""

    def __init__(self, tree: ast.Module):
        self.bindings: List[Binding] = []
        self.star_imports: List[str] = []
        store_counts: Dict[str, int] = {}
        assignments: List[ast.Assign] = []
        self.other_bound: Set[str] = set()
        defined: Set[str] = set()
        for node, module_scope in _scoped_nodes(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    path = alias.name if alias.asname else name
                    self.bindings.append(Binding(name, path, node, module_scope))
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_imports.append(node.module)
                    else:
                        path = f"{node.module}.{alias.name}"
                        self.bindings.append(
                            Binding(alias.asname or alias.name, path, node, module_scope)
                        )
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                store_counts[node.id] = store_counts.get(node.id, 0) + 1
            elif isinstance(node, ast.arg):
                self.other_bound.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.other_bound.add(node.name)
                defined.add(node.name)
            if isinstance(node, ast.Assign):
                assignments.append(node)
        self.other_bound.update(store_counts)
        self._table: Dict[str, Optional[str]] = {}
        for binding in self.bindings:
            self._bind(binding.name, binding.path)
        for name in defined.intersection(self._table):
            self._table[name] = None  # a def or class of the same name: ambiguous
        # `bf = tf.contrib.bayesflow`: follow names assigned exactly once from a resolvable path.
        for _ in range(2):
            for node in assignments:
                target = node.targets[0]
                if (
                    len(node.targets) == 1
                    and isinstance(target, ast.Name)
                    and store_counts.get(target.id) == 1
                    and target.id not in self._table
                ):
                    path = self.resolve(node.value)
                    if path and (within(path, "tensorflow") or legacy_parts(path) is not None):
                        self._bind(target.id, path)

    def _bind(self, name: str, path: str) -> None:
        if name in self._table and self._table[name] is not None:
            if _identity(self._table[name]) != _identity(path):
                self._table[name] = None  # bound to different things: ambiguous
            return
        self._table.setdefault(name, path)

    def resolve(self, node: ast.AST) -> Optional[str]:
        """The dotted path `node` (a Name or attribute chain) denotes, if imports tell."""
        root, attributes = chain_root(node)
        if root is None:
            return None
        if root in self._table:
            base = self._table[root]
        else:
            base = self._from_star(root)
        if base is None:
            return None
        return ".".join([base, *attributes])

    def _from_star(self, name: str) -> Optional[str]:
        if name in self.other_bound:
            return None
        for module in self.star_imports:
            parts = legacy_parts(module)
            if parts and len(parts) == 1 and name in LEGACY_SYMBOLS.get(parts[0], ()):
                return f"{module}.{name}"
        return None

    def is_bound(self, name: str) -> bool:
        return name in self._table or name in self.other_bound

    def module_alias(self, path: str) -> Optional[str]:
        """A name bound at module scope to `path` (compat.v1 counts as TensorFlow)."""
        for binding in self.bindings:
            if (
                binding.module_scope
                and without_compat(binding.path) == path
                and self._table.get(binding.name) is not None
            ):
                return binding.name
        return None

    def binds_only(self, name: str, path: str) -> bool:
        """Whether `name` is bound by imports of `path` and nothing else."""
        return self._table.get(name) == path and name not in self.other_bound
