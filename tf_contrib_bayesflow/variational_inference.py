"""Evidence lower bounds: the legacy `tf.contrib.bayesflow.variational_inference` module.

Legacy VI code wraps each variational distribution `q` in a `StochasticTensor`, registers a prior
for it (`register_prior`), builds the log likelihood from the stochastic tensors' values, and asks
`elbo(log_likelihood)` for the bound. `elbo` finds the stochastic tensors upstream of the log
likelihood and, per variable, uses the closed-form `KL(q || p)` when one is registered, else the
closed-form entropy `H[q]` plus the prior term at the existing sample, else `-log q(z) + log p(z)`
at the existing sample. No new sample is ever drawn.

Finding the stochastic tensors upstream of the log likelihood needs a graph: in `tf.compat.v1`
graph mode and inside `tf.function` the graph is walked backwards (the linear-time walk shared
with `stochastic_graph.surrogate_loss`). Eager tensors have no graph; in eager mode, exactly as
`surrogate_loss`, `elbo` and `elbo_with_log_joint`

* accept a zero-argument callable that builds and returns the log likelihood (or log joint): it
  is traced into a fresh graph on each call (`tf.compat.v1.wrap_function`), walked there and run
  once, so the result is exactly that of graph mode;
* accept the explicit `variational_with_prior` dict (`variational` list);
* otherwise raise `RuntimeError` naming both ways out.

Priors are registered like stochastic tensors (see `_internal/registry.py`): in graph mode into
the `VI_PRIORS` collection of the default graph, inside `tf.function` into the traced graph, in
eager mode into a weak registry that forgets a prior together with its stochastic tensor.

See migration_guide/variational_inference.md for the TFP counterparts (`tfp.vi`, which returns
the negative ELBO as a loss).
"""
import collections.abc
import functools
import operator
import weakref
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow import stochastic_graph
from tf_contrib_bayesflow import stochastic_tensor as st_lib
from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions
from tf_contrib_bayesflow._internal import graph_walk
from tf_contrib_bayesflow._internal import registry
from tf_contrib_bayesflow._internal import tracing
from tf_contrib_bayesflow._internal.elbo_forms import ELBOForms

__all__ = [
    "ELBOForms",
    "elbo",
    "elbo_with_log_joint",
    "register_prior",
]

VI_PRIORS = "__vi_priors__"

_EAGER_HELP = (
    "{function} cannot find the StochasticTensors upstream of an eager tensor: eager tensors "
    "record no graph to walk. Either\n"
    "  1. pass {argument}= explicitly{example}; or\n"
    "  2. pass a zero-argument callable that builds and returns the {what}, "
    "{function}(lambda: ...): it is traced into a graph, so the stochastic tensors and their "
    "registered priors are found exactly as in graph mode.\n"
    "Running the whole training step inside tf.function also works."
)


# ---------------------------------------------------------------------------- priors registry


class _GraphPrior(tuple):
    """A `(variational, prior)` pair in a graph's `VI_PRIORS` collection (a plain 2-tuple to
    legacy code reading the collection), remembering the graph it was registered in."""

    def __new__(cls, variational: Any, prior: Any, graph: tf.Graph) -> "_GraphPrior":
        pair = super().__new__(cls, (variational, prior))
        pair.registered_graph = graph
        return pair


class _EagerPrior:
    """An eagerly registered prior. It holds its stochastic tensor (the registry owner) weakly,
    so that the pair creates no reference cycle and dies with the tensor."""

    __slots__ = ("_variational", "prior", "__weakref__")

    def __init__(self, variational: Any, prior: Any):
        self._variational = weakref.ref(variational)
        self.prior = prior

    @property
    def variational(self) -> Any:
        return self._variational()


def _registered_graph(entry: Any) -> Optional[tf.Graph]:
    return getattr(entry, "registered_graph", None)


def _registered_priors() -> graph_walk.IdentityDict:
    """`{stochastic tensor: prior}` visible from the current context; the last registration wins."""
    priors = graph_walk.IdentityDict()
    for entry in registry.entries(VI_PRIORS, graph_of=_registered_graph):
        if isinstance(entry, _EagerPrior):
            variational, prior = entry.variational, entry.prior
            if variational is None:
                continue
        else:
            variational, prior = entry
        priors[variational] = prior
    return priors


def _register_prior(variational: Any, prior: Any) -> None:
    """`register_prior` without the deprecation warning (also used by `stochastic_variables`)."""
    if not isinstance(variational, st_lib.StochasticTensor):
        raise TypeError(
            "variational must be a StochasticTensor, got "
            f"{type(variational).__name__}: {variational!r}"
        )
    if not distributions.is_distribution(prior):
        raise TypeError(
            "prior must be a Distribution (tfp.distributions or tf.compat.v1.distributions), got "
            f"{type(prior).__name__}: {prior!r}"
        )
    if tf.executing_eagerly():
        # Departure (eager only): no graph collection, a weak registry owned by `variational`.
        registry.register(VI_PRIORS, _EagerPrior(variational, prior), owner=variational)
    else:
        graph = tf.compat.v1.get_default_graph()
        registry.register(VI_PRIORS, _GraphPrior(variational, prior, graph))


@deprecation.legacy("variational_inference.register_prior", None)
def register_prior(variational: Any, prior: Any) -> None:
    """Registers `prior` as the prior of the stochastic tensor `variational`, for `elbo`.

    Registering again for the same stochastic tensor replaces the earlier prior (the last
    registration wins). In graph mode the pair goes into the default graph's `VI_PRIORS`
    collection, as legacy; inside `tf.function` into the traced graph's; in eager mode into a
    weak registry that forgets it together with `variational`.

    Args:
      variational: a `StochasticTensor` (an `ObservedStochasticTensor` qualifies).
      prior: a distribution (TFP or `tf.compat.v1.distributions`).

    Raises:
      TypeError: `variational` is not a `StochasticTensor`, or `prior` not a distribution.
    """
    _register_prior(variational, prior)


# ---------------------------------------------------------------------------- discovery


def _check_variational_with_prior(variational_with_prior: Any) -> None:
    if not isinstance(variational_with_prior, collections.abc.Mapping):
        raise TypeError(
            "variational_with_prior must be None or a dict {StochasticTensor: Distribution}, "
            f"got {type(variational_with_prior).__name__}: {variational_with_prior!r}"
        )
    for variational, prior in variational_with_prior.items():
        if not isinstance(variational, st_lib.StochasticTensor):
            raise TypeError(
                "variationals must be StochasticTensors, got "
                f"{type(variational).__name__}: {variational!r}"
            )
        if prior is not None and not distributions.is_distribution(prior):
            raise TypeError(
                "priors must be Distribution objects, got "
                f"{type(prior).__name__}: {prior!r} (for {variational!r})"
            )


def _discover(model: Any, require_prior: bool) -> dict:
    if not graph_walk.is_graph_tensor(model):
        raise RuntimeError(
            "Cannot find the StochasticTensors upstream of the eager tensor "
            f"{model!r}: eager execution records no graph to walk. Pass "
            "variational_with_prior= (elbo) or variational= (elbo_with_log_joint) explicitly, "
            "or a zero-argument callable building the tensor."
        )
    # Departure: construction order (legacy: set order, so an unspecified summation order).
    upstream = stochastic_graph._upstream_stochastic_nodes([model])[model]
    if not upstream:
        # Departure: legacy built this message (and the next) as an uninterpolated tuple.
        raise ValueError(f"No upstream stochastic nodes found for tensor: {model}")
    priors = _registered_priors()
    found = {}
    for variational in upstream:
        prior = priors.get(variational)
        if prior is None and require_prior:
            raise ValueError(
                f"No prior specified for StochasticTensor: {variational!r}. Register one with "
                "register_prior(variational, prior) or pass variational_with_prior= explicitly "
                "(an ObservedStochasticTensor upstream of the log likelihood counts too, as in "
                "legacy)."
            )
        found[variational] = prior
    return found


def _find_variational_and_priors(
    model: Any, variational_with_prior: Optional[Mapping[Any, Any]], require_prior: bool = True
) -> dict:
    """`{stochastic tensor: prior or None}`, given explicitly or found upstream of `model`.

    With `variational_with_prior` None, the registered stochastic tensors upstream of `model`
    (legacy quirk kept: `ObservedStochasticTensor`s too) are paired with their registered priors,
    in construction order. An explicit mapping is only type-checked: no upstream check and no
    prior-presence check.

    Args:
      model: the tensor to walk back from (graph or `tf.function` tensor when discovering).
      variational_with_prior: None, or a mapping `{StochasticTensor: Distribution or None}`.
      require_prior: when discovering, whether every variational needs a registered prior.

    Returns:
      A new dict.

    Raises:
      ValueError: nothing upstream of `model`; a prior is missing and `require_prior`.
      TypeError: a key is not a `StochasticTensor`, a value neither None nor a distribution,
        or `variational_with_prior` is not a mapping.
      RuntimeError: discovery was needed but `model` is an eager tensor.
    """
    if variational_with_prior is None:
        variational_with_prior = _discover(model, require_prior)
    _check_variational_with_prior(variational_with_prior)
    return dict(variational_with_prior.items())


# ---------------------------------------------------------------------------- the bound


def _kl_divergence(q: Any, p: Any) -> tf.Tensor:
    """The registered analytic `KL(q || p)`; `NotImplementedError` when there is none."""
    v1 = tf.compat.v1.distributions.Distribution
    if isinstance(q, v1) and isinstance(p, v1):
        return tf.compat.v1.distributions.kl_divergence(q, p)
    return tfp.distributions.kl_divergence(q, p)


def _elbo(
    form: Any, log_likelihood: Any, log_joint: Any, variational_with_prior: dict,
    keep_batch_dim: bool,
) -> tf.Tensor:
    """`first + KL terms + entropy terms + prior terms`, per variable KL -> entropy -> sample."""
    ELBOForms.check_form(form)
    first, first_name = (
        (log_likelihood, "log_likelihood") if log_joint is None else (log_joint, "log_joint")
    )
    _check_terms(first, first_name, variational_with_prior, needs_priors=log_joint is None)

    def reduce(value):
        return value if keep_batch_dim else tf.reduce_sum(value)

    kl_terms, entropy_terms, prior_terms = [], [], []
    for variational, prior in variational_with_prior.items():
        q = variational.distribution
        # Legacy: the stochastic tensor's one existing value; no new draw, no averaging.
        z = variational.value()
        if log_joint is None and form in (ELBOForms.default, ELBOForms.analytic_kl):
            try:
                kl = _kl_divergence(q, prior)
            except NotImplementedError:
                if form is ELBOForms.analytic_kl:
                    raise
            else:
                kl_terms.append(-reduce(kl))
                continue
        if form in (ELBOForms.default, ELBOForms.analytic_entropy):
            try:
                entropy = q.entropy()
            except NotImplementedError:
                if form is ELBOForms.analytic_entropy:
                    raise
            else:
                entropy_terms.append(reduce(entropy))
                if log_likelihood is not None:
                    # Legacy: with an analytic entropy the prior term is still the sampled one.
                    prior_terms.append(reduce(prior.log_prob(z)))
                continue
        if form in (ELBOForms.default, ELBOForms.sample):
            entropy_terms.append(reduce(-q.log_prob(z)))
            if log_likelihood is not None:
                prior_terms.append(reduce(prior.log_prob(z)))
    terms = [first] + kl_terms + entropy_terms + prior_terms
    checks.check_broadcastable(terms, f"{first_name} and the KL, entropy and prior terms")
    # Legacy: summed left to right in this order (fixes the floating-point rounding), by Python's
    # sum from 0. Starting at `first` instead gives the same bits (0 + x is x, but for the sign of
    # a zero) without an extra op and, in eager mode, a copy of an n-sized first term.
    return functools.reduce(operator.add, terms)


def _check_terms(
    first: tf.Tensor, first_name: str, variational_with_prior: dict, needs_priors: bool
) -> None:
    """Before any op: priors where needed, and floating dtypes that can be summed."""
    for variational, prior in variational_with_prior.items():
        if prior is None and needs_priors:
            # Departure: legacy failed later with an AttributeError (or NotImplementedError
            # for analytic_kl) from using None as a distribution.
            raise ValueError(
                f"No prior specified for StochasticTensor: {variational!r} "
                "(variational_with_prior maps it to None)"
            )
        dtype = checks.floating_dtype(variational.distribution)
        if dtype is None:
            continue
        # The stochastic tensor's name, not its repr: an eager repr formats the whole sample.
        checks.check_same_dtype(
            first, dtype, first_name, f"the distribution of stochastic tensor {variational.name!r}"
        )
        prior_dtype = checks.floating_dtype(prior)
        if prior_dtype is not None and prior_dtype != dtype:
            raise TypeError(
                f"prior must have the dtype of its variational distribution, {dtype.name}, got "
                f"{prior_dtype.name}: {prior!r} for {variational!r}"
            )


def _model_tensor(value: Any, arg_name: str) -> tf.Tensor:
    """`value` (the log likelihood or log joint) as a floating-point tensor named `arg_name`."""
    if value is None:  # Departure: legacy let TF raise ValueError("None values not supported")
        raise TypeError(f"{arg_name} must be a Tensor (or a zero-argument callable), got None")
    checks.check_floating(value, arg_name)
    value = tf.convert_to_tensor(value, name=arg_name)
    checks.check_floating(value, arg_name)  # e.g. a list of integer tensors, packed
    return value


def _is_builder(value: Any) -> bool:
    return callable(value) and not isinstance(
        value, (tf.Tensor, tf.Variable, st_lib.BaseStochasticTensor)
    )


def _eager_help(function: str, argument: str, example: str, what: str) -> str:
    return _EAGER_HELP.format(function=function, argument=argument, example=example, what=what)


@tf.autograph.experimental.do_not_convert
def _elbo_of(
    log_likelihood: Any, variational_with_prior: Any, keep_batch_dim: bool, form: Any,
    name: Optional[str],
) -> tf.Tensor:
    with tf.name_scope(name or "ELBO"):
        model = _model_tensor(log_likelihood, "log_likelihood")
        if variational_with_prior is None and not graph_walk.is_graph_tensor(model):
            # Departure (eager only): there is no graph to walk; see the module docstring.
            raise RuntimeError(
                _eager_help(
                    "elbo", "variational_with_prior", " ({q_st: prior, ...})", "log likelihood"
                )
            )
        found = _find_variational_and_priors(model, variational_with_prior, require_prior=True)
        return _elbo(form, model, None, found, keep_batch_dim)


@deprecation.legacy(
    "variational_inference.elbo",
    "log_likelihood - tfd.kl_divergence(q, p) (analytic KL), or "
    "-tfp.vi.monte_carlo_variational_loss(target_log_prob_fn, surrogate_posterior) "
    "(a loss: the negative ELBO)",
)
def elbo(
    log_likelihood: Union[tf.Tensor, Callable[[], tf.Tensor]],
    variational_with_prior: Optional[Mapping[Any, Any]] = None,
    keep_batch_dim: bool = True,
    form: Any = None,
    name: str = "ELBO",
) -> tf.Tensor:
    """The evidence lower bound at the stochastic tensors' current values.

    ```none
    ELBO = log p(x | z) - sum_q KL(q || p_q)                         (analytic_kl)
         = log p(x | z) + sum_q (H[q] + log p_q(z_q))                (analytic_entropy)
         = log p(x | z) + sum_q (log p_q(z_q) - log q(z_q))          (sample)
    ```

    `z_q` is the existing value of each variational stochastic tensor (no new draw). With the
    `default` form (or None) each variable uses the first of KL, entropy and sample that its
    distributions support. The result is `log_likelihood + KL terms + entropy terms + prior
    terms`, summed in that order. Gradients: analytic terms through the distributions'
    parameters; sampled terms pathwise through reparameterized values only (combine with
    `stochastic_graph.surrogate_loss` for the others).

    Modes: with `variational_with_prior` None, the stochastic tensors upstream of the log
    likelihood and their registered priors are found by walking the graph (graph mode and
    `tf.function`). Eager tensors have no graph: pass `variational_with_prior`, or a
    zero-argument callable building the log likelihood (traced on each call into a fresh graph
    with `tf.compat.v1.wrap_function`, as TF1 graph code, and run once; it must not create
    variables, which would not outlive the trace); otherwise this raises `RuntimeError`.

    Args:
      log_likelihood: `log p(x | z)` evaluated at the stochastic tensors' values, or a
        zero-argument callable building it.
      variational_with_prior: None, or a dict `{StochasticTensor: prior distribution}`.
      keep_batch_dim: if False, every KL, entropy and prior term is summed over all its
        dimensions to a scalar (the log likelihood is used as given). Default True.
      form: an `ELBOForms` constant; None means `default`.
      name: name scope. Default 'ELBO'.

    Returns:
      The ELBO: the broadcast of `log_likelihood` with all terms.

    Raises:
      ValueError: no stochastic tensor upstream of `log_likelihood`, or one without a prior;
        `log_likelihood` whose static shape does not broadcast with the ELBO terms.
      TypeError: `form` is not an `ELBOForms` constant (checked after discovery, as legacy);
        a key of `variational_with_prior` is not a `StochasticTensor`, or a value not a
        distribution; `log_likelihood` None, not floating, or of another dtype than a
        variational distribution; a prior of another dtype than its variational; a
        `keep_batch_dim` that is not a Python bool.
      NotImplementedError: `analytic_kl` without a registered KL, or `analytic_entropy` without
        an analytic entropy.
      RuntimeError: an eager log likelihood with neither `variational_with_prior` nor a
        callable.
    """
    form = ELBOForms.default if form is None else form
    checks.check_python_bool(keep_batch_dim, "keep_batch_dim")
    if _is_builder(log_likelihood):
        return tracing.compute_in_graph(
            log_likelihood,
            lambda built: _elbo_of(built, variational_with_prior, keep_batch_dim, form, name),
        )
    return _elbo_of(log_likelihood, variational_with_prior, keep_batch_dim, form, name)


@tf.autograph.experimental.do_not_convert
def _elbo_with_log_joint_of(
    log_joint: Any, variational: Any, keep_batch_dim: bool, form: Any, name: Optional[str]
) -> tf.Tensor:
    with tf.name_scope(name or "ELBO"):
        model = _model_tensor(log_joint, "log_joint")
        if variational is None and not graph_walk.is_graph_tensor(model):
            raise RuntimeError(
                _eager_help("elbo_with_log_joint", "variational", " ([q_st, ...])", "log joint")
            )
        found = _find_variational_and_priors(model, variational, require_prior=False)
        return _elbo(form, None, model, found, keep_batch_dim)


def _variational_dict(variational: Any) -> Optional[graph_walk.IdentityDict]:
    if variational is None:
        return None
    if isinstance(variational, (st_lib.BaseStochasticTensor, tf.Tensor)) or not isinstance(
        variational, collections.abc.Iterable
    ):
        raise TypeError(
            "variational must be None or a list of StochasticTensors, got "
            f"{type(variational).__name__}: {variational!r}"
        )
    # Identity-keyed, so that a stray tensor reaches the clear "must be StochasticTensors" check.
    return graph_walk.IdentityDict((q, None) for q in variational)


@deprecation.legacy(
    "variational_inference.elbo_with_log_joint",
    "-tfp.vi.monte_carlo_variational_loss(target_log_prob_fn=log_joint_fn, "
    "surrogate_posterior=q) (a loss: the negative ELBO)",
)
def elbo_with_log_joint(
    log_joint: Union[tf.Tensor, Callable[[], tf.Tensor]],
    variational: Optional[Sequence[Any]] = None,
    keep_batch_dim: bool = True,
    form: Any = None,
    name: str = "ELBO",
) -> tf.Tensor:
    """The evidence lower bound from the log joint at the stochastic tensors' current values.

    ```none
    ELBO = log p(x, z) + sum_q H[q]                  (analytic_entropy)
         = log p(x, z) - sum_q log q(z_q)            (sample)
    ```

    As `elbo`, without priors or KL: `analytic_kl` is refused, `default` uses the analytic
    entropy where available, else the sampled term, per variable. Modes as in `elbo`.

    Args:
      log_joint: `log p(x, z)` at the stochastic tensors' values, or a zero-argument callable
        building it.
      variational: None (find them upstream of `log_joint`), or a list of `StochasticTensor`s.
      keep_batch_dim: if False, every entropy term is summed to a scalar. Default True.
      form: an `ELBOForms` constant other than `analytic_kl`; None means `default`.
      name: name scope. Default 'ELBO'.

    Returns:
      The ELBO: the broadcast of `log_joint` with all terms.

    Raises:
      ValueError: `form` is `analytic_kl`; no stochastic tensor upstream of `log_joint`.
      TypeError: `form` is not an `ELBOForms` constant; `variational` holds something else
        than stochastic tensors; `log_joint` None, not floating, or of another dtype than a
        variational distribution; a `keep_batch_dim` that is not a Python bool.
      NotImplementedError: `analytic_entropy` without an analytic entropy.
      RuntimeError: an eager log joint with neither `variational` nor a callable.
    """
    form = ELBOForms.default if form is None else form
    checks.check_python_bool(keep_batch_dim, "keep_batch_dim")
    if form is ELBOForms.analytic_kl:
        raise ValueError(
            "ELBOForms.analytic_kl is not available when using elbo_with_log_joint: there is "
            "no prior to take the KL divergence to. Use elbo() with registered priors."
        )
    variational = _variational_dict(variational)
    if _is_builder(log_joint):
        return tracing.compute_in_graph(
            log_joint,
            lambda built: _elbo_with_log_joint_of(built, variational, keep_batch_dim, form, name),
        )
    return _elbo_with_log_joint_of(log_joint, variational, keep_batch_dim, form, name)
