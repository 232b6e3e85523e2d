"""Inside one group commit, every member is judged alone and against everything committed
before it: a member that read what an earlier member of the same group writes is not
checked against the table as it was before the group (it waits for the next group and is
refused there); an error that belongs to one member fails only that member; members the
group never attempted are retried, not failed; and the append refuses an isolation level
under which its checks would see a stale snapshot."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, StoredEvent
from support.stores import event_store

from domain.plumbing.store import EventStore
from signalyard.bootstrap import event_store_env
from signalyard.eventstore.grouping import Member
from signalyard.eventstore.recorder import APPEND_LOCK_SPACE, GroupCommitApplicationRecorder
from signalyard.settings import Settings


class Grant(Aggregate):
    def __init__(self, holder: str) -> None:
        self.holder = holder
        self.revoked = False

    @event("Revoked")
    def revoke(self) -> None:
        self.revoked = True

    @event("Used")
    def use(self) -> None:
        pass


@pytest.fixture
def store(fresh_db_url: str) -> Iterator[EventStore]:
    app = event_store(fresh_db_url, event_recorder="grouped", pool_size=4)
    assert isinstance(app.recorder, GroupCommitApplicationRecorder)
    yield app
    app.close()


def _pending(store: EventStore, aggregate: Aggregate) -> list[StoredEvent]:
    return [store.mapper.to_stored_event(e) for e in aggregate.collect_events()]


def _stored_versions(store: EventStore, aggregate_id) -> list[int]:
    return [e.originator_version for e in store.recorder.select_events(aggregate_id)]


def test_a_member_that_read_what_an_earlier_member_writes_is_refused(store):
    grant = Grant("ada")
    store.save(grant)
    revocation = store.repository.get(grant.id)
    revocation.revoke()
    use = Grant("ada-work")  # decided on the grant as it was before the revocation
    first = Member(_pending(store, revocation))
    second = Member(_pending(store, use), read_set=[(grant.id, 1)])

    deferred = store.recorder._commit_group([first, second])

    assert first.resolved and first.error is None
    assert deferred == [second] and not second.resolved
    assert store.recorder._commit_group(deferred) == []
    assert isinstance(second.error, IntegrityError)
    assert _stored_versions(store, use.id) == []


def test_a_member_that_only_wrote_what_a_later_member_read_commits_with_it(store):
    grant = Grant("ada")
    store.save(grant)
    use = Grant("ada-work")
    reader = Member(_pending(store, use), read_set=[(grant.id, 1)])
    revocation = store.repository.get(grant.id)
    revocation.revoke()
    writer = Member(_pending(store, revocation))

    assert store.recorder._commit_group([reader, writer]) == []

    assert reader.error is None and writer.error is None  # reader ordered first: serial


def test_a_member_the_server_refuses_fails_alone(store):
    good = [Grant(f"g{i}") for i in range(3)]
    bad = Grant("bad")
    members = [Member(_pending(store, g)) for g in good]
    poisoned = _pending(store, bad)
    poisoned[0] = dataclasses.replace(poisoned[0], topic="bad\x00topic")  # no NUL in text
    members.insert(1, Member(poisoned))

    assert store.recorder._commit_group(members) == []

    assert members[1].error is not None
    assert [m.error for m in members if m is not members[1]] == [None, None, None]
    assert all(_stored_versions(store, g.id) == [1] for g in good)
    assert _stored_versions(store, bad.id) == []


def test_members_deferred_by_a_group_whose_transaction_failed_are_retried_not_failed(
    fresh_db_url,
):
    settings = Settings(database_url=fresh_db_url, event_recorder="grouped", lock_timeout_seconds=1)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    store = EventStore(env=event_store_env(settings, fresh_db_url, create_tables=True))
    grant = Grant("ada")
    store.save(grant)
    racing = [store.repository.get(grant.id) for _ in range(2)]
    for copy in racing:
        copy.use()
    first, second = (Member(_pending(store, copy)) for copy in racing)
    table = f"{settings.event_schema}.{store.recorder.events_table_name}"
    try:
        with psycopg.connect(fresh_db_url, autocommit=True) as blocker:
            blocker.execute(
                "SELECT pg_advisory_lock(%s, %s::regclass::oid::int4)", (APPEND_LOCK_SPACE, table)
            )
            deferred = store.recorder._commit_group([first, second])  # first: lock timeout
        assert first.error is not None and "lock" in str(first.error).lower()
        assert deferred == [second] and not second.resolved
        assert store.recorder._commit_group(deferred) == []
        assert second.error is None and _stored_versions(store, grant.id) == [1, 2]
    finally:
        store.close()


def test_the_append_refuses_an_isolation_level_whose_snapshot_would_be_stale(store, fresh_db_url):
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        dbname = conn.info.dbname
        conn.execute(
            f"ALTER DATABASE \"{dbname}\" SET default_transaction_isolation = 'serializable'"
        )
    settings = Settings(database_url=fresh_db_url, event_recorder="grouped", pool_size=1)
    other = EventStore(env=event_store_env(settings, fresh_db_url, create_tables=False))
    try:
        with pytest.raises(Exception, match="READ COMMITTED"):
            other.save(Grant("under serializable"))
    finally:
        other.close()
