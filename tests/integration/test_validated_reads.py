"""Validated reads: on Postgres a command first runs on the cached aggregates with no read,
and its write commits only if nothing it read has changed by then (checked in the write's
own transaction); otherwise it runs again with fresh reads. Two stores on one database
play two API processes, each with its own cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from domain.core.context import system_context
from domain.core.errors import Conflict, NotFound, Unauthenticated
from domain.identity.service import IdentityService, Principal
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.tenancy.hierarchy import Project
from domain.tenancy.service import TenancyService
from signalyard.bootstrap import build_store
from signalyard.settings import Settings

SECRET = "syd_validated_reads_test_token_0001"


@pytest.fixture
def two_processes(fresh_db_url: str) -> Iterator[tuple[EventStore, EventStore]]:
    settings = Settings(database_url=fresh_db_url)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
    here = build_store(settings, fresh_db_url, create_tables=True)
    there = build_store(settings, fresh_db_url)
    try:
        yield here, there
    finally:
        here.close()
        there.close()


def _owner(store: EventStore) -> Principal:
    """Ada owns org acme / team core / workspace main; her token is in `store`'s cache."""
    identity = IdentityService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret)
    identity.register_user(admin.context("setup"), name="Ada", slug="ada")
    identity.issue_token(admin.context("setup"), "ada", "cli", None, secret=SECRET)
    ctx = identity.authenticate(SECRET).context("setup")
    tenancy = TenancyService(store)
    tenancy.hierarchy.create_organization(ctx, "Acme", "acme")
    tenancy.hierarchy.create_team(ctx, "acme", "Core", "core")
    tenancy.hierarchy.create_workspace(ctx, "acme", "core", "Main", "main")
    principal = identity.cached_principal(SECRET)
    assert principal is not None
    return principal


def _count_reads(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> list[list]:
    reads: list[list] = []
    original = store._read_fresh
    monkeypatch.setattr(store, "_read_fresh", lambda ids: reads.append(list(ids)) or original(ids))
    return reads


def _events(store: EventStore) -> int:
    return store.recorder.max_notification_id() or 0


def test_a_warm_command_reads_nothing_and_its_write_is_checked(two_processes, monkeypatch):
    here, there = two_processes
    assert here.validated_reads  # as the composition root wires the group-commit recorder
    principal = _owner(here)
    reads = _count_reads(here, monkeypatch)
    result = TenancyService(here).hierarchy.create_project(
        principal.context("r"), "acme", "core", "main", "Alpha"
    )
    assert reads == []  # path, memberships, slug claim and credential: all from the cache
    stored = there.repository.get(result.entity.id)
    assert isinstance(stored, Project) and stored.name == "Alpha"


def test_a_change_made_elsewhere_refuses_the_write_and_the_fresh_run_decides(
    two_processes, monkeypatch
):
    here, there = two_processes
    principal = _owner(here)
    # Another process deletes the workspace; this one's cache still has it active.
    TenancyService(there).hierarchy.delete(principal.context("r"), ("acme", "core", "main"), None)
    before = _events(here)
    reads = _count_reads(here, monkeypatch)
    with pytest.raises(NotFound, match="workspace .main. not found"):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "X"
        )
    assert _events(here) == before  # the optimistic write was refused, nothing else written
    assert reads  # the second run read the path fresh


def test_a_token_revoked_elsewhere_is_refused_with_nothing_written(two_processes):
    here, there = two_processes
    principal = _owner(here)
    IdentityService(there).revoke_token(system_context(), "ada", principal.token_id)
    before = _events(here)
    with pytest.raises(Unauthenticated):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "Y"
        )
    assert _events(here) == before
    assert IdentityService(here).cached_principal(SECRET) is None  # the cache learned it


def test_what_the_cache_does_not_know_is_read_on_the_second_run(two_processes):
    here, there = two_processes
    principal = _owner(here)
    TenancyService(there).hierarchy.create_workspace(
        principal.context("r"), "acme", "core", "Lab", "lab"
    )
    result = TenancyService(here).hierarchy.create_project(
        principal.context("r"), "acme", "core", "lab", "Beta"
    )
    assert result.version == 1 and result.entity.slug == "beta"


def test_a_taken_slug_is_a_conflict_after_the_fresh_run(two_processes):
    here, there = two_processes
    principal = _owner(here)
    TenancyService(there).hierarchy.create_project(
        principal.context("r"), "acme", "core", "main", "Gamma"
    )
    before = _events(here)
    with pytest.raises(Conflict, match="already taken"):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "Gamma"
        )
    assert _events(here) == before


def test_a_run_that_wrote_is_never_run_again(two_processes):
    here, _ = two_processes
    principal = _owner(here)
    calls: list[int] = []

    def write_then_fail() -> None:
        calls.append(1)
        org = TenancyService(here).resolve.chain("acme").org
        org.update(changes={"description": "once"}, meta=system_context().meta(org.id))
        here.record(org)
        raise RuntimeError("after the write")

    before = _events(here)
    with pytest.raises(RuntimeError, match="after the write"):
        run_in_session(here, principal.context("r").credential, write_then_fail)
    assert calls == [1] and _events(here) == before + 1


def test_a_database_failure_is_not_run_again(two_processes, monkeypatch):
    here, _ = two_processes
    principal = _owner(here)
    appends: list[int] = []

    def timing_out(*args, **kwargs):
        appends.append(1)
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(here.recorder, "insert_events", timing_out)
    with pytest.raises(OperationalError):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "Z"
        )
    assert appends == [1]  # a saturated database is not given the same work twice


def _stored(originator_id: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(originator_id, version, "tests:Event", b"{}")


def test_the_recorder_refuses_a_member_whose_read_set_moved(two_processes):
    here, _ = two_processes
    recorder = here.recorder
    read, absent, written = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    recorder.insert_events([_stored(read, 1)])
    with pytest.raises(IntegrityError):  # read at version 0 (absent) but it has 1 now
        recorder.insert_events([_stored(written, 1)], read_set=[(read, 0)])
    assert recorder.select_events(written) == []
    ids = recorder.insert_events([_stored(written, 1)], read_set=[(read, 1), (absent, 0)])
    assert ids is not None and len(ids) == 1
    with pytest.raises(ValueError):  # tracked (process) inserts take no read set
        recorder.insert_events([], tracking=object(), read_set=[(read, 1)])


def _meanwhile(store: EventStore, monkeypatch: pytest.MonkeyPatch, change) -> list[int]:
    """Run `change` (in another process) just before this store's first write made with
    fresh reads: between that run's reads and its commit."""
    done: list[int] = []
    original = store.save

    def save(*aggregates, **kwargs):
        session = store.sessions.current
        if not done and session is not None and not session.optimistic:
            done.append(1)
            change()
        return original(*aggregates, **kwargs)

    monkeypatch.setattr(store, "save", save)
    return done


def test_a_revocation_between_a_fresh_runs_reads_and_its_write_refuses_the_write(
    two_processes, monkeypatch
):
    here, there = two_processes
    principal = _owner(here)
    workspace = TenancyService(here).resolve.chain("acme", "core", "main").workspace
    here.cache.discard(workspace.id)  # the optimistic run cannot decide: a fresh run does
    revoked = _meanwhile(
        here,
        monkeypatch,
        lambda: IdentityService(there).revoke_token(system_context(), "ada", principal.token_id),
    )
    before = _events(there)
    with pytest.raises(Unauthenticated):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "P"
        )
    assert revoked == [1]
    assert _events(there) == before + 1  # the revocation only


def test_a_deletion_between_a_fresh_runs_reads_and_its_write_refuses_the_write(
    two_processes, monkeypatch
):
    here, there = two_processes
    principal = _owner(here)
    workspace = TenancyService(here).resolve.chain("acme", "core", "main").workspace
    here.cache.discard(workspace.id)
    deleted = _meanwhile(
        here,
        monkeypatch,
        lambda: TenancyService(there).hierarchy.delete(
            principal.context("d"), ("acme", "core", "main"), None
        ),
    )
    before = _events(there)
    with pytest.raises(NotFound):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "Q"
        )
    assert deleted == [1]
    assert _events(there) == before + 1  # the deletion only


def test_a_freshly_authenticated_token_revoked_before_the_write_is_refused(two_processes):
    here, there = two_processes
    _owner(here)
    principal = IdentityService(here).authenticate(SECRET)  # read now, not from the cache
    assert principal.checked
    IdentityService(there).revoke_token(system_context(), "ada", principal.token_id)
    before = _events(there)
    with pytest.raises(Unauthenticated):
        TenancyService(here).hierarchy.create_project(
            principal.context("r"), "acme", "core", "main", "R"
        )
    assert _events(there) == before


def test_a_snapshot_that_fails_after_the_commit_does_not_fail_the_command(
    two_processes, monkeypatch
):
    here, _ = two_processes
    principal = _owner(here)
    calls: list[int] = []

    def broken_put(*args, **kwargs):
        calls.append(1)
        raise OperationalError("snapshot store unavailable")

    monkeypatch.setattr(here, "snapshotting_intervals", {Project: 1})
    monkeypatch.setattr(here.snapshots, "put", broken_put)
    before = _events(here)
    result = TenancyService(here).hierarchy.create_project(
        principal.context("r"), "acme", "core", "main", "Snap"
    )
    assert calls == [1]  # tried once, after the commit
    assert result.entity.slug == "snap" and _events(here) == before + 2  # project + slug claim
