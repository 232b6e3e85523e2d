"""Dead letters, re-drive, skip and rebuild of a read model, against real Postgres."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from support.counters import (
    NAME,
    Counter,
    CounterRows,
    Counters,
    rows,
    start,
    tracking,
    wait_until,
    write,
)

from projections.engine.base import live_schema, rebuild_key
from projections.engine.operations import (
    DeadLetterNotFound,
    RebuildInProgress,
    list_dead_letters,
    rebuild,
    redrive,
    skip,
    status,
)
from projections.engine.runner import ProjectionRunner


def save_amounts(app: Counters, *amounts: int) -> list[int]:
    """One counter incremented by each amount; returns the increments' positions."""
    counter = Counter()
    for amount in amounts:
        counter.increment(amount=amount)
    return [r.notification.id for r in app.save(counter)][1:]


def test_poison_event_is_quarantined_and_can_be_redriven_or_skipped(fresh_db_url, app, log):
    projection = CounterRows(poison_amount=13)
    ok, poison, later = save_amounts(app, 1, 13, 2)
    runner = ProjectionRunner(fresh_db_url, projection, log)
    runner.run_until(log.head(), timeout=5)

    assert sorted(rows(fresh_db_url)) == [ok, later]  # the read model did not halt
    assert tracking(fresh_db_url) == log.head()
    # once in the pipelined batch, then max_attempts times on its own
    assert projection.attempts[poison] == 1 + 3
    (letter,) = list_dead_letters(fresh_db_url, NAME)
    assert (letter["position"], letter["status"], letter["attempts"]) == (poison, "quarantined", 3)
    assert letter["topic"].endswith("Counter.Incremented")
    assert letter["originator_version"] == 3
    assert "cannot handle amount 13" in letter["error"]
    assert status(fresh_db_url, [projection], log)[0]["quarantined"] == 1

    assert redrive(fresh_db_url, [projection], log, letter["id"]) is False  # still broken
    (letter,) = list_dead_letters(fresh_db_url, NAME)
    assert (letter["status"], letter["attempts"]) == ("quarantined", 4)
    assert poison not in rows(fresh_db_url)

    projection.poison_amount = None  # "deploy the fix"
    assert redrive(fresh_db_url, [projection], log, letter["id"]) is True
    (letter,) = list_dead_letters(fresh_db_url, NAME)
    assert letter["status"] == "redriven" and letter["resolved_at"] is not None
    assert sorted(rows(fresh_db_url)) == [ok, poison, later]
    with pytest.raises(ValueError):
        redrive(fresh_db_url, [projection], log, letter["id"])

    projection.poison_amount = 13
    poison2, later2 = save_amounts(app, 13, 5)
    runner.run_until(log.head(), timeout=5)
    runner.close()
    assert later2 in rows(fresh_db_url)
    (second,) = list_dead_letters(fresh_db_url, NAME, status="quarantined")
    assert second["position"] == poison2
    skip(fresh_db_url, second["id"])
    assert list_dead_letters(fresh_db_url, NAME, status="skipped")[0]["id"] == second["id"]
    assert status(fresh_db_url, [projection], log)[0]["quarantined"] == 0
    with pytest.raises(DeadLetterNotFound):
        skip(fresh_db_url, second["id"])


def test_undecodable_stored_event_is_quarantined_not_fatal(fresh_db_url, app, log):
    (before,) = save_amounts(app, 1)
    with psycopg.connect(fresh_db_url) as conn:
        conn.execute("LOCK TABLE counters_events IN EXCLUSIVE MODE")
        conn.execute(
            "INSERT INTO counters_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, 'nowhere:Missing', '{}')"
        )
    (after,) = save_amounts(app, 2)
    runner = ProjectionRunner(fresh_db_url, CounterRows(), log)
    runner.run_until(log.head(), timeout=5)
    runner.close()
    assert sorted(rows(fresh_db_url)) == [before, after]
    (letter,) = list_dead_letters(fresh_db_url, NAME)
    assert letter["topic"] == "nowhere:Missing" and "cannot decode" in letter["error"]


def test_rebuild_while_serving_never_shows_fewer_rows(fresh_db_url, app, log):
    runner = ProjectionRunner(fresh_db_url, CounterRows(), log, batch_size=50)
    thread, stop = start(runner)
    seen: list[int] = []
    errors: list[Exception] = []
    done = threading.Event()

    def read_continuously() -> None:
        with psycopg.connect(fresh_db_url, autocommit=True) as conn:
            while not done.is_set():
                try:
                    seen.append(
                        conn.execute(f"SELECT count(*) FROM {schema}.increments").fetchone()[0]
                    )
                except Exception as exc:  # noqa: BLE001 - the assertion reports them
                    errors.append(exc)

    def keep_writing() -> None:
        for _ in range(10):
            write(app, 1, 10)
            time.sleep(0.02)

    schema = live_schema(NAME)
    try:
        write(app, 10, 200)
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 10, "initial catch-up")
        before = len(rows(fresh_db_url))
        reader = threading.Thread(target=read_continuously)
        writer = threading.Thread(target=keep_writing)
        reader.start()
        writer.start()
        final = rebuild(fresh_db_url, CounterRows(), log, batch_size=200)
        writer.join()
        time.sleep(0.1)
        done.set()
        reader.join()
        assert final >= before
        # The live runner carries on in the swapped-in schema.
        write(app, 1, 10)
        wait_until(lambda: tracking(fresh_db_url) == log.head(), 5, "catch-up after the swap")
    finally:
        done.set()
        stop.set()
        thread.join(5)

    assert not errors
    assert len(seen) > 10 and min(seen) >= before
    applied = rows(fresh_db_url)
    assert len(applied) == 2000 + 100 + 10
    assert len(set(applied)) == len(applied)
    with psycopg.connect(fresh_db_url) as conn:
        left = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm_%'")
        assert [r[0] for r in left.fetchall()] == [schema]


def test_rebuild_records_dead_letters_once_and_resolves_fixed_ones(fresh_db_url, app, log):
    ok, first, second = save_amounts(app, 1, 13, 13)
    broken = CounterRows(poison_amount=13)
    assert rebuild(fresh_db_url, broken, log) == log.head()  # no live model yet: created
    letters = list_dead_letters(fresh_db_url, NAME)
    assert [(d["position"], d["status"]) for d in letters] == [
        (first, "quarantined"),
        (second, "quarantined"),
    ]
    skip(fresh_db_url, letters[1]["id"])

    rebuild(fresh_db_url, broken, log)  # still broken: the open letter is updated, not doubled
    letters = list_dead_letters(fresh_db_url, NAME)
    assert [(d["position"], d["status"], d["attempts"]) for d in letters] == [
        (first, "quarantined", 6),
        (second, "skipped", 3),
    ]
    assert rows(fresh_db_url) == [ok]

    rebuild(fresh_db_url, CounterRows(), log)  # fixed: the event is in the new model
    assert list_dead_letters(fresh_db_url, NAME)[0]["status"] == "redriven"
    assert sorted(rows(fresh_db_url)) == [ok, first, second]

    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (rebuild_key(NAME),))
        with pytest.raises(RebuildInProgress):
            rebuild(fresh_db_url, CounterRows(), log)
