"""Persistence module for the eventsourcing library: the stock Postgres infrastructure
with the group-commit application recorder.

Select it with `PERSISTENCE_MODULE=signalyard.eventstore.postgres` (this module defines
exactly one infrastructure factory, as the library's lookup requires). Tracking, process
and snapshot recorders are the library's own.
"""

from __future__ import annotations

import eventsourcing.postgres as stock
from eventsourcing.persistence import ApplicationRecorder

from signalyard.eventstore.recorder import (
    DEFAULT_MAX_GROUP_EVENTS,
    GroupCommitApplicationRecorder,
)

MAX_GROUP_EVENTS = "GROUP_COMMIT_MAX_EVENTS"


class GroupCommitFactory(stock.PostgresFactory):
    application_recorder_class = GroupCommitApplicationRecorder

    def application_recorder(self) -> ApplicationRecorder:
        recorder = super().application_recorder()
        if isinstance(recorder, GroupCommitApplicationRecorder):
            raw = self.env.get(MAX_GROUP_EVENTS)
            recorder.committer.max_events = int(raw) if raw else DEFAULT_MAX_GROUP_EVENTS
        return recorder
