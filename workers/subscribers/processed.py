"""Which CloudEvent ids a subscriber has handled: a redelivered event is acked, not redone.

The default remembers the most recent ids in memory (lost on restart; an event redelivered
after a restart is handled again). A subscriber whose effect must never repeat gives its
own store, ideally written in the same transaction as the effect (e.g. a table with the
event id as primary key)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class ProcessedIds(Protocol):
    async def seen(self, event_id: str) -> bool: ...

    async def add(self, event_id: str) -> None: ...


class MemoryProcessedIds:
    def __init__(self, size: int = 100_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    async def seen(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return True
        return False

    async def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
