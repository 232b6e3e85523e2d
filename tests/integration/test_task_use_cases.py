"""Use cases of tasks, agent definitions and runtime targets, on the in-memory store and on
Postgres (briefs in a real filesystem blob store); races on Postgres with real threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.core.context import CommandContext, system_context
from domain.core.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    StaleAttempt,
    TransitionRefused,
)
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tasks.service import TaskService
from domain.tasks.submit import Submission
from domain.tenancy.roles import Action
from domain.tenancy.service import TenancyService
from workers.adapters.blobstore import FileBlobStore

PATH = ("acme", "platform", "main", "agents")


class World:
    def __init__(self, store: EventStore, blob_dir: Path) -> None:
        self.store = store
        self.blobs = FileBlobStore(blob_dir)
        self.identity = IdentityService(store)
        self.tenancy = TenancyService(store)
        self.tasks = TaskService(store, self.blobs)
        issued = self.identity.bootstrap_admin("Admin", None)
        assert issued is not None
        self.admin = self.identity.authenticate(issued.secret).context("corr-admin")
        hierarchy = self.tenancy.hierarchy
        hierarchy.create_organization(self.admin, "Acme")
        hierarchy.create_team(self.admin, "acme", "Platform")
        hierarchy.create_workspace(self.admin, "acme", "platform", "Main")
        hierarchy.create_project(self.admin, "acme", "platform", "main", "Agents")

    def member(self, slug: str, role: str) -> CommandContext:
        self.identity.register_user(self.admin, name=slug.title(), slug=slug)
        issued = self.identity.issue_token(self.admin, slug, "t", None)
        self.tenancy.memberships.put_org_member(self.admin, "acme", slug, role)
        return self.identity.authenticate(issued.secret).context(f"corr-{slug}")

    def org_default(self) -> None:
        self.tasks.runtime_targets.create(self.admin, ("acme",), "Local", "local", is_default=True)

    def submit(self, **fields: Any):
        return self.tasks.submit(self.admin, PATH, Submission(**{"brief": "do it", **fields}))


@pytest.fixture
def world(store: EventStore, tmp_path: Path) -> World:
    return World(store, tmp_path / "blobs")


def test_a_submitted_task_is_queued_with_its_brief_in_the_blob_store(world):
    world.org_default()
    result = world.submit(agent_image="acme/agent:1", brief="write the report")
    task = result.entity
    assert (task.status, task.attempt, task.reason) == ("queued", 1, "submitted")
    assert world.blobs.get(task.brief_key) == b"write the report"
    assert task.runtime_target["source"] == "org_default"
    kinds = [type(e).__name__ for e in world.store.history(task.id)]
    assert kinds == ["Submitted", "Queued"]


def test_latest_is_pinned_at_submission_and_later_versions_change_nothing(world):
    world.org_default()
    spec = {"image": "acme/agent:1", "max_cpu": "2"}
    world.tasks.agent_definitions.create(world.admin, "acme", "Coder", spec)
    task = world.submit(agent_definition="coder").entity
    world.tasks.agent_definitions.publish(world.admin, "acme", "coder", {"image": "acme/agent:2"})
    stored = world.store.find(task.id, type(task))
    assert stored.agent_definition["version"] == 1 and stored.agent_image == "acme/agent:1"
    second = world.submit(agent_definition="coder").entity
    assert second.agent_definition["version"] == 2 and second.agent_image == "acme/agent:2"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"agent_definition": "nope"}, "agent_definition"),
        ({"agent_image": "acme/agent:1", "resources": {"cpu": "2"}}, "resources.cpu"),
        ({"agent_image": "acme/agent:1", "callback_url": "https://u:p@x.io/"}, "callback_url"),
        ({"agent_image": "acme/agent:1", "skills": [{"ref": "nope"}]}, "skills.0.ref"),
        ({"agent_image": "acme/agent:1", "runtime_target": "nope"}, "runtime_target"),
        ({}, "agent_image"),
    ],
)
def test_bad_submissions_name_the_field_and_store_nothing(world, fields, field):
    world.org_default()
    before = world.store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as bad:
        world.submit(**fields)
    assert bad.value.field == field
    assert world.store.recorder.max_notification_id() == before


def test_without_any_target_a_submission_is_refused_naming_runtime_target(world):
    with pytest.raises(InvalidInput) as bad:
        world.submit(agent_image="acme/agent:1")
    assert bad.value.field == "runtime_target"


def test_resolution_prefers_the_task_then_project_settings_then_the_nearest_default(world):
    rt = world.tasks.runtime_targets
    rt.create(world.admin, ("acme",), "Org", "local", is_default=True)
    rt.create(world.admin, ("acme", "platform", "main"), "Ws", "local", is_default=True)
    assert world.submit(agent_image="a").entity.runtime_target["source"] == "workspace_default"
    rt.create(world.admin, PATH, "Proj", "kubernetes", namespace="agents", is_default=True)
    assert world.submit(agent_image="a").entity.runtime_target["slug"] == "proj"
    world.tenancy.hierarchy.update(world.admin, PATH, {"settings": {"runtime_target": "ws"}}, None)
    from_settings = world.submit(agent_image="a").entity.runtime_target
    assert (from_settings["slug"], from_settings["source"]) == ("ws", "project_settings")
    named = world.submit(agent_image="a", runtime_target="org").entity.runtime_target
    assert (named["slug"], named["source"]) == ("org", "task")


def test_a_second_default_in_one_scope_is_refused_and_a_moved_default_is_free(world):
    rt = world.tasks.runtime_targets
    first = rt.create(world.admin, ("acme",), "One", "local", is_default=True).entity
    with pytest.raises(Conflict) as taken:
        rt.create(world.admin, ("acme",), "Two", "local", is_default=True)
    assert taken.value.field == "is_default"
    rt.update(world.admin, ("acme",), "one", {"is_default": False}, first.version)
    assert rt.create(world.admin, ("acme",), "Two", "local", is_default=True).entity.is_default


def test_dispatcher_commands_are_fenced_by_the_attempt(world):
    world.org_default()
    task_id = world.submit(agent_image="a").entity.id
    life, ctx = world.tasks.lifecycle, system_context()
    life.claim(ctx, task_id, "d-1", 1)
    life.start(ctx, task_id, 1)
    life.requeue_lost(ctx, task_id, 1)
    with pytest.raises(StaleAttempt):
        life.succeed(ctx, task_id, 1, {"late": True})
    life.claim(ctx, task_id, "d-2", 2)
    life.start(ctx, task_id, 2)
    assert life.succeed(ctx, task_id, 2, {"ok": True}).entity.status == "succeeded"
    with pytest.raises(TransitionRefused) as refused:
        life.cancel(world.admin, PATH, str(task_id))
    assert refused.value.current_status == "succeeded"


def test_operators_submit_cancel_and_retry_viewers_and_operators_do_not_dispatch(world):
    world.org_default()
    operator = world.member("olga", "operator")
    viewer = world.member("vic", "viewer")
    task = world.tasks.submit(operator, PATH, Submission(brief="b", agent_image="a")).entity
    with pytest.raises(PermissionDenied):
        world.tasks.submit(viewer, PATH, Submission(brief="b", agent_image="a"))
    with pytest.raises(PermissionDenied):
        world.tasks.lifecycle.cancel(viewer, PATH, str(task.id))
    with pytest.raises(PermissionDenied):
        world.tasks.lifecycle.claim(operator, task.id, "d", 1)
    world.tasks.lifecycle.cancel(operator, PATH, task.slug)
    assert world.tasks.lifecycle.retry(operator, PATH, task.slug).entity.attempt == 2


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once (a barrier releases them together); their results or errors."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what is asserted
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_of_concurrent_claimers_exactly_one_wins(world):
    world.org_default()
    for _ in range(3):
        task_id = world.submit(agent_image="a").entity.id
        outcomes = race(
            [
                lambda d=d, t=task_id: world.tasks.lifecycle.claim(system_context(), t, f"d-{d}", 1)
                for d in range(6)
            ]
        )
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(o, TransitionRefused) for o in outcomes if o not in winners)
        claimed = [e for e in world.store.history(task_id) if type(e).__name__ == "Claimed"]
        assert [e.dispatcher_id for e in claimed] == [winners[0].entity.dispatcher_id]


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_of_concurrent_default_targets_in_one_scope_exactly_one_wins(world):
    for scope in (("acme",), ("acme", "platform", "main"), PATH):
        outcomes = race(
            [
                lambda n=n, scope=scope: world.tasks.runtime_targets.create(
                    world.admin, scope, f"T{n}", "local", is_default=True
                )
                for n in range(6)
            ]
        )
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        assert len(winners) == 1, outcomes
        losers = [o for o in outcomes if o not in winners]
        assert all(isinstance(o, Conflict) and o.field == "is_default" for o in losers), losers
        default = world.tasks.runtime_targets.default_of(winners[0].entity.scope_id)
        assert default is not None and default.id == winners[0].entity.id


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_task_cancelled_while_being_claimed_ends_one_defined_way(world):
    world.org_default()
    for _ in range(4):
        task = world.submit(agent_image="a").entity
        claim, cancel = race(
            [
                lambda t=task.id: world.tasks.lifecycle.claim(system_context(), t, "d-1", 1),
                lambda t=task.slug: world.tasks.lifecycle.cancel(world.admin, PATH, t, "no"),
            ]
        )
        assert not isinstance(cancel, Exception), cancel
        final = world.tasks.lifecycle.find(world.admin, Action.READ, PATH, task.slug)
        if isinstance(claim, Exception):  # cancelled first: the claim finds it cancelled
            assert isinstance(claim, TransitionRefused) and claim.current_status == "cancelled"
            assert final.status == "cancelled"
        else:  # claimed first: the cancel asks the runtime to stop the attempt
            assert (final.status, final.cancel_requested) == ("dispatched", True)
