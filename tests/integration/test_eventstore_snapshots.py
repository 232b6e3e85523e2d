"""The remembering snapshot recorder never answers wrongly: a snapshot taken elsewhere is
seen after the TTL, one taken here at once, and an as-of below the remembered snapshot
still reads the database."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from support.stores import datastore_for

from signalyard.eventstore.snapshots import CachingSnapshotRecorder


def _snap(oid, version: int) -> StoredEvent:
    return StoredEvent(oid, version, "topic", f"state {version}".encode())


def test_snapshots_are_remembered_and_refreshed(fresh_db_url: str):
    datastore = datastore_for(fresh_db_url)
    try:
        mine = CachingSnapshotRecorder(datastore, events_table_name="x_snapshots")
        mine.create_table()
        other = PostgresAggregateRecorder(datastore, events_table_name="x_snapshots")
        oid = uuid4()

        def latest(lte=None):
            found = mine.select_events(oid, desc=True, limit=1, lte=lte)
            return found[0].originator_version if found else None

        assert latest() is None  # remembered: none
        other.insert_events([_snap(oid, 50)])  # another process takes one
        assert latest() is None  # still within the TTL: an older answer, never a wrong one
        mine.ttl_seconds = 0.0
        assert latest() == 50  # re-checked
        mine.ttl_seconds = 60.0
        mine.insert_events([_snap(oid, 100)])  # taken here: known at once
        assert latest() == 100
        assert latest(lte=99) == 50  # as of an older version: from the database
        assert latest(lte=100) == 100
        assert mine.hits >= 3
    finally:
        datastore.close()
