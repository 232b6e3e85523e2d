"""Fewer round trips per command: a cache of aggregates brought up to date in batches.

In an ordinary session a cached aggregate is never trusted as it is: before use it is
fast-forwarded with the events recorded after its version, so every read is as fresh as a
full load. What the cache saves is the replay and the snapshot lookup, and, with
`prefetch`, the round trips: all the aggregates a command will read are brought up to date
by one query. In an optimistic session (where the recorder validates read sets) the cached
copies are used as they are, and the command's write is what checks them (read_session).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

# (originator id, version known) pairs -> the stored events after those versions.
BatchReader = Callable[[Sequence[tuple[UUID, int]]], Sequence[Any]]


_IMMUTABLE = (str, int, float, bool, bytes, type(None), UUID, datetime, frozenset, tuple)
_IMMUTABLE_EXACT = frozenset(_IMMUTABLE)  # a set lookup by exact type: the common case


def _copy_value(value: Any) -> Any:
    if type(value) in _IMMUTABLE_EXACT or isinstance(value, _IMMUTABLE):  # + enums...
        return value
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_value(v) for v in value]
    if isinstance(value, set):
        return set(value)
    return copy.deepcopy(value)


def clone(aggregate: Any) -> Any:
    """A deep copy of an aggregate, much cheaper than copy.deepcopy for its plain state
    (ids, datetimes and strings are immutable and shared)."""
    twin = object.__new__(type(aggregate))
    twin.__dict__.update({k: _copy_value(v) for k, v in aggregate.__dict__.items()})
    return twin


class AggregateCache:
    """Master copies, never handed out: readers get a deep copy they may mutate."""

    def __init__(self, maxsize: int = 5000) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, aggregate_id: UUID) -> Any | None:
        with self._lock:
            return self._items.get(aggregate_id)

    def put(self, aggregate: Any) -> None:
        master = clone(aggregate)
        master._pending_events = []
        with self._lock:
            known = self._items.get(aggregate.id)
            if known is not None and known.version > master.version:
                return  # a newer one arrived meanwhile
            self._items[aggregate.id] = master
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def discard(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._items.pop(aggregate_id, None)


def fast_forward(
    masters: dict[UUID, Any | None],
    stored_events: Sequence[Any],
    to_domain_event: Callable[[Any], Any],
) -> dict[UUID, Any]:
    """Copies of the masters (None: not known yet) with the later events applied, by id.

    Ids that have neither a master nor events do not exist and are left out.
    """
    fresh = {i: clone(m) if m is not None else None for i, m in masters.items()}
    for stored in stored_events:
        aggregate = fresh.get(stored.originator_id)
        expected = 1 if aggregate is None else aggregate.version + 1
        if stored.originator_version != expected:
            continue
        fresh[stored.originator_id] = to_domain_event(stored).mutate(aggregate)
    found = {i: a for i, a in fresh.items() if a is not None}
    for aggregate in found.values():
        aggregate._pending_events = []
    return found
