"""`projections status` shows a read model UNHEALTHY while anything keeps it from being
right and current: open dead letters, parked events, a retried error, a stopped runner."""

from __future__ import annotations

import psycopg
from support.counters import (
    Counter,
    CounterRows,
    start,
    tracking,
    wait_until,
    write,
)

from projections.engine.base import live_schema
from projections.engine.log import EventLog
from projections.engine.operations import ensure_schema, list_dead_letters, skip, status
from projections.engine.runner import ProjectionRunner
from signalyard.cli import STATUS_COLUMNS, format_table


class OrderedCounterRows(CounterRows):
    orders_by_entity = True


def health(url: str, projection, log: EventLog, **kwargs) -> dict:
    (report,) = status(url, [projection], log, **kwargs)
    return report


def test_open_and_parked_dead_letters_make_a_model_unhealthy(fresh_db_url, app, log):
    projection = OrderedCounterRows(poison_amount=13)
    write(app, 1, 2)
    with ProjectionRunner(fresh_db_url, projection, log) as runner:
        runner.run_until(log.head(), timeout=5)
        assert health(fresh_db_url, projection, log)["health"] == "ok"

        counter = Counter()
        counter.increment(amount=13)
        counter.increment(amount=1)
        app.save(counter)
        runner.run_until(log.head(), timeout=5)
        report = health(fresh_db_url, projection, log)
        assert (report["quarantined"], report["parked"]) == (1, 1)
        assert report["health"] == "UNHEALTHY: 1 quarantined, 1 parked"
        table = format_table([report], STATUS_COLUMNS)
        assert table.splitlines()[0].split()[-2:] == ["parked", "health"]

        quarantined = list_dead_letters(fresh_db_url, status="quarantined")[0]
        skip(fresh_db_url, quarantined["id"])  # its follower is next in line
        assert health(fresh_db_url, projection, log)["health"] == "UNHEALTHY: 1 quarantined"


def test_a_runner_retrying_a_transient_error_shows_unhealthy_until_it_recovers(
    fresh_db_url, app, log
):
    projection = CounterRows()
    impatient = fresh_db_url + " options='-c lock_timeout=50'"
    runner = ProjectionRunner(impatient, projection, log)
    thread, stop = start(runner)
    try:
        wait_until(lambda: runner.is_leader, 3, "leadership")
        with psycopg.connect(fresh_db_url) as blocker:
            blocker.execute(f"LOCK TABLE {live_schema(projection.name)}.increments")
            position = write(app, 1, 1)
            wait_until(
                lambda: "retrying" in health(fresh_db_url, projection, log)["health"],
                5,
                "the retry to show",
            )
            assert "55P03" in health(fresh_db_url, projection, log)["health"]
        wait_until(lambda: tracking(fresh_db_url) >= position, 5, "the recovery")
        wait_until(
            lambda: health(fresh_db_url, projection, log)["health"] == "ok", 3, "healthy again"
        )
    finally:
        stop.set()
        thread.join(5)


def test_a_model_behind_the_head_with_no_runner_or_a_stuck_one_is_unhealthy(fresh_db_url, app, log):
    projection = CounterRows()
    ensure_schema(fresh_db_url, [projection])
    assert health(fresh_db_url, projection, log)["health"] == "ok"  # nothing to do yet
    write(app, 1, 1)
    assert health(fresh_db_url, projection, log)["health"] == "UNHEALTHY: not running"

    runner = ProjectionRunner(fresh_db_url, projection, log)  # no lock timeout: it waits
    thread, stop = start(runner)
    try:
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up")
        with psycopg.connect(fresh_db_url) as blocker:
            blocker.execute(f"LOCK TABLE {live_schema(projection.name)}.increments")
            write(app, 1, 1)
            wait_until(
                lambda: (
                    "not advancing"
                    in health(fresh_db_url, projection, log, stalled_after=0.3)["health"]
                ),
                5,
                "the stall to show",
            )
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up")
        assert health(fresh_db_url, projection, log, stalled_after=0.3)["health"] == "ok"
    finally:
        stop.set()
        thread.join(5)
