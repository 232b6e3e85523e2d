"""The read-model framework against real Postgres: a tiny counter application on the
library's stock Postgres recorder, and a projection that writes one row per increment."""

from __future__ import annotations

import asyncio
import time

import psycopg
from support.counters import (
    NAME,
    CounterRows,
    rows,
    sessions,
    start,
    tracking,
    wait_until,
    write,
)

from projections.engine.base import leader_key
from projections.engine.operations import ensure_schema, status
from projections.engine.runner import ProjectionRunner
from projections.engine.waiter import ProgressWaiter


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
