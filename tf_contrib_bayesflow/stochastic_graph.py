"""Surrogate losses for stochastic computation graphs: the legacy `tf.contrib.bayesflow.stochastic_graph`.

`surrogate_loss(sample_losses)` returns a tensor whose gradient is the pathwise gradient of the
losses plus, for every `StochasticTensor` upstream of them that needs one, its score-function term
(`st.loss(...)`, e.g. `log p(value) * stop(loss)`), charged with the losses downstream of it.

Finding the stochastic tensors upstream of a loss needs a graph: in `tf.compat.v1` graph mode and
inside `tf.function` the graph is walked backwards from each loss (see `_internal/graph_walk.py`).
Eager tensors have no graph. In eager mode `surrogate_loss` therefore

* accepts a zero-argument callable that builds and returns the losses: it is traced into a fresh
  graph on each call (`tf.compat.v1.wrap_function`) and walked there, then run once, so the
  result and the charges are exactly those of graph mode;
* accepts an explicit `stochastic_tensors` list: every listed tensor is charged with the sum of
  ALL losses (an unbiased estimator, since a score term times a loss that does not depend on that
  sample has zero mean; its variance can be higher than the legacy charge);
* otherwise raises `RuntimeError`, instead of the legacy "nothing found: return the plain sum",
  which would silently drop every score-function term.

See migration_guide/stochastic_graph.md for the full design.

#### References

Schulman, J., Heess, N., Weber, T. and Abbeel, P. Gradient estimation using stochastic
computation graphs. NIPS, 2015.

Foerster, J., Farquhar, G., Al-Shedivat, M., Rocktaschel, T., Xing, E. P. and Whiteson, S.
DiCE: The infinitely differentiable Monte Carlo estimator. ICML, 2018.
"""
from typing import Any, Callable, List, Optional, Sequence, Union

import tensorflow as tf

from tf_contrib_bayesflow import stochastic_tensor as st_lib
from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import graph_walk
from tf_contrib_bayesflow._internal import tracing

__all__ = ["surrogate_loss"]

_EAGER_HELP = (
    "surrogate_loss cannot find the StochasticTensors upstream of eager losses: eager tensors "
    "record no graph to walk, and returning the plain sum of the losses (what legacy returned "
    "when it found nothing) would silently drop every score-function term. Either\n"
    "  1. pass stochastic_tensors=[st, ...]: each listed tensor is then charged with the sum of "
    "all sample_losses (unbiased; possibly higher variance than charging only the losses that "
    "depend on it); or\n"
    "  2. pass a zero-argument callable that builds and returns the list of losses, "
    "surrogate_loss(lambda: [loss_1, ...]): it is traced into a graph, so dependencies are "
    "found exactly as in graph mode (build the StochasticTensors inside it).\n"
    "Running the whole training step inside tf.function also works."
)


def _add_n_or_sum(terms: Sequence[tf.Tensor]) -> tf.Tensor:
    """`tf.add_n` when all terms have one fully defined shape and dtype, else a broadcasting sum."""
    terms = list(terms)
    if not terms:
        # Departure: legacy raised IndexError.
        raise ValueError("terms must not be empty: there is nothing to sum")
    first = terms[0]
    for term in terms:
        checks.check_same_dtype(term, first.dtype, "terms", "the first term")
    if all(
        term.shape.is_fully_defined()
        and term.shape.is_compatible_with(first.shape)
        and term.dtype == first.dtype
        for term in terms
    ):
        return tf.add_n(terms)
    return sum(terms)


def _unique(items: Sequence[Any]) -> List[Any]:
    return list(graph_walk.IdentitySet(items))


def _stochastic_dependencies_map(
    fixed_losses: Sequence[tf.Tensor], stochastic_tensors: Optional[Sequence[Any]] = None
) -> dict:
    """`{st: IdentitySet(losses downstream of st)}` for the candidate stochastic tensors.

    Candidates are `stochastic_tensors` when non-empty (legacy: an empty list means all), else
    every registered stochastic tensor visible from the current graph. Each loss is walked back
    to the graph roots (data inputs only, through stop_gradient and other stochastic tensors'
    values, into outer graphs through tf.function captures), visiting each op once per loss.
    The map is ordered by candidate order; stochastic tensors that reach no loss are left out.

    Raises:
      TypeError: `fixed_losses` is not a list or tuple, `stochastic_tensors` holds something
        else than stochastic tensors.
      RuntimeError: a loss is an eager tensor (there is no graph to walk).
    """
    _check_tensor_list(fixed_losses, "fixed_losses")
    _check_stochastic_tensors(stochastic_tensors)
    for loss in fixed_losses:
        if not graph_walk.is_graph_tensor(loss):
            raise RuntimeError(
                f"Cannot find the StochasticTensors upstream of the eager tensor {loss!r}: "
                "eager execution records no graph to walk. Build the tensors in "
                "tf.compat.v1 graph mode or inside tf.function."
            )
    candidates = _unique(stochastic_tensors or st_lib._registered_stochastic_tensors())
    if not candidates:
        return {}
    targets = [(candidate.value(), candidate) for candidate in candidates]
    found = {}
    for loss in fixed_losses:
        for candidate in graph_walk.find_upstream(loss, targets):
            found.setdefault(candidate, graph_walk.IdentitySet()).add(loss)
    return {candidate: found[candidate] for candidate in candidates if candidate in found}


def _upstream_stochastic_nodes(tensors: Sequence[tf.Tensor]) -> graph_walk.IdentityDict:
    """`{tensor: IdentitySet(registered stochastic tensors upstream of it)}`, for every tensor.

    The inverse of `_stochastic_dependencies_map` over all registered stochastic tensors; a
    tensor with none upstream maps to an empty set (legacy returned a defaultdict(set)).

    Raises:
      TypeError: `tensors` is not a list or tuple.
      RuntimeError: a tensor is an eager tensor.
    """
    _check_tensor_list(tensors, "tensors")
    tensors = list(tensors)
    result = graph_walk.IdentityDict((tensor, graph_walk.IdentitySet()) for tensor in tensors)
    for candidate, losses in _stochastic_dependencies_map(tensors).items():
        for tensor in losses:
            result[tensor].add(candidate)
    return result


def _check_tensor_list(tensors: Any, arg_name: str) -> None:
    # A single tensor would be iterated (an error in graph mode, a walk of its rows eagerly).
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{arg_name} must be a list or tuple of Tensors, got {type(tensors).__name__}: "
            f"{tensors!r}"
        )


def _check_sample_losses(sample_losses: Any) -> None:
    if not isinstance(sample_losses, (list, tuple)):
        raise TypeError(
            "sample_losses must be a list or tuple of Tensors (or, in any mode, a zero-argument "
            f"callable returning one), got {type(sample_losses).__name__}: {sample_losses!r}"
        )
    if not sample_losses:
        raise ValueError("sample_losses must not be empty")
    for loss in sample_losses:
        if not isinstance(loss, tf.Tensor):
            raise TypeError(
                f"loss is not a Tensor: {loss!r} (sample_losses must hold tf.Tensors; convert "
                "StochasticTensors, Variables and arrays with tf.convert_to_tensor)"
            )
        if loss.shape.rank is None or loss.shape.rank < 1:
            raise ValueError(
                f"loss must have dimensionality 1 or greater: {loss} (rank {loss.shape.rank}); "
                "surrogate_loss needs per-sample losses, e.g. tf.reshape(loss, [1])"
            )
    # Summing them would fail inside TensorFlow (legacy did, with these error types).
    first = sample_losses[0]
    for loss in sample_losses:
        checks.check_same_dtype(loss, first.dtype, "sample_losses", "the first loss")
    checks.check_broadcastable(sample_losses, "sample_losses")


def _check_stochastic_tensors(stochastic_tensors: Any) -> None:
    if stochastic_tensors is None:
        return
    if not isinstance(stochastic_tensors, (list, tuple)):
        raise TypeError(
            "stochastic_tensors must be None or a list or tuple of StochasticTensors, got "
            f"{type(stochastic_tensors).__name__}: {stochastic_tensors!r}"
        )
    for candidate in stochastic_tensors:
        if not isinstance(candidate, st_lib.BaseStochasticTensor):
            raise TypeError(
                "stochastic_tensors must hold StochasticTensors, got "
                f"{type(candidate).__name__}: {candidate!r}"
            )


def _dependencies(sample_losses: Sequence[tf.Tensor], stochastic_tensors: Any) -> dict:
    if all(graph_walk.is_graph_tensor(loss) for loss in sample_losses):
        return _stochastic_dependencies_map(sample_losses, stochastic_tensors)
    if not stochastic_tensors:
        raise RuntimeError(_EAGER_HELP)
    # Departure (eager only): no graph says which losses depend on which sample, so every listed
    # tensor is charged with all losses; unbiased, since the extra score terms have zero mean.
    return {
        candidate: graph_walk.IdentitySet(sample_losses)
        for candidate in _unique(stochastic_tensors)
    }


def _dice_surrogate(sample_losses: Sequence[tf.Tensor], dependencies: dict) -> tf.Tensor:
    """`sum_c c * exp(tau_c - stop(tau_c))`, `tau_c` = sum of log p over the samples behind `c`."""
    upstream = graph_walk.IdentityDict((loss, []) for loss in sample_losses)
    for candidate, losses in dependencies.items():
        log_prob = candidate._score_log_prob()
        if log_prob is None:
            continue
        for loss in losses:
            upstream[loss].append(log_prob)
    terms = []
    for loss in sample_losses:
        log_probs = upstream[loss]
        if not log_probs:
            terms.append(loss)
            continue
        tau = _add_n_or_sum(log_probs)
        # The "magic box": value 1, derivatives d tau, d2 tau + (d tau)^2, ... at every order.
        terms.append(loss * tf.exp(tau - tf.stop_gradient(tau)))
    return _add_n_or_sum(terms)


@tf.autograph.experimental.do_not_convert
def _surrogate_loss(
    sample_losses: Any, stochastic_tensors: Any, name: Optional[str], dice: bool
) -> tf.Tensor:
    _check_sample_losses(sample_losses)
    _check_stochastic_tensors(stochastic_tensors)
    with tf.name_scope(name or "SurrogateLoss"):
        dependencies = _dependencies(sample_losses, stochastic_tensors)
        if not dependencies:
            tf.get_logger().warning("No collection of Stochastic Tensors found for current graph.")
            # Departure: legacy used tf.add_n here, which fails for losses of different shapes;
            # the broadcasting rule of the other branch gives the same value where add_n works.
            return _add_n_or_sum(sample_losses)
        if dice:
            return _dice_surrogate(sample_losses, dependencies)
        terms = list(sample_losses)
        for candidate, losses in dependencies.items():
            term = candidate.loss(tf.stop_gradient(_add_n_or_sum(list(losses))))
            if term is not None:
                terms.append(term)
        return _add_n_or_sum(terms)


def _as_loss_list(losses: Any) -> list:
    if isinstance(losses, (list, tuple)):
        return list(losses)
    raise TypeError(
        "the callable passed as sample_losses must return a list or tuple of Tensors, got "
        f"{type(losses).__name__}: {losses!r}"
    )


def _surrogate_loss_of_builder(
    build: Callable[[], Any], stochastic_tensors: Any, name: Optional[str], dice: bool
) -> tf.Tensor:
    _check_stochastic_tensors(stochastic_tensors)
    return tracing.compute_in_graph(
        build, lambda losses: _surrogate_loss(_as_loss_list(losses), stochastic_tensors, name, dice)
    )


@deprecation.legacy("stochastic_graph.surrogate_loss", None)
def surrogate_loss(
    sample_losses: Union[Sequence[tf.Tensor], Callable[[], Sequence[tf.Tensor]]],
    stochastic_tensors: Optional[Sequence[Any]] = None,
    name: str = "SurrogateLoss",
    *,
    dice: bool = False,
) -> tf.Tensor:
    """A loss whose gradient is pathwise plus score-function for the stochastic tensors behind it.

    ```none
    deps(st)  = the losses downstream of st (found by walking the graph)
    surrogate = sum_i loss_i + sum_st st.loss(stop(sum_{c in deps(st)} c))     (default)
    surrogate = sum_i loss_i * exp(tau_i - stop(tau_i)),                       (dice=True)
                tau_i = sum over the score-charged st behind loss_i of log p_st(value_st)
    ```

    The result is elementwise and unreduced (reduce it yourself); its value is not a loss
    estimate, only its gradient is meaningful. Terms are combined with `tf.add_n` when all have
    one fully defined shape, else with a broadcasting sum (a `[16, 1]` loss and a `[16, 10]`
    score term give `[16, 10]`). With no stochastic tensor found it returns the plain sum.

    With `dice=True` the value equals the sum of the losses and every derivative, of any order,
    is an unbiased estimate (the legacy surrogate is right only to first order). DiCE uses each
    stochastic tensor's `log_prob` directly: `loss_fn` baselines and advantages are not applied,
    and a tensor with `loss_fn=None` (or a pathwise value) adds no factor.

    Modes: in `tf.compat.v1` graph mode and inside `tf.function` the graph is walked. Eager
    tensors have no graph: pass a zero-argument callable building the losses (traced on each
    call into a fresh graph with `tf.compat.v1.wrap_function`, as TF1 graph code, and run once;
    the surrogate is the same as in graph mode), or an explicit `stochastic_tensors` list (each listed tensor is charged with the sum
    of all losses); otherwise this raises `RuntimeError`.

    Args:
      sample_losses: a list or tuple of tensors of rank >= 1, or a zero-argument callable that
        builds and returns one.
      stochastic_tensors: the stochastic tensors to charge. Default None, and also an empty list
        (legacy): every registered stochastic tensor upstream of a loss.
      name: name scope. Default 'SurrogateLoss'.
      dice: keyword-only. Use the DiCE estimator instead of the legacy first-order surrogate.

    Returns:
      The surrogate tensor.

    Raises:
      TypeError: `sample_losses` is not a list, tuple or callable; an element is not a
        `tf.Tensor`; the losses have different dtypes; `stochastic_tensors` holds something
        else than stochastic tensors; `dice` is not a Python bool.
      ValueError: a loss has unknown rank or rank 0; `sample_losses` is empty; the losses'
        static shapes do not broadcast together.
      RuntimeError: eager losses with neither a callable nor `stochastic_tensors`.

    #### References

    Schulman et al., Gradient estimation using stochastic computation graphs, NIPS 2015.
    Foerster et al., DiCE: the infinitely differentiable Monte Carlo estimator, ICML 2018.
    """
    checks.check_python_bool(dice, "dice")
    if callable(sample_losses) and not isinstance(sample_losses, (list, tuple, tf.Tensor)):
        return _surrogate_loss_of_builder(sample_losses, stochastic_tensors, name, dice)
    return _surrogate_loss(sample_losses, stochastic_tensors, name, dice)
