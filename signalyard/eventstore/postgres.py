"""Persistence module for the eventsourcing library: the stock Postgres infrastructure
with the group-commit application recorder and a remembering snapshot recorder.

Select it with `PERSISTENCE_MODULE=signalyard.eventstore.postgres` (this module defines
exactly one infrastructure factory, as the library's lookup requires). Tracking and process
recorders, and the aggregate recorders for other purposes, are the library's own.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

import eventsourcing.postgres as stock
from eventsourcing.persistence import AggregateRecorder, ApplicationRecorder
from psycopg_pool import ConnectionPool

from signalyard.eventstore.recorder import (
    DEFAULT_MAX_GROUP_EVENTS,
    GroupCommitApplicationRecorder,
)
from signalyard.eventstore.snapshots import CachingSnapshotRecorder

MAX_GROUP_EVENTS = "GROUP_COMMIT_MAX_EVENTS"
MAX_INFLIGHT = "GROUP_COMMIT_MAX_INFLIGHT"
PRE_PING_IDLE_SECONDS = "POSTGRES_PRE_PING_IDLE_SECONDS"


class IdleCheck:
    """Pre-ping only connections that sat unused for a while.

    The library's pre-ping costs one round trip per checkout, and a command checks out a
    connection for every query it makes (about two dozen for a create). A connection that
    was in use a moment ago is as good as a fresh ping; one that sat idle (where a restart
    or an idle timeout could have closed it) is still pinged.
    """

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._last_seen: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def __call__(self, conn: Any) -> None:
        now = time.monotonic()
        last = self._last_seen.get(conn)
        if last is None or now - last > self.idle_seconds:
            ConnectionPool.check_connection(conn)
        self._last_seen[conn] = now


class GroupCommitFactory(stock.PostgresFactory):
    application_recorder_class = GroupCommitApplicationRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        if self.datastore.pre_ping:
            raw = self.env.get(PRE_PING_IDLE_SECONDS)
            # psycopg_pool keeps the check callback here; set before the pool opens.
            pool._check = IdleCheck(float(raw) if raw else 2.0)  # noqa: SLF001

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose != "snapshots":
            return super().aggregate_recorder(purpose)
        prefix = self.env.name.lower() or "stored"
        recorder = CachingSnapshotRecorder(
            datastore=self.datastore, events_table_name=f"{prefix}_{purpose}"
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder

    def application_recorder(self) -> ApplicationRecorder:
        recorder = super().application_recorder()
        if isinstance(recorder, GroupCommitApplicationRecorder):
            raw = self.env.get(MAX_GROUP_EVENTS)
            recorder.committer.max_events = int(raw) if raw else DEFAULT_MAX_GROUP_EVENTS
            inflight = self.env.get(MAX_INFLIGHT)
            if inflight:
                recorder.committer.max_inflight = max(1, int(inflight))
        return recorder
