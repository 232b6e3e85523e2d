"""Attempt tokens and the agent's use cases, on the in-memory store and on Postgres: a token
is minted only for a live attempt, never stored or published as its secret, refused once
unknown or expired (401) or once its attempt is over (409), and progress is rate-limited
per attempt on what is stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_task_use_cases import World

from domain.core.context import system_context
from domain.core.errors import StaleAttempt, TransitionRefused, Unauthenticated
from domain.plumbing.store import EventStore
from domain.tasks.agent_work import AgentWork, ProgressTooSoon
from domain.tasks.attempt_access import AttemptTokens
from domain.tasks.attempt_tokens import attempt_token_id_for


@pytest.fixture
def world(store: EventStore, tmp_path: Path) -> World:
    made = World(store, tmp_path / "blobs")
    made.org_default()
    return made


def _claimed(world: World) -> Any:
    task = world.submit(agent_image="acme/agent:1", brief="the brief").entity
    world.tasks.lifecycle.claim(system_context(), task.id, "d-1", 1)
    return task


def test_a_token_is_minted_only_for_the_live_attempt(world):
    queued = world.submit(agent_image="acme/agent:1").entity
    tokens = AttemptTokens(world.store)
    with pytest.raises(TransitionRefused) as refused:
        tokens.mint(system_context(), queued.id, 1)
    assert refused.value.current_status == "queued"
    claimed = _claimed(world)
    with pytest.raises(StaleAttempt) as stale:
        tokens.mint(system_context(), claimed.id, 2)
    assert stale.value.current_attempt == 1
    minted = tokens.mint(system_context(), claimed.id, 1)
    grant = tokens.authenticate(minted.secret)
    assert (grant.task_id, grant.attempt, grant.organization_id) == (
        claimed.id,
        1,
        claimed.organization_id,
    )


def test_the_secret_is_in_no_event(world):
    minted = AttemptTokens(world.store).mint(system_context(), _claimed(world).id, 1)
    events = world.store.history(attempt_token_id_for(minted.secret))
    assert len(events) == 1
    assert minted.secret not in repr(vars(events[0]))
    assert minted.secret[4:] not in repr(vars(events[0]))


def test_unknown_and_expired_tokens_are_refused(world):
    task = _claimed(world)
    expired = AttemptTokens(world.store, grace=-timedelta(days=1)).mint(
        system_context(), task.id, 1
    )
    work = AgentWork(world.store, world.blobs)
    for secret in ("sya_unknown", expired.secret):
        with pytest.raises(Unauthenticated):
            work.authenticate(secret)


def test_an_ended_attempt_can_read_nothing_and_report_nothing(world):
    task = _claimed(world)
    minted = AttemptTokens(world.store).mint(system_context(), task.id, 1)
    work = AgentWork(world.store, world.blobs)
    grant = work.authenticate(minted.secret)
    assert work.brief(grant) == b"the brief"
    work.complete(grant, {"ok": True})
    for call in (
        lambda: work.brief(grant),
        lambda: work.complete(grant, {"again": True}),
        lambda: work.fail(grant, "late"),
    ):
        with pytest.raises(TransitionRefused) as refused:
            call()
        assert refused.value.current_status == "succeeded"
    assert world.store.find(task.id, type(task)).result == {"ok": True}


def test_progress_is_rate_limited_per_attempt_on_what_is_stored(world):
    task = _claimed(world)
    minted = AttemptTokens(world.store).mint(system_context(), task.id, 1)
    limited = AgentWork(world.store, world.blobs, progress_interval=timedelta(minutes=1))
    grant = limited.authenticate(minted.secret)
    limited.report_progress(grant, "one", 10)
    with pytest.raises(ProgressTooSoon) as too_soon:
        limited.report_progress(grant, "two", 20)
    assert 1 <= too_soon.value.retry_after <= 60
    unlimited = AgentWork(world.store, world.blobs, progress_interval=timedelta(0))
    unlimited.report_progress(grant, "two", 20)
    stored = world.store.find(task.id, type(task))
    assert (stored.progress["message"], stored.progress["percent"]) == ("two", 20)
