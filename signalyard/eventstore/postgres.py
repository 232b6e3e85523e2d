"""Persistence module for the eventsourcing library: the stock Postgres infrastructure
with the group-commit application recorder and a remembering snapshot recorder.

Select it with `PERSISTENCE_MODULE=signalyard.eventstore.postgres` (this module defines
exactly one infrastructure factory, as the library's lookup requires). Tracking and process
recorders, and the aggregate recorders for other purposes, are the library's own.
"""

from __future__ import annotations

from typing import Any

import eventsourcing.postgres as stock
from eventsourcing.persistence import AggregateRecorder, ApplicationRecorder

from signalyard.connections import IDLE_PING_SECONDS, guard
from signalyard.eventstore.recorder import (
    DEFAULT_MAX_GROUP_EVENTS,
    GroupCommitApplicationRecorder,
)
from signalyard.eventstore.snapshots import CachingSnapshotRecorder

MAX_GROUP_EVENTS = "GROUP_COMMIT_MAX_EVENTS"
MAX_INFLIGHT = "GROUP_COMMIT_MAX_INFLIGHT"
PRE_PING_IDLE_SECONDS = "POSTGRES_PRE_PING_IDLE_SECONDS"


class GroupCommitFactory(stock.PostgresFactory):
    application_recorder_class = GroupCommitApplicationRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        raw = self.env.get(PRE_PING_IDLE_SECONDS)
        guard(
            self.datastore.pool,
            check=self.datastore.pre_ping,
            idle_seconds=float(raw) if raw else IDLE_PING_SECONDS,
        )

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
