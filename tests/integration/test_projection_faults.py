"""Database faults are not poison: a transient error is retried and a lost connection is
made again, and the read model still applies every event exactly once."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from support.counters import (
    CounterRows,
    rows,
    start,
    tracking,
    wait_until,
    write,
)

from projections.engine.operations import list_dead_letters, rebuild
from projections.engine.runner import ProjectionRunner, connect


class FlakyRows(CounterRows):
    """Postgres itself raises `sqlstate` on one event, the first `times` times it is tried."""

    def __init__(self, sqlstate: str, times: int) -> None:
        super().__init__()
        self.sqlstate, self.times = sqlstate, times
        self.position: int | None = None
        self.failures = 0

    def handle(self, cur: psycopg.Cursor, schema: str, event: object, position: int) -> None:
        if position == self.position and self.failures < self.times:
            self.failures += 1
            cur.execute(
                f"DO $$ BEGIN RAISE EXCEPTION 'flaky' USING ERRCODE = '{self.sqlstate}'; END $$"
            )
        super().handle(cur, schema, event, position)


@pytest.mark.parametrize(
    "sqlstate",
    [
        "40001",  # serialization failure
        "40P01",  # deadlock detected
        "53200",  # out of memory
        "53300",  # too many connections
        "55P03",  # lock not available
        "57014",  # query canceled: statement timeout
    ],
)
def test_a_transient_database_error_is_retried_and_nothing_is_quarantined(
    fresh_db_url, app, log, sqlstate
):
    projection = FlakyRows(sqlstate, times=6)  # more than a poison event's attempts
    before = write(app, 1, 3)
    projection.position = before - 1
    runner = ProjectionRunner(fresh_db_url, projection, log)
    thread, stop = start(runner)
    try:
        wait_until(lambda: tracking(fresh_db_url) == before, 10, "the retried batch")
        after = write(app, 1, 2)
        wait_until(lambda: tracking(fresh_db_url) == after, 5, "the next events")
    finally:
        stop.set()
        thread.join(5)
    assert projection.failures == 6
    assert list_dead_letters(fresh_db_url) == []
    applied = rows(fresh_db_url)
    assert len(applied) == 5 and len(set(applied)) == 5


def test_a_data_error_goes_to_the_dead_letters_and_costs_no_other_event(fresh_db_url, app, log):
    projection = FlakyRows("22012", times=100)  # division by zero: the same every time
    head = write(app, 1, 3)
    projection.position = head - 1
    with ProjectionRunner(fresh_db_url, projection, log) as runner:
        runner.run_until(head, timeout=5)
    (letter,) = list_dead_letters(fresh_db_url)
    assert (letter["position"], letter["status"]) == (head - 1, "quarantined")


def test_runner_connections_keep_alive_on_the_client_and_are_told_apart(fresh_db_url):
    with connect(fresh_db_url, "probe") as conn:
        parameters = conn.info.get_parameters()
    assert parameters["keepalives"] == "1"
    assert int(parameters["keepalives_idle"]) <= 30
    assert {"keepalives_interval", "keepalives_count"} <= parameters.keys()
    first, second = (ProjectionRunner(fresh_db_url, CounterRows(), None) for _ in range(2))
    assert first.application_name != second.application_name


def kill(url: str, application_name: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (application_name,),
        ).fetchall()
    return killed == [(True,)]


def test_a_runner_whose_backend_is_killed_reconnects_and_applies_each_event_once(
    fresh_db_url, app, log
):
    runner = ProjectionRunner(fresh_db_url, CounterRows(), log, batch_size=17, poll_interval=30)
    thread, stop = start(runner)
    writing = threading.Event()
    writer = threading.Thread(
        target=lambda: [(write(app, 1, 10), time.sleep(0.01)) for _ in range(40)] and writing.set()
    )
    try:
        wait_until(lambda: runner.is_leader, 3, "leadership")
        writer.start()
        kills = 0
        while writer.is_alive():
            time.sleep(0.1)
            kills += kill(fresh_db_url, runner.application_name)
        writer.join()
        assert kills >= 3
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 10, "catch-up after the kills")
        # Its LISTEN was made again too: a new event wakes it long before its 30 s poll.
        time.sleep(0.2)
        position = write(app, 1, 1)
        assert wait_until(lambda: tracking(fresh_db_url) >= position, 3, "the woken runner") < 1
    finally:
        stop.set()
        thread.join(5)
    applied = rows(fresh_db_url)
    assert len(applied) == 401
    assert len(set(applied)) == len(applied)


def test_a_rebuild_retries_a_transient_error_instead_of_quarantining(fresh_db_url, app, log):
    projection = FlakyRows("40P01", times=5)
    head = write(app, 1, 3)
    projection.position = head - 1
    assert rebuild(fresh_db_url, projection, log) == head
    assert projection.failures == 5
    assert list_dead_letters(fresh_db_url) == []
    assert len(rows(fresh_db_url)) == 3


class SwallowingRows(CounterRows):
    """A handler that catches a database error and carries on in an aborted transaction."""

    def __init__(self, position: int) -> None:
        super().__init__()
        self.position = position

    def handle(self, cur: psycopg.Cursor, schema: str, event: object, position: int) -> None:
        if position == self.position:
            try:
                cur.execute("SELECT 1 / 0")
                cur.fetchone()
            except psycopg.errors.DivisionByZero:
                pass
        super().handle(cur, schema, event, position)


def test_a_handler_that_swallows_a_database_error_costs_only_its_event(fresh_db_url, app, log):
    head = write(app, 1, 3)
    with ProjectionRunner(fresh_db_url, SwallowingRows(head - 1), log) as runner:
        runner.run_until(head, timeout=5)
    (letter,) = list_dead_letters(fresh_db_url)
    assert letter["position"] == head - 1
    assert sorted(rows(fresh_db_url)) == [head - 2, head]
