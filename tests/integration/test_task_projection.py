"""The tasks and infra read models are pure functions of the log: a task's whole life
(claims, reports, a lost dispatcher, cancel, retry) rebuilt twice gives the same rows and
timeline; the overdue query finds live attempts past their deadline; a long task reloads
through its snapshots."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row
from support.stores import event_store

from domain.core.context import system_context
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tasks.service import TaskService
from domain.tasks.submit import Submission
from domain.tasks.task import Task
from domain.tenancy.service import TenancyService
from projections.engine.log import EventLog
from projections.engine.operations import ensure_schema, list_dead_letters, rebuild
from projections.infra.projector import InfraProjection
from projections.tasks.projector import TasksProjection
from projections.tasks.views import tasks as tasks_view
from workers.adapters.blobstore import FileBlobStore

PATH = ("acme", "platform", "main", "agents")


@pytest.fixture
def pg_store(fresh_db_url: str) -> Iterator[EventStore]:
    app = event_store(fresh_db_url)
    yield app
    app.close()


def build(store: EventStore, blob_dir: Path) -> tuple[TaskService, object]:
    identity = IdentityService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("c")
    hierarchy = TenancyService(store).hierarchy
    hierarchy.create_organization(admin, "Acme")
    hierarchy.create_team(admin, "acme", "Platform")
    hierarchy.create_workspace(admin, "acme", "platform", "Main")
    hierarchy.create_project(admin, "acme", "platform", "main", "Agents")
    service = TaskService(store, FileBlobStore(blob_dir))
    service.runtime_targets.create(admin, ("acme",), "Local", "local", is_default=True)
    return service, admin


def write_lives(store: EventStore, blob_dir: Path) -> dict:
    service, admin = build(store, blob_dir)
    defs, life, ctx = service.agent_definitions, service.lifecycle, system_context()
    defs.create(admin, "acme", "Coder", {"image": "acme/coder:1"})
    defs.publish(admin, "acme", "coder", {"image": "acme/coder:2"})
    rolled = defs.roll_back(admin, "acme", "coder", 1, None)
    defs.update(admin, "acme", "coder", {"slug": "writer"}, rolled.version)
    done = service.submit(admin, PATH, Submission(brief="a", agent_definition="writer")).guid
    life.claim(ctx, done, "d-1", 1)
    life.start(ctx, done, 1)
    life.report_progress(ctx, done, 1, {"pct": 50})
    life.succeed(ctx, done, 1, {"pages": 3})
    again = service.submit(admin, PATH, Submission(brief="b", agent_image="x")).guid
    life.claim(ctx, again, "d-1", 1)
    life.requeue_lost(ctx, again, 1)
    life.claim(ctx, again, "d-2", 2)
    life.start(ctx, again, 2)
    service.lifecycle.cancel(admin, PATH, str(again), "stop it")
    life.confirm_cancelled(ctx, again, 2)
    service.lifecycle.retry(admin, PATH, str(again))
    late = service.submit(
        admin, PATH, Submission(brief="c", agent_image="x", timeout_seconds=1)
    ).guid
    life.claim(ctx, late, "d-3", 1)
    return {"done": done, "again": again, "late": late}


def snapshot(url: str) -> dict[str, list[dict]]:
    queries = {
        "tasks": "SELECT * FROM rm_tasks.tasks ORDER BY created_position",
        "timeline": "SELECT * FROM rm_tasks.task_timeline ORDER BY position",
        "definitions": "SELECT * FROM rm_infra.agent_definitions ORDER BY created_position",
        "versions": "SELECT * FROM rm_infra.agent_definition_versions ORDER BY created_position",
        "targets": "SELECT * FROM rm_infra.runtime_targets ORDER BY created_position",
    }
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return {name: conn.execute(q).fetchall() for name, q in queries.items()}


async def overdue(url: str, now: datetime) -> list[dict]:
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        return await tasks_view.list_overdue(conn, now)


def test_rebuilt_twice_the_read_models_hold_each_task_s_whole_life(
    pg_store, fresh_db_url, tmp_path
):
    ids = write_lives(pg_store, tmp_path)
    models = [TasksProjection(), InfraProjection()]
    ensure_schema(fresh_db_url, models)
    for model in models:
        rebuild(fresh_db_url, model, EventLog(pg_store))
        assert list_dead_letters(fresh_db_url, model.name) == []
    rows = snapshot(fresh_db_url)

    done, again, late = rows["tasks"]
    assert (done["status"], done["result"], done["progress"]) == (
        "succeeded",
        {"pages": 3},
        {"pct": 50},
    )
    assert done["finished_at"] is not None and done["agent_definition"]["version"] == 1
    assert done["agent_image"] == "acme/coder:1"
    assert (again["status"], again["attempt"], again["dispatcher_id"]) == ("queued", 3, None)
    assert again["cancel_requested"] is False and again["finished_at"] is None
    assert (late["status"], late["dispatcher_id"]) == ("dispatched", "d-3")
    events = [
        (e["event"], e["status"], e["attempt"], e["dispatcher_id"])
        for e in rows["timeline"]
        if e["task_id"] == ids["again"]
    ]
    assert events == [
        ("Submitted", "pending", 1, None),
        ("Queued", "queued", 1, None),
        ("Claimed", "dispatched", 1, "d-1"),
        ("Requeued", "queued", 2, None),
        ("Claimed", "dispatched", 2, "d-2"),
        ("Started", "running", 2, None),
        ("CancelRequested", None, 2, None),
        ("Cancelled", "cancelled", 2, None),
        ("Requeued", "queued", 3, None),
    ]
    (definition,) = rows["definitions"]
    assert (definition["slug"], definition["current_version"], definition["latest_version"]) == (
        "writer",
        1,
        2,
    )
    assert definition["spec"]["image"] == "acme/coder:1"
    assert [v["spec"]["image"] for v in rows["versions"]] == ["acme/coder:1", "acme/coder:2"]
    (target,) = rows["targets"]
    assert target["is_default"] is True and target["scope_type"] == "org"

    found = asyncio.run(overdue(fresh_db_url, datetime.now(tz=UTC) + timedelta(seconds=5)))
    assert [(r["guid"], r["attempt"]) for r in found] == [(ids["late"], 1)]
    assert asyncio.run(overdue(fresh_db_url, datetime.now(tz=UTC) - timedelta(seconds=5))) == []

    for model in models:
        rebuild(fresh_db_url, model, EventLog(pg_store))
    assert snapshot(fresh_db_url) == rows


def test_a_long_task_reloads_through_its_snapshots(pg_store, tmp_path):
    service, admin = build(pg_store, tmp_path)
    task_id = service.submit(admin, PATH, Submission(brief="a", agent_image="x")).guid
    ctx = system_context()
    service.lifecycle.claim(ctx, task_id, "d-1", 1)
    service.lifecycle.start(ctx, task_id, 1)
    for n in range(60):
        service.lifecycle.report_progress(ctx, task_id, 1, {"n": n})
    assert pg_store.snapshots is not None
    assert list(pg_store.snapshots.get(task_id)), "a snapshot was taken"
    fresh = event_store_like(pg_store)
    try:
        task = fresh.repository.get(task_id)
        assert isinstance(task, Task)
        assert (task.status, task.attempt, task.progress) == ("running", 1, {"n": 59})
        assert task.deadline_at is not None and task.deadline_at.tzinfo is not None
        fresh.repository.get(task_id)  # and again, from the snapshot alone
    finally:
        fresh.close()


def event_store_like(store: EventStore) -> EventStore:
    """A second store on the same database, with an empty cache: it must load from disk."""
    return EventStore(env=dict(store.env))
