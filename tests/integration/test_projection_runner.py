"""The read-model framework against real Postgres: a tiny counter application on the
library's stock Postgres recorder, and a projection that writes one row per increment."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from projections.engine.base import HandlesEachEvent, leader_key, live_schema
from projections.engine.log import EventLog
from projections.engine.operations import ensure_schema, status
from projections.engine.runner import ProjectionRunner
from projections.engine.waiter import ProgressWaiter

NAME = "counter_rows"


class Counter(Aggregate):
    def __init__(self) -> None:
        self.total = 0

    @event("Incremented")
    def increment(self, amount: int = 1) -> None:
        self.total += amount


class Counters(Application):
    name = "counters"


class CounterRows(HandlesEachEvent):
    """Handles only Incremented (Created is ignored, as unknown events must be)."""

    orders_by_entity = False  # a row per increment: a later one need not wait for another

    def __init__(self, name: str = NAME, poison_amount: int | None = None) -> None:
        self.name = name
        self.poison_amount = poison_amount
        self.attempts: Tally[int] = Tally()

    def create_tables(self, cur: psycopg.Cursor, schema: str) -> None:
        # No key on position on purpose: a double-applied event shows up as a duplicate.
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint NOT NULL,"
                " counter_id uuid NOT NULL, amount int NOT NULL)"
            ).format(sql.Identifier(schema, "increments"))
        )

    def handle(self, cur: psycopg.Cursor, schema: str, event: object, position: int) -> None:
        if not isinstance(event, Counter.Incremented):
            return
        self.attempts[position] += 1
        cur.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(
                sql.Identifier(schema, "increments")
            ),
            (position, event.originator_id, event.amount),
        )
        if event.amount == self.poison_amount:  # after the insert: the savepoint must undo it
            raise RuntimeError(f"cannot handle amount {event.amount}")


def counters_app(url: str) -> Counters:
    info = psycopg.conninfo.conninfo_to_dict(url)
    return Counters(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": info["dbname"],
            "POSTGRES_HOST": info.get("host", "127.0.0.1"),
            "POSTGRES_PORT": str(info.get("port", "5432")),
            "POSTGRES_USER": info.get("user", "postgres"),
            "POSTGRES_PASSWORD": info.get("password", ""),
            "POSTGRES_POOL_SIZE": "3",
            "POSTGRES_MAX_OVERFLOW": "3",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "CREATE_TABLE": "y",
        }
    )


@pytest.fixture
def app(fresh_db_url: str) -> Iterator[Counters]:
    application = counters_app(fresh_db_url)
    yield application
    application.close()


@pytest.fixture
def log(app: Counters) -> EventLog:
    return EventLog(app)


def write(app: Counters, counters: int, increments: int, amount: int = 1) -> int:
    """Create `counters` counters with `increments` increments each, in one transaction."""
    aggregates = [Counter() for _ in range(counters)]
    for aggregate in aggregates:
        for _ in range(increments):
            aggregate.increment(amount=amount)
    recordings = app.save(*aggregates)
    return max(r.notification.id for r in recordings)


def rows(url: str, name: str = NAME) -> list[int]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT position FROM {}").format(
            sql.Identifier(live_schema(name), "increments")
        )
        return [r[0] for r in conn.execute(query).fetchall()]


def tracking(url: str, name: str = NAME) -> int:
    """0 until a runner has created the schema (it does so in its own thread)."""
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT position FROM {}").format(
            sql.Identifier(live_schema(name), "_tracking")
        )
        try:
            return conn.execute(query).fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def sessions(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name LIKE %s AND datname = current_database()",
            (f"signalyard-projection-{NAME}-%",),
        ).fetchone()[0]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def start(runner: ProjectionRunner) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def test_exactly_once_while_writers_commit_and_runner_restarts(fresh_db_url, app, log):
    runner = ProjectionRunner(fresh_db_url, CounterRows(), log, batch_size=97)
    thread, stop = start(runner)
    for _ in range(15):  # 15 transactions of 5 Created + 100 Incremented
        write(app, 5, 20)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()

    replacement = ProjectionRunner(fresh_db_url, CounterRows(), log, batch_size=97)
    write(app, 5, 20)
    replacement.run_until(log.head(), timeout=10)
    replacement.close()

    applied = rows(fresh_db_url)
    assert len(applied) == 16 * 100
    assert len(set(applied)) == len(applied)
    assert tracking(fresh_db_url) == log.head()  # ignored Created events advanced it too


def test_runner_wakes_on_notify_not_on_poll(fresh_db_url, app, log):
    runner = ProjectionRunner(fresh_db_url, CounterRows(), log, poll_interval=30)
    thread, stop = start(runner)
    try:
        wait_until(lambda: runner.is_leader, 3, "leadership")
        time.sleep(0.2)  # the runner is now idle in its (30 s) wait
        position = write(app, 1, 1)
        elapsed = wait_until(lambda: tracking(fresh_db_url) >= position, 3, "the event")
        assert elapsed < 0.5
    finally:
        stop.set()
        thread.join(5)


def test_batches_start_at_most_once_per_interval_but_an_idle_model_applies_at_once(
    fresh_db_url, app, log
):
    runner = ProjectionRunner(
        fresh_db_url, CounterRows(), log, poll_interval=30, min_batch_interval=2.0
    )
    thread, stop = start(runner)
    try:
        wait_until(lambda: runner.is_leader, 3, "leadership")
        time.sleep(2.2)  # idle for longer than the interval
        first = write(app, 1, 1)
        assert wait_until(lambda: tracking(fresh_db_url) >= first, 3, "the first event") < 1.0
        second = write(app, 1, 1)  # right after a batch: waits for the interval
        time.sleep(0.8)
        assert tracking(fresh_db_url) < second
        wait_until(lambda: tracking(fresh_db_url) >= second, 5, "the second event")
        assert len(rows(fresh_db_url)) == 2
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()  # stop is honoured during the interval too


def test_one_leader_at_a_time_and_standby_takes_over(fresh_db_url, app, log):
    runners = [ProjectionRunner(fresh_db_url, CounterRows(), log) for _ in range(2)]
    started = [start(r) for r in runners]
    try:
        wait_until(lambda: any(r.is_leader for r in runners), 3, "a leader")
        for _ in range(10):
            write(app, 2, 10)
            assert sum(r.is_leader for r in runners) == 1
            time.sleep(0.03)
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up")
        assert status(fresh_db_url, [CounterRows()], log)[0]["active"] is True

        leader = next(i for i, r in enumerate(runners) if r.is_leader)
        thread, stop = started[leader]
        stop.set()
        thread.join(5)
        standby = runners[1 - leader]
        took = wait_until(lambda: standby.is_leader, 3, "takeover")
        assert took < 1.6  # standbys retry every second
        write(app, 3, 10)
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up by the standby")
    finally:
        for thread, stop in started:
            stop.set()
            thread.join(5)
    applied = rows(fresh_db_url)
    assert len(applied) == 10 * 20 + 30
    assert len(set(applied)) == len(applied)


def test_standby_takes_over_when_the_leader_connection_dies(fresh_db_url, app, log):
    runners = [ProjectionRunner(fresh_db_url, CounterRows(), log) for _ in range(2)]
    started = [start(r) for r in runners]
    try:
        wait_until(lambda: any(r.is_leader for r in runners), 3, "a leader")
        write(app, 2, 10)
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up")
        unsigned = leader_key(NAME) & 0xFFFF_FFFF_FFFF_FFFF
        with psycopg.connect(fresh_db_url, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND granted AND classid::bigint = %s AND objid::bigint = %s"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                (unsigned >> 32, unsigned & 0xFFFF_FFFF),
            ).fetchall()
        assert killed == [(True,)]
        write(app, 2, 10)
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up after the kill")
        assert sum(r.is_leader for r in runners) == 1
        # The runner that lost its session comes back as a standby, not as a second leader.
        wait_until(lambda: sessions(fresh_db_url) == 2, 5, "the killed runner reconnecting")
        assert all(thread.is_alive() for thread, _ in started)
        assert sum(r.is_leader for r in runners) == 1
    finally:
        for thread, stop in started:
            stop.set()
            thread.join(5)
    applied = rows(fresh_db_url)
    assert len(applied) == 40
    assert len(set(applied)) == len(applied)


def test_status_reports_position_head_lag_and_leadership(fresh_db_url, app, log):
    projection = CounterRows()
    ensure_schema(fresh_db_url, [projection])
    head = write(app, 1, 9)
    (before,) = status(fresh_db_url, [projection], log)
    assert before == {
        "name": NAME,
        "position": 0,
        "head": head,
        "lag": head,
        "active": False,
        "quarantined": 0,
        "parked": 0,
        "health": "UNHEALTHY: not running",
    }
    runner = ProjectionRunner(fresh_db_url, projection, log, batch_size=4)
    assert runner.process_batch() == 4
    (during,) = status(fresh_db_url, [projection], log)
    assert (during["position"], during["lag"], during["active"]) == (4, head - 4, True)
    runner.run_until(head, timeout=5)
    runner.close()
    (after,) = status(fresh_db_url, [projection], log)
    assert (after["position"], after["lag"], after["active"]) == (head, 0, False)
    assert after["health"] == "ok"  # no runner, but nothing to do


def test_progress_waiter_wakes_on_progress_and_times_out(fresh_db_url, app, log):
    runner = ProjectionRunner(fresh_db_url, CounterRows(), log)
    first = write(app, 1, 1)
    runner.run_until(first, timeout=5)
    thread, stop = start(runner)

    async def scenario() -> None:
        waiter = ProgressWaiter(fresh_db_url, reconnect_delay=0.1)
        await waiter.start()
        try:
            assert waiter.position(NAME) == first  # loaded on start
            assert await waiter.wait_for([NAME], first, timeout=0) is True

            pending = asyncio.create_task(waiter.wait_for([NAME], first + 2, timeout=5))
            await asyncio.sleep(0.05)
            assert not pending.done()
            began = time.monotonic()
            position = await asyncio.to_thread(write, app, 1, 1)
            assert await pending is True
            assert time.monotonic() - began < 0.5
            assert waiter.position(NAME) >= position

            began = time.monotonic()
            assert await waiter.wait_for([NAME], position + 1000, timeout=0.3) is False
            assert 0.25 < time.monotonic() - began < 0.6
            assert await waiter.wait_for([NAME, "nonexistent"], 1, timeout=0.1) is False

            # A dropped listener connection reconnects and re-reads the positions.
            with psycopg.connect(fresh_db_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'signalyard-progress-waiter'"
                    " AND datname = current_database()"
                )
            position = await asyncio.to_thread(write, app, 1, 1)
            assert await waiter.wait_for([NAME], position, timeout=3) is True
        finally:
            await waiter.stop()

    try:
        asyncio.run(scenario())
    finally:
        stop.set()
        thread.join(5)
