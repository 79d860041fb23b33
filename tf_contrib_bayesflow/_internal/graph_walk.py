"""Backward reachability over TensorFlow graphs, for finding the stochastic tensors behind a loss.

Legacy bayesflow walked `tensor.op.inputs` recursively with no visited set, so a graph made of
shared sub-graphs (a chain of diamonds) was walked an exponential number of times. Here the walk is
an explicit-stack search that visits every operation at most once per call. It follows data
inputs only, never control inputs (with one exception: in TF1 control flow a constant inside a
`tf.cond` branch has only a control input, the branch pivot, yet its value depends on the
predicate, so pivots count as data), crosses every op (including `stop_gradient`), and inside
`tf.function` it crosses from a FuncGraph's captured placeholder to the outer tensor it captures
(`FuncGraph.captures`), continuing in the outer graph, so a stochastic tensor created outside a
function but used inside it is found.

TF 2 tensors cannot be hashed inside `tf.function`, so results are kept in the identity-based
containers `IdentitySet` and `IdentityDict` defined here.
"""
import collections.abc
from typing import Any, Iterable, Iterator, List, Sequence, Tuple

import tensorflow as tf


class IdentitySet(collections.abc.Set):
    """An insertion-ordered set that compares members by identity (tensors are unhashable)."""

    def __init__(self, items: Iterable[Any] = ()):
        self._items = {}
        for item in items:
            self.add(item)

    def add(self, item: Any) -> None:
        self._items.setdefault(id(item), item)

    def __contains__(self, item: Any) -> bool:
        return self._items.get(id(item)) is item

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, collections.abc.Set):
            return NotImplemented
        return len(self) == len(other) and all(
            any(item is member for member in other) for item in self
        )

    __hash__ = None

    def __repr__(self) -> str:
        return f"IdentitySet({list(self)!r})"


class IdentityDict(collections.abc.MutableMapping):
    """An insertion-ordered mapping whose keys (tensors) are compared by identity."""

    def __init__(self, items: Iterable[Tuple[Any, Any]] = ()):
        self._items = {}
        for key, value in items:
            self[key] = value

    def __getitem__(self, key: Any) -> Any:
        stored = self._items.get(id(key))
        if stored is None or stored[0] is not key:
            raise KeyError(key)
        return stored[1]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._items[id(key)] = (key, value)

    def __delitem__(self, key: Any) -> None:
        self[key]  # raises KeyError for a missing key
        del self._items[id(key)]

    def __iter__(self) -> Iterator[Any]:
        return iter([key for key, _ in self._items.values()])

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"IdentityDict({[(k, v) for k, v in self._items.values()]!r})"


def is_graph_tensor(tensor: Any) -> bool:
    """Whether `tensor` belongs to a graph (v1 Graph or FuncGraph), so it can be walked."""
    # An eager tensor raises AttributeError for `.op`.
    return isinstance(tensor, tf.Tensor) and hasattr(tensor, "op")


def _capture_sources(graph: Any, cache: dict) -> dict:
    """{id(internal placeholder): external tensor} for the captures of a FuncGraph."""
    key = id(graph)
    if key not in cache:
        captures = getattr(graph, "captures", None) or ()
        cache[key] = {id(internal): external for external, internal in captures}
    return cache[key]


def _is_cond_pivot(op: Any) -> bool:
    """A TF1 control-flow pivot: the Identity of a Switch output that ops without data inputs
    inside a v1 `tf.cond` branch (constants) get as their only, control, input."""
    return (
        op.type == "Identity"
        and len(op.inputs) == 1
        and op.inputs[0].op.type in ("Switch", "RefSwitch")
    )


def find_upstream(tensor: Any, targets: Sequence[Tuple[Any, Any]]) -> List[Any]:
    """The objects whose key tensor is `tensor` itself or lies upstream of it.

    Args:
      tensor: where the walk starts; a graph tensor, or an eager tensor (which has no inputs,
        so only an exact match with a key is found).
      targets: `(key_tensor, obj)` pairs; key tensors may be graph or eager tensors.

    Returns:
      The `obj` of every pair whose key tensor was reached, in the order of `targets`.
    """
    wanted = {}
    for key_tensor, _ in targets:
        wanted[id(key_tensor)] = key_tensor
    reached = set()
    # Keyed by id, holding the objects so that no id can be reused during the walk.
    seen_tensors, seen_ops, captures = {}, {}, {}
    stack = [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen_tensors:
            continue
        seen_tensors[id(current)] = current
        if wanted.get(id(current)) is current:
            reached.add(id(current))
        if not is_graph_tensor(current):
            continue  # eager tensors and captured resources have no inputs to follow
        op = current.op
        if id(op) in seen_ops:
            continue
        seen_ops[id(op)] = op
        external = _capture_sources(op.graph, captures).get(id(current))
        if external is not None:
            stack.append(external)
        stack.extend(op.inputs)
        stack.extend(
            pivot.outputs[0] for pivot in op.control_inputs if _is_cond_pivot(pivot)
        )
    return [obj for key_tensor, obj in targets if id(key_tensor) in reached]
