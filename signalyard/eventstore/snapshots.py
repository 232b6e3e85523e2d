"""A snapshot recorder that remembers each aggregate's latest snapshot.

The repository asks the snapshot store before every aggregate load ("latest snapshot at
or below version v"), for every aggregate type, although most aggregates never reach a
snapshot interval: on the command path that is one extra round trip per load. Snapshots are
immutable and any snapshot at or below the requested version gives the same aggregate, so
a remembered answer is never wrong, only possibly older than the newest one: a snapshot
taken by another process is picked up after at most `ttl` seconds, and meanwhile loads
replay a few more events. Snapshots taken by this process are remembered at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder

DEFAULT_TTL_SECONDS = 10.0
DEFAULT_MAX_ENTRIES = 50_000


class CachingSnapshotRecorder(PostgresAggregateRecorder):
    ttl_seconds = DEFAULT_TTL_SECONDS
    max_entries = DEFAULT_MAX_ENTRIES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # originator id -> (checked at, latest snapshot or None)
        self._latest: OrderedDict[Any, tuple[float, StoredEvent | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def select_events(
        self,
        originator_id: Any,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        if not (desc and limit == 1 and gt is None):  # not the repository's lookup
            return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        now = time.monotonic()
        with self._lock:
            entry = self._latest.get(originator_id)
        if entry is None or now - entry[0] > self.ttl_seconds:
            self.misses += 1
            found = super().select_events(originator_id, desc=True, limit=1)
            latest = found[0] if found else None
            self._remember(originator_id, now, latest)
        else:
            self.hits += 1
            latest = entry[1]
        if latest is None:
            return []
        if lte is None or latest.originator_version <= lte:
            return [latest]
        # As of a version before the latest snapshot: ask the database.
        return super().select_events(originator_id, lte=lte, desc=True, limit=1)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        result = super().insert_events(stored_events, **kwargs)
        now = time.monotonic()
        for snapshot in stored_events:
            with self._lock:
                entry = self._latest.get(snapshot.originator_id)
            known = entry[1] if entry else None
            if known is None or known.originator_version < snapshot.originator_version:
                self._remember(snapshot.originator_id, entry[0] if entry else now, snapshot)
        return result

    def _remember(self, originator_id: Any, checked: float, latest: StoredEvent | None) -> None:
        with self._lock:
            self._latest[originator_id] = (checked, latest)
            self._latest.move_to_end(originator_id)
            while len(self._latest) > self.max_entries:
                self._latest.popitem(last=False)
