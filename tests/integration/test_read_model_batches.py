"""The read models fold a batch's writes: whatever the batch size, their tables must hold
exactly what applying the log one event at a time gives, row by row."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from support.mixed_log import write_mixed_log

from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService
from projections.catalog.projector import CatalogProjection
from projections.engine.base import Projection
from projections.engine.log import EventLog, LogBatch
from projections.engine.operations import list_dead_letters
from projections.engine.rebuild import build_from_log, start_fresh
from projections.engine.runner import connect
from projections.identity.projector import IdentityProjection
from projections.tenancy.projector import TenancyProjection
from signalyard.bootstrap import event_store_env
from signalyard.settings import Settings

READ_MODELS = [TenancyProjection(), IdentityProjection(), CatalogProjection()]
Tables = dict[str, list[tuple]]


@pytest.fixture(scope="module")
def mixed_log(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventLog]:
    settings = Settings(database_url=module_db_url)
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    store = EventStore(env=event_store_env(settings, module_db_url, create_tables=True))
    write_mixed_log(store, tmp_path_factory.mktemp("blobs"))
    yield EventLog(store)
    store.close()


def build(url: str, projection: Projection, log: EventLog, schema: str, batch_size: int) -> Tables:
    """The tables of a fresh schema after applying the whole log in batches of batch_size."""
    with connect(url, "test-batches") as conn:
        start_fresh(conn, projection, schema)
        built = build_from_log(conn, projection, schema, log, batch_size=batch_size)
        assert built.position == log.head()
        return tables_of(conn, schema)


def tables_of(conn: psycopg.Connection, schema: str) -> Tables:
    names = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> '_tracking'"
        " ORDER BY 1",
        (schema,),
    ).fetchall()
    return {
        name: conn.execute(
            sql.SQL("SELECT * FROM {} t ORDER BY t::text").format(sql.Identifier(schema, name))
        ).fetchall()
        for (name,) in names
    }


@pytest.mark.parametrize("projection", READ_MODELS, ids=lambda p: p.name)
def test_batches_of_any_size_give_the_rows_of_one_event_at_a_time(
    module_db_url, mixed_log, projection
):
    one_by_one = build(module_db_url, projection, mixed_log, f"one_{projection.name}", 1)
    empty = [name for name, rows in one_by_one.items() if not rows]
    assert not empty, f"the log leaves {empty} empty: it no longer covers every event kind"

    # 2 and 5: changes in the batch of their create and in later ones; 1000: all in one.
    for size in (2, 5, 1000):
        batched = build(module_db_url, projection, mixed_log, f"b{size}_{projection.name}", size)
        assert batched.keys() == one_by_one.keys()
        for name, rows in one_by_one.items():
            assert batched[name] == rows, f"{name} differs in batches of {size}"
    assert list_dead_letters(module_db_url, projection.name) == []


def test_the_log_lands_in_the_rows_the_use_cases_describe(module_db_url, mixed_log):
    """Spot checks that the rows compared above are right, not merely alike."""
    build(module_db_url, TenancyProjection(), mixed_log, "rm_tenancy", 1000)
    build(module_db_url, IdentityProjection(), mixed_log, "rm_identity", 1000)
    build(module_db_url, CatalogProjection(), mixed_log, "rm_catalog", 1000)
    with psycopg.connect(module_db_url) as conn:

        def by_slug(query: str) -> dict[str, tuple]:
            return {slug: tuple(rest) for slug, *rest in conn.execute(query).fetchall()}

        assert by_slug(
            "SELECT slug, name, website, description, version FROM rm_tenancy.organizations"
        )["acme-inc"] == ("Acme Inc", "https://acme.test", "Anvils", 11)
        assert by_slug(
            "SELECT slug, settings, deleted_at IS NOT NULL, version FROM rm_tenancy.projects"
        ) == {"roadrunner": ({"a": 2}, True, 3), "coyote": ({}, False, 3)}
        assert by_slug("SELECT slug, name, role FROM rm_tenancy.groups") == {
            "ops": ("Ops", "member")
        }
        assert by_slug("SELECT slug, role, version FROM rm_tenancy.team_members") == {
            "ann": ("maintainer", 4)
        }
        assert by_slug(
            "SELECT slug, email, is_active, deleted_at IS NOT NULL FROM rm_identity.users"
        ) == {
            "admin": (None, True, False),
            "ann": ("ann@acme.example", True, True),
            "bob": ("bob@example.com", True, False),  # deleted, then restored
            "cy": ("cy@example.com", True, False),  # deactivated, then active again
        }
        assert by_slug("SELECT name, revoked_at IS NOT NULL FROM rm_identity.tokens") == {
            "bootstrap": (False,),
            "ci": (True,),
            "laptop": (False,),
        }
        assert by_slug(
            "SELECT slug, current_version, latest_version, deleted_at FROM rm_catalog.skills"
        ) == {"forms": (1, 2, None)}
        assert by_slug(
            "SELECT slug, current_version, latest_version, content, description,"
            " deleted_at IS NOT NULL FROM rm_catalog.configs"
        ) == {"agent": (1, 3, {"model": "a"}, "Rolled back", True)}


class FailsAt:
    """A read model whose batches fail whenever they hold one position: after writing."""

    def __init__(self, projection: Projection, position: int) -> None:
        self.inner, self.position = projection, position
        self.name = f"{projection.name}_poisoned"

    def create_tables(self, cur: psycopg.Cursor, schema: str) -> None:
        self.inner.create_tables(cur, schema)

    def apply(self, cur: psycopg.Cursor, schema: str, batch: LogBatch) -> None:
        self.inner.apply(cur, schema, batch)
        if any(n.id == self.position for n in batch.notifications):
            raise RuntimeError(f"poison at {self.position}")


# An event each model applies that later events of the log build on.
POISON = {
    "tenancy": ("domain.tenancy.hierarchy:Project.Created", 0),
    "identity": ("domain.identity.user:User.Registered", 1),
    "catalog": ("domain.catalog.config:Config.Created", 0),
}


@pytest.mark.parametrize("projection", READ_MODELS, ids=lambda p: p.name)
def test_a_poison_event_in_a_batch_costs_only_itself_and_its_entitys_later_events(
    module_db_url, mixed_log, projection
):
    """The failing batch is rolled back and applied event by event: the others land, but
    the later events of the poison event's entity are parked behind it."""
    topic, nth = POISON[projection.name]
    poison = [n.id for n in mixed_log.read(0, 10_000) if n.topic == topic][nth]
    failing = FailsAt(projection, poison)
    one_by_one = build(module_db_url, failing, mixed_log, f"p1_{projection.name}", 1)
    batched = build(module_db_url, failing, mixed_log, f"p50_{projection.name}", 50)
    assert batched == one_by_one
    assert batched != build(module_db_url, projection, mixed_log, f"ok_{projection.name}", 50)
    letters = list_dead_letters(module_db_url, failing.name)
    assert len({d["generation"] for d in letters}) == 2  # one set per schema built
    for generation in {d["generation"] for d in letters}:
        first, *parked = [d for d in letters if d["generation"] == generation]
        assert (first["position"], first["status"], first["topic"]) == (
            poison,
            "quarantined",
            topic,
        )
        assert {(d["status"], d["originator_id"]) for d in parked} <= {
            ("parked", first["originator_id"])
        }


def store_unreadable(url: str, topic: str) -> int:
    """An event as a broken deploy could leave it: state that is not even JSON."""
    with psycopg.connect(url) as conn:
        conn.execute("LOCK TABLE eventstore.signalyard_events IN EXCLUSIVE MODE")
        return conn.execute(
            "INSERT INTO eventstore.signalyard_events"
            " (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, %s, 'not json') RETURNING notification_id",
            (topic,),
        ).fetchone()[0]


def test_undecodable_events_cost_only_the_models_that_use_them(fresh_db_url):
    """A topic no class answers to is quarantined by every model; an event whose state
    cannot be read, only by the models that apply its kind (the others never decode it)."""
    settings = Settings(database_url=fresh_db_url)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    store = EventStore(env=event_store_env(settings, fresh_db_url, create_tables=True))
    try:
        identity = IdentityService(store)
        admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret)
        ctx = admin.context("u")
        tenancy = TenancyService(store)
        tenancy.hierarchy.create_organization(ctx, "Acme")
        missing = store_unreadable(fresh_db_url, "nowhere:Missing")
        bad_team = store_unreadable(fresh_db_url, "domain.tenancy.hierarchy:Team.Created")
        tenancy.hierarchy.create_team(ctx, "acme", "Core")
        identity.register_user(ctx, "Ann", "ann")
        log = EventLog(store)
        built = {p.name: build(fresh_db_url, p, log, f"u_{p.name}", 1000) for p in READ_MODELS}
    finally:
        store.close()

    assert [row[1] for row in built["tenancy"]["teams"]] == ["core"]  # the slug
    assert sorted(row[1] for row in built["identity"]["users"]) == ["admin", "ann"]
    quarantined = {
        name: [(d["position"], d["error"][:14]) for d in list_dead_letters(fresh_db_url, name)]
        for name in built
    }
    assert quarantined == {
        "tenancy": [(missing, "cannot decode:"), (bad_team, "cannot decode:")],
        "identity": [(missing, "cannot decode:")],
        "catalog": [(missing, "cannot decode:")],
    }
