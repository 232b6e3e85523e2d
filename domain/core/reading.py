"""Fewer round trips per command: a cache of aggregates brought up to date in batches, and
a per-command identity map.

In an ordinary session a cached aggregate is never trusted as it is: before use it is
fast-forwarded with the events recorded after its version, so every read is as fresh as a
full load. What the cache saves is the replay and the snapshot lookup, and, with
`prefetch`, the round trips: all the aggregates a command will read are brought up to date
by one query. In an optimistic session (where the recorder validates read sets) the cached
copies are used as they are, and the command's write is what checks them (ReadSession).
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


class ReadSession:
    """One command's identity map: each aggregate is read at most once per command.

    An optimistic session reads nothing: it takes the cache's copies as they are and
    remembers each version it used (0: absent) in `read_set`; its first write is refused
    (IntegrityError) if any of them has changed since, checked in the write's own
    transaction, and the command is then run again in an ordinary session
    (`EventStore.run_in_session`). An ordinary session notes the versions it read too, and
    its writes are checked the same way. After its first write a session reads as usual.
    """

    def __init__(self, optimistic: bool = False) -> None:
        self.loaded: dict[UUID, Any] = {}
        self.missing: set[UUID] = set()
        self.optimistic = optimistic
        self.read_set: dict[UUID, int] = {}
        self.wrote = False
        # A Credential still to be checked by this command's next read (EventStore), and
        # the one already checked (a nested use case does not check it again).
        self.unchecked_credential: Any = None
        self.checked_credential: Any = None
        # The CommandContext the session runs for: its session and idempotent request go
        # with the write, and the write's position is noted on it.
        self.ctx: Any = None


class SessionScope:
    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def current(self) -> ReadSession | None:
        return getattr(self._local, "session", None)

    @contextmanager
    def open(self, optimistic: bool = False) -> Iterator[ReadSession]:
        outer = self.current
        if outer is not None:  # nested use cases share the outer command's session
            yield outer
            return
        self._local.session = ReadSession(optimistic)
        try:
            yield self._local.session
        finally:
            self._local.session = None


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


def with_read_sessions(cls: type) -> type:
    """Every public method of a use-case class runs in one read session of `self.store`."""
    for name in dir(cls):
        method = getattr(cls, name)
        if name.startswith("_") or not callable(method) or isinstance(method, type):
            continue
        setattr(cls, name, _in_session(method))
    return cls


def reads_only(method: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a use-case method that never writes: it runs in an ordinary session straight
    away (an optimistic run, counted only when it writes, would be wasted on it)."""
    method._reads_only = True  # type: ignore[attr-defined]
    return method


def _in_session(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_in_read_session", False):
        return method
    may_write = not getattr(method, "_reads_only", False)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        # Use cases take the CommandContext first; its credential, if any, is checked
        # by the session's first read.
        ctx = args[0] if args else kwargs.get("ctx")
        return self.store.run_in_session(
            ctx if hasattr(ctx, "credential") else None,
            functools.partial(method, self, *args, **kwargs),
            may_write=may_write,
        )

    wrapper._in_read_session = True  # type: ignore[attr-defined]
    return wrapper
