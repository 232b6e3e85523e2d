"""Group commit under contention: 16 concurrent writers, a tailing follower and a live
projection runner on the real event store.

What must hold: every committed event reaches the follower, in id order, with no id
skipped and no hole in the ids (conflicts burn no sequence values); optimistic
concurrency holds when many writers save the same aggregate version at once (exactly one
wins, the losers fail alone, their events are nowhere); a projection applies each event
exactly once.
"""

from __future__ import annotations

import threading
import time
from uuid import UUID

import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from domain.plumbing.store import EventStore
from projections.engine.base import HandlesEachEvent, live_schema, read_tracking
from projections.engine.log import EventLog
from projections.engine.runner import ProjectionRunner
from signalyard.bootstrap import event_store_env
from signalyard.eventstore.recorder import GroupCommitApplicationRecorder, append_function_name
from signalyard.settings import Settings

WRITERS = 16
ROUNDS = 12  # contended rounds per writer
FREE_APPENDS = 8  # uncontended appends per writer per round


class Counter(Aggregate):
    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0

    @event("Incremented")
    def increment(self, by: int = 1) -> None:
        self.count += by


class SeenOnce(HandlesEachEvent):
    """A read model that records each position it is given; a second delivery of the
    same position violates the primary key (the runner would quarantine it)."""

    name = "eventstore_concurrency"

    def create_tables(self, cur: psycopg.Cursor, schema: str) -> None:
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.seen (position bigint PRIMARY KEY,"
                " originator_id uuid NOT NULL, originator_version bigint NOT NULL)"
            ).format(sql.Identifier(schema))
        )

    def handle(self, cur: psycopg.Cursor, schema: str, evt: object, position: int) -> None:
        cur.execute(
            sql.SQL("INSERT INTO {}.seen VALUES (%s, %s, %s)").format(sql.Identifier(schema)),
            (position, evt.originator_id, evt.originator_version),  # type: ignore[attr-defined]
        )


@pytest.fixture
def stores(fresh_db_url: str):
    """Two event stores on one database, as two API processes would have: their groups
    commit concurrently, so only the table lock keeps commit order equal to id order."""
    settings = Settings(database_url=fresh_db_url, event_recorder="grouped", pool_size=4)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    apps = [
        EventStore(env=event_store_env(settings, fresh_db_url, create_tables=create))
        for create in (True, False)
    ]
    assert all(isinstance(app.recorder, GroupCommitApplicationRecorder) for app in apps)
    yield apps
    for app in apps:
        app.close()


def test_sixteen_writers_follower_and_projection(stores: list[EventStore], fresh_db_url: str):
    store = stores[0]
    hot = [Counter(label=f"hot-{i}") for i in range(2)]
    store.save(*hot)
    barrier = threading.Barrier(WRITERS)
    done = threading.Event()
    errors: list[BaseException] = []
    wins: dict[UUID, int] = {c.id: 0 for c in hot}
    conflicts = [0]
    committed: dict[int, tuple[UUID, int]] = {}  # notification id -> (aggregate, version)
    lock = threading.Lock()

    def remember(recordings) -> None:
        with lock:
            for r in recordings:
                committed[r.notification.id] = (
                    r.domain_event.originator_id,
                    r.domain_event.originator_version,
                )

    def writer(index: int) -> None:
        store = stores[index % len(stores)]
        try:
            for round_no in range(ROUNDS):
                target = hot[round_no % len(hot)].id
                counter = store.repository.get(target)
                barrier.wait(timeout=30)  # every writer now holds the same version
                counter.increment(by=index + 1)
                try:
                    remember(store.save(counter))
                    with lock:
                        wins[target] += 1
                except IntegrityError:
                    with lock:
                        conflicts[0] += 1
                for i in range(FREE_APPENDS):
                    fresh = Counter(label=f"w{index}-r{round_no}-{i}")
                    for _ in range(i % 3):
                        fresh.increment()
                    remember(store.save(fresh))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            barrier.abort()

    seen: list[int] = []

    def follow() -> None:
        position = 0
        try:
            while True:
                finished = done.is_set()  # read before the query: a last pass follows
                batch = store.recorder.select_notifications(
                    start=position, limit=200, inclusive_of_start=False
                )
                seen.extend(n.id for n in batch)
                if batch:
                    position = batch[-1].id
                elif finished:
                    return
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    stop_runner = threading.Event()
    runner = ProjectionRunner(
        fresh_db_url, SeenOnce(), EventLog(store), batch_size=200, poll_interval=0.05
    )
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    follower = threading.Thread(target=follow)
    runner_thread = threading.Thread(target=runner.run_forever, args=(stop_runner,))
    follower.start()
    runner_thread.start()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        done.set()
        follower.join(timeout=60)
        assert not errors, errors
        head = store.recorder.max_notification_id()
        assert head is not None
        _wait_for_projection(fresh_db_url, head)
    finally:
        done.set()
        stop_runner.set()
        runner_thread.join(timeout=30)

    per_round = sum(1 + i % 3 for i in range(FREE_APPENDS))
    expected_events = len(hot) + sum(wins.values()) + WRITERS * ROUNDS * per_round
    assert head == expected_events

    # The follower saw every id exactly once, in order, and the ids have no holes even
    # though WRITERS * ROUNDS - wins saves failed on a taken version.
    assert seen == list(range(1, head + 1))
    assert set(committed) <= set(seen)

    # Optimistic concurrency: exactly one writer won each contended round.
    assert sum(wins.values()) == ROUNDS
    assert conflicts[0] == ROUNDS * (WRITERS - 1)
    stored_increments = set()
    for counter in hot:
        stored = [e.originator_version for e in store.events.get(counter.id)]
        assert stored == list(range(1, wins[counter.id] + 2))
        stored_increments |= {(counter.id, version) for version in stored[1:]}
    # Losers' events are nowhere: each stored increment is one a winner was told about.
    hot_ids = {c.id for c in hot}
    assert stored_increments == {k for k in committed.values() if k[0] in hot_ids}

    # Grouping happened: fewer transactions than saves.
    for app in stores:
        committer = app.recorder.committer
        assert committer.groups < committer.members

    # The projection applied each event exactly once.
    schema = live_schema(SeenOnce.name)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        rows = conn.execute(
            sql.SQL("SELECT position FROM {}.seen ORDER BY position").format(sql.Identifier(schema))
        ).fetchall()
        dead = conn.execute("SELECT count(*) FROM projection_meta.dead_letters").fetchone()
    assert [r[0] for r in rows] == list(range(1, head + 1))
    assert dead == (0,)


def _wait_for_projection(url: str, head: int, timeout: float = 30.0) -> None:
    schema = live_schema(SeenOnce.name)
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                try:
                    if read_tracking(cur, schema) >= head:
                        return
                except psycopg.errors.UndefinedTable:
                    pass
            time.sleep(0.05)
    raise AssertionError(f"projection did not reach {head}")


def _counter_in(app: EventStore) -> Counter:
    counter = Counter("c")
    app.save(counter)
    return counter


def test_vacuum_and_analyze_do_not_block_appends(stores: list[EventStore], fresh_db_url: str):
    """VACUUM and ANALYZE (and autovacuum) hold SHARE UPDATE EXCLUSIVE on the table; the
    stock recorder's EXCLUSIVE lock waited for them (an autovacuum: up to deadlock_timeout,
    then cancelled). A group append must go straight through."""
    app = stores[0]
    table = sql.Identifier(app.recorder.datastore.schema, app.recorder.events_table_name)
    with psycopg.connect(fresh_db_url) as vacuum_like:
        vacuum_like.execute(sql.SQL("LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE").format(table))
        started = time.monotonic()
        counter = _counter_in(app)  # lock_timeout is 5 s: blocked, this would raise
        assert time.monotonic() - started < 2.0
        vacuum_like.rollback()
    assert [e.originator_version for e in app.events.get(counter.id)] == [1]


def test_a_stock_writer_beside_the_group_append_keeps_ids_in_commit_order(
    stores: list[EventStore], fresh_db_url: str
):
    """A stock writer's LOCK TABLE ... EXCLUSIVE and a group's ROW EXCLUSIVE exclude each
    other: while the stock writer holds its lock (before drawing ids), no group draws one."""
    app = stores[0]
    table = sql.Identifier(app.recorder.datastore.schema, app.recorder.events_table_name)
    before = app.recorder.max_notification_id() or 0
    results: list[int] = []
    with psycopg.connect(fresh_db_url) as stock_like:
        stock_like.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
        writer = threading.Thread(target=lambda: results.append(_counter_in(app).version))
        writer.start()
        writer.join(timeout=1.0)
        assert writer.is_alive()  # the group waits for the stock writer's commit
        assert (app.recorder.max_notification_id() or 0) == before
        stock_like.commit()
    writer.join(timeout=10)
    assert results == [1]


def test_creating_tables_drops_the_append_functions_of_earlier_signatures(fresh_db_url: str):
    """A database created before read sets had a 6-argument append function, one created
    before fences and sessions a 9-argument one; creating the tables again leaves only the
    current one (no unused overload)."""
    settings = Settings(database_url=fresh_db_url, event_recorder="grouped")
    schema = settings.event_schema
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    app = EventStore(env=event_store_env(settings, fresh_db_url, create_tables=True))
    name = append_function_name(app.recorder.events_table_name)
    app.close()
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE FUNCTION {}.{}(ids uuid[], versions int8[], topics text[],"
                " states bytea[], members int4[], lock_timeout text)"
                " RETURNS int LANGUAGE sql AS 'SELECT 1'"
            ).format(sql.Identifier(schema), sql.Identifier(name))
        )
        conn.execute(
            sql.SQL(
                "CREATE FUNCTION {}.{}(ids uuid[], versions int8[], topics text[],"
                " states bytea[], members int4[], read_ids uuid[], read_versions int8[],"
                " read_members int4[], lock_timeout text)"
                " RETURNS int LANGUAGE sql AS 'SELECT 1'"
            ).format(sql.Identifier(schema), sql.Identifier(name))
        )
    app = EventStore(env=event_store_env(settings, fresh_db_url, create_tables=True))
    try:
        app.save(Counter(label="after"))
    finally:
        app.close()
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        arities = conn.execute(
            "SELECT p.pronargs FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = %s AND p.proname = %s",
            (schema, name),
        ).fetchall()
    assert arities == [(15,)]
