"""A tiny counter application on the library's stock Postgres recorder and a read model
that writes one row per increment: what the projection engine's tests run against."""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from projections.engine.base import HandlesEachEvent, live_schema
from projections.engine.log import EventLog
from projections.engine.runner import ProjectionRunner

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
