"""A quarantined event never leaves an entity's row silently wrong: its entity's later
events wait behind it, a re-drive applies them in order, and rows never move backwards."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row
from support.stores import event_store

from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService
from projections.engine.base import live_schema
from projections.engine.log import EventLog, LogBatch
from projections.engine.operations import (
    ensure_schema,
    list_dead_letters,
    rebuild,
    redrive,
    skip,
    status,
)
from projections.engine.runner import ProjectionRunner
from projections.tenancy.projector import TenancyProjection
from signalyard.cli import main


class TenancyWithPoison(TenancyProjection):
    """The real tenancy model, failing on chosen log positions until they are cleared."""

    def __init__(self) -> None:
        self.poison: set[int] = set()

    def apply(self, cur, schema, batch: LogBatch) -> None:
        hit = self.poison.intersection(n.id for n in batch.notifications)
        if hit:
            raise RuntimeError(f"cannot apply {sorted(hit)}")
        super().apply(cur, schema, batch)


@pytest.fixture
def store(fresh_db_url: str) -> Iterator[EventStore]:
    app = event_store(fresh_db_url)
    yield app
    app.close()


@pytest.fixture
def world(store: EventStore):
    identity = IdentityService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("c")
    tenancy = TenancyService(store)
    tenancy.hierarchy.create_organization(admin, "Acme")
    return tenancy, admin, EventLog(store)


def organization(url: str, slug: str = "acme") -> dict:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(
            f"SELECT name, description, version FROM {live_schema('tenancy')}.organizations"
            " WHERE slug = %s",
            (slug,),
        ).fetchone()


def letters(url: str) -> list[tuple]:
    return [(d["position"], d["status"]) for d in list_dead_letters(url, "tenancy")]


def test_events_behind_a_quarantined_one_are_parked_and_redriven_in_order(fresh_db_url, world):
    tenancy, admin, log = world
    projection = TenancyWithPoison()
    first = tenancy.hierarchy.update(admin, ("acme",), {"name": "Acme Two"}, 1)
    second = tenancy.hierarchy.update(admin, ("acme",), {"description": "d"}, first.version)
    projection.poison.add(first.position)
    with ProjectionRunner(fresh_db_url, projection, log) as runner:
        runner.run_until(log.head(), timeout=5)

    # Not the silently wrong "Acme at version 3": the row waits at version 1.
    assert organization(fresh_db_url) == {"name": "Acme", "description": "", "version": 1}
    quarantined, parked = list_dead_letters(fresh_db_url, "tenancy")
    assert (quarantined["position"], quarantined["status"]) == (first.position, "quarantined")
    assert (parked["position"], parked["status"]) == (second.position, "parked")
    assert f"parked behind dead letter {quarantined['id']}" in parked["error"]
    with pytest.raises(ValueError, match="parked behind"):
        redrive(fresh_db_url, [projection], log, parked["id"])

    projection.poison.clear()
    assert redrive(fresh_db_url, [projection], log, quarantined["id"]) is True
    assert letters(fresh_db_url) == [(first.position, "redriven"), (second.position, "redriven")]
    assert organization(fresh_db_url) == {"name": "Acme Two", "description": "d", "version": 3}

    tenancy.hierarchy.update(admin, ("acme",), {"name": "Acme Three"}, second.version)
    with ProjectionRunner(fresh_db_url, projection, log) as runner:
        runner.run_until(log.head(), timeout=5)
    assert organization(fresh_db_url)["version"] == 4


def test_skipping_a_quarantined_event_hands_its_parked_followers_on(fresh_db_url, world):
    tenancy, admin, log = world
    projection = TenancyWithPoison()
    first = tenancy.hierarchy.update(admin, ("acme",), {"name": "Acme Two"}, 1)
    second = tenancy.hierarchy.update(admin, ("acme",), {"description": "d"}, first.version)
    projection.poison.add(first.position)
    with ProjectionRunner(fresh_db_url, projection, log) as runner:
        runner.run_until(log.head(), timeout=5)
    quarantined, parked = list_dead_letters(fresh_db_url, "tenancy")

    skip(fresh_db_url, quarantined["id"])
    assert letters(fresh_db_url) == [(first.position, "skipped"), (second.position, "quarantined")]
    assert redrive(fresh_db_url, [projection], log, parked["id"]) is True
    assert organization(fresh_db_url) == {"name": "Acme", "description": "d", "version": 3}


def test_an_older_event_applied_again_never_moves_a_row_backwards(fresh_db_url, world):
    tenancy, admin, log = world
    projection = TenancyProjection()
    first = tenancy.hierarchy.update(admin, ("acme",), {"name": "Acme Two"}, 1)
    tenancy.hierarchy.update(admin, ("acme",), {"name": "Acme Three"}, first.version)
    with ProjectionRunner(fresh_db_url, projection, log) as runner:
        runner.run_until(log.head(), timeout=5)

    with psycopg.connect(fresh_db_url) as conn, conn.cursor() as cur:
        old = LogBatch([log.get(first.position)], log)
        projection.apply(cur, live_schema("tenancy"), old)
    assert organization(fresh_db_url) == {"name": "Acme Three", "description": "", "version": 3}


def aborted_rebuild_letter(url: str, world) -> dict:
    """A rebuild that quarantines an organization's update, then is interrupted."""
    tenancy, admin, log = world
    update = tenancy.hierarchy.update(admin, ("acme",), {"name": "Acme Two"}, 1)
    other = tenancy.hierarchy.create_organization(admin, "Other")

    class Interrupted(TenancyWithPoison):
        def apply(self, cur, schema, batch: LogBatch) -> None:
            if any(n.id == other.position for n in batch.notifications):
                raise KeyboardInterrupt  # the operator's ^C, half way through
            super().apply(cur, schema, batch)

    aborted = Interrupted()
    aborted.poison.add(update.position)
    with pytest.raises(KeyboardInterrupt):
        rebuild(url, aborted, log, batch_size=1)
    (letter,) = list_dead_letters(url, "tenancy")
    assert letter["position"] == update.position
    return letter


def test_dead_letters_of_an_aborted_rebuild_are_never_redriven_into_the_live_model(
    fresh_db_url, world
):
    live, log = TenancyWithPoison(), world[2]
    with ProjectionRunner(fresh_db_url, live, log) as runner:
        runner.run_until(log.head(), timeout=5)
    letter = aborted_rebuild_letter(fresh_db_url, world)

    with pytest.raises(ValueError, match="rebuild"):
        redrive(fresh_db_url, [live], log, letter["id"])
    assert organization(fresh_db_url) == {"name": "Acme", "description": "", "version": 1}
    with ProjectionRunner(fresh_db_url, live, log) as runner:  # the live model is unaffected
        runner.run_until(log.head(), timeout=5)
    assert organization(fresh_db_url) == {"name": "Acme Two", "description": "", "version": 2}

    rebuild(fresh_db_url, live, log)  # the next rebuild sets the leftover aside
    assert list_dead_letters(fresh_db_url, "tenancy")[0]["status"] == "abandoned"


def test_the_cli_refuses_such_a_redrive_and_says_why(fresh_db_url, world, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", fresh_db_url)
    ensure_schema(fresh_db_url, [TenancyProjection()])
    letter = aborted_rebuild_letter(fresh_db_url, world)
    assert main(["projections", "redrive", str(letter["id"])]) == 1
    assert "never went live" in capsys.readouterr().err
    assert main(["projections", "redrive", "999"]) == 1
    assert "no dead letter 999" in capsys.readouterr().err


LEGACY_DEAD_LETTERS = """
CREATE SCHEMA projection_meta;
CREATE TABLE projection_meta.dead_letters (
 id bigserial PRIMARY KEY, projection text NOT NULL, position bigint NOT NULL,
 originator_id text, originator_version bigint, topic text, error text NOT NULL,
 attempts integer NOT NULL, status text NOT NULL DEFAULT 'quarantined'
  CHECK (status IN ('quarantined', 'redriven', 'skipped')),
 created_at timestamptz NOT NULL DEFAULT now(), resolved_at timestamptz);
CREATE UNIQUE INDEX dead_letters_open ON projection_meta.dead_letters (projection, position)
 WHERE status = 'quarantined';
CREATE SCHEMA rm_tenancy;
CREATE TABLE rm_tenancy._tracking (only_row boolean PRIMARY KEY DEFAULT true
 CHECK (only_row), position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO rm_tenancy._tracking (position) VALUES (0);
INSERT INTO projection_meta.dead_letters (projection, position, error, attempts)
 VALUES ('tenancy', 1, 'from an older release', 3);
"""


def test_dead_letters_and_tracking_from_an_older_release_are_upgraded_in_place(fresh_db_url, world):
    with psycopg.connect(fresh_db_url) as conn:
        conn.execute(LEGACY_DEAD_LETTERS)
    ensure_schema(fresh_db_url, [TenancyProjection()])
    ensure_schema(fresh_db_url, [TenancyProjection()])  # and again: nothing left to do
    (letter,) = list_dead_letters(fresh_db_url, "tenancy")
    assert (letter["status"], letter["generation"]) == ("quarantined", None)
    log = world[2]
    (report,) = status(fresh_db_url, [TenancyProjection()], log)
    assert report["quarantined"] == 1  # a letter from before generations is the live model's
    skip(fresh_db_url, letter["id"])
    with ProjectionRunner(fresh_db_url, TenancyProjection(), log) as runner:
        runner.run_until(log.head(), timeout=5)
    assert organization(fresh_db_url)["version"] == 1
