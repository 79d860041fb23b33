"""Named registries of legacy objects (stochastic tensors, VI priors) that work in every regime.

Legacy bayesflow kept such objects in `tf.compat.v1` graph collections of the default graph. This
module keeps that where a graph exists and chooses a behaviour where none does:

* v1 graph mode: the default graph's collection, exactly as legacy (so
  `tf.compat.v1.get_collection(name)` still lists the objects, in registration order).
* inside `tf.function`: the collection of the graph being traced (the FuncGraph), so a
  registration belongs to that trace.
* eager: no graph collection at all. Calling `add_to_collection` eagerly would append to a hidden
  global graph forever (one entry per training step); instead an entry is attached to an *owner*
  object and the registry keeps only a weak reference to the owner, so entries disappear with it.

A FuncGraph starts with a copy of its outer graph's collections, so reading a collection inside
`tf.function` also shows whatever was registered outside, even on the hidden global graph in
eager. `entries` therefore filters by the graph each entry belongs to: an entry is visible from a
graph when it belongs to that graph or to one of its outer graphs (a tensor of an outer graph can
be captured by the inner one), and live eager entries are visible wherever the outermost context
is eager.
"""
import itertools
import threading
import weakref
from typing import Any, Callable, Iterator, List, Optional

import tensorflow as tf

# Attribute of an owner object holding its eager entries: {collection name: [entry, ...]}.
_OWNER_ATTRIBUTE = "_tf_contrib_bayesflow_registrations"
# Stands for the owner itself in that list, so that an object registering itself creates no
# reference cycle (it is then freed by reference counting, not only by the cyclic collector).
_ITSELF = object()

_lock = threading.Lock()
_sequence = itertools.count()
# collection name -> {registration number: owner}, weakly held.
_eager_owners = {}


def register(collection: str, entry: Any, owner: Any = None) -> None:
    """Registers `entry` under `collection` for the current regime (see the module docstring).

    Args:
      collection: the collection name, e.g. `STOCHASTIC_TENSOR_COLLECTION`.
      entry: the object to register (in graph mode it is what `get_collection` returns).
      owner: eager mode only: the object whose lifetime bounds the entry's; it must accept
        attributes and weak references. Defaults to `entry` itself.
    """
    if not tf.executing_eagerly():
        tf.compat.v1.get_default_graph().add_to_collection(collection, entry)
        return
    owner = entry if owner is None else owner
    with _lock:
        owned = owner.__dict__.setdefault(_OWNER_ATTRIBUTE, {})
        owned.setdefault(collection, []).append(_ITSELF if entry is owner else entry)
        _eager_owners.setdefault(collection, weakref.WeakValueDictionary())[
            next(_sequence)
        ] = owner


def _graph_chain(graph: tf.Graph) -> List[tf.Graph]:
    """`graph` and its outer graphs (FuncGraph.outer_graph), outermost first."""
    chain = []
    while graph is not None and all(graph is not seen for seen in chain):
        chain.append(graph)
        graph = getattr(graph, "outer_graph", None)
    return chain[::-1]


def _eager_entries(collection: str) -> Iterator[Any]:
    with _lock:
        owners = list(_eager_owners.get(collection, {}).items())
    seen = set()
    for _, owner in sorted(owners, key=lambda item: item[0]):
        if id(owner) in seen:
            continue
        seen.add(id(owner))
        for entry in owner.__dict__.get(_OWNER_ATTRIBUTE, {}).get(collection, ()):
            yield owner if entry is _ITSELF else entry


def entries(collection: str, graph_of: Callable[[Any], Optional[tf.Graph]]) -> List[Any]:
    """The entries of `collection` visible from the current context, oldest first.

    Args:
      collection: the collection name.
      graph_of: maps an entry to the graph it belongs to (None for an eager entry); entries of
        a graph collection that belong to no graph of the current chain are dropped.

    Returns:
      A new list: live eager entries (when the outermost context is eager), then the entries
      of each graph from the outermost to the current one, each object once.
    """
    found = []
    if tf.compat.v1.executing_eagerly_outside_functions():
        found.extend(_eager_entries(collection))
    if not tf.executing_eagerly():
        for graph in _graph_chain(tf.compat.v1.get_default_graph()):
            found.extend(
                entry for entry in graph.get_collection(collection) if graph_of(entry) is graph
            )
    unique, seen = [], set()
    for entry in found:
        if id(entry) not in seen:
            seen.add(id(entry))
            unique.append(entry)
    return unique


def eager_entry_count(collection: str) -> int:
    """How many live eager entries `collection` holds (for tests and diagnostics)."""
    return sum(1 for _ in _eager_entries(collection))
