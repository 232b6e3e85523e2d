"""The agent-facing API over HTTP: an attempt token reads its own task's brief, pinned skill
bundles and configs, reports progress and heartbeats, appends output, completes or fails —
and nothing else: no other task, org, normal or secret route, nothing once its attempt is
over (succeeded, cancelled, re-queued), nothing once expired; a user's token gets nothing
from the agent API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from support.api import assert_problem, created, make_tree
from support.skill_bundles import as_json_files, realistic_files, skill_md

from domain.core.context import system_context
from domain.tasks.attempt_access import AttemptTokens
from domain.tasks.attempt_tokens import attempt_token_id_for
from domain.tasks.lifecycle import TaskLifecycle
from signalyard.bootstrap import build_store, database_url

AGENT = "/v1/agent/attempt"
READS = [AGENT, f"{AGENT}/brief", f"{AGENT}/skills/pdf/bundle", f"{AGENT}/configs/llm-defaults"]
WRITES: list[tuple[str, dict[str, Any]]] = [
    (f"{AGENT}/progress", {"json": {"message": "half way", "percent": 50}}),
    (f"{AGENT}/heartbeat", {}),
    (f"{AGENT}/output", {"content": b"line\n", "headers": {"Content-Type": "text/plain"}}),
    (f"{AGENT}:complete", {"json": {"result": {"ok": True}}}),
    (f"{AGENT}:fail", {"json": {"message": "gave up"}}),
]


@pytest.fixture(scope="module")
def store(stack) -> Iterator[Any]:
    built = build_store(stack.settings, database_url(stack.settings))
    try:
        yield built
    finally:
        built.close()


@dataclass
class Attempt:
    tree: Any
    task: dict
    token: str

    @property
    def task_id(self) -> UUID:
        return UUID(self.task["guid"])

    @property
    def path(self) -> str:
        return f"{self.tree.project_path}/tasks/{self.task['guid']}"


def _tree(admin) -> Any:
    tree = make_tree(admin, "agentapi")
    org = tree.org_path
    created(
        admin.post(
            f"{org}/runtime-targets",
            json={"name": "Local", "backend_type": "local", "is_default": True},
        )
    )
    files = as_json_files({**realistic_files(), "SKILL.md": skill_md()})
    created(admin.post(f"{org}/skills", json={"category": "docs", "slug": "pdf", "files": files}))
    created(admin.post(f"{org}/skills", json={"category": "docs", "slug": "other", "files": files}))
    body = {"name": "LLM defaults", "category": "llm", "content": {"model": "small"}}
    created(admin.post(f"{org}/configs", json=body))
    return tree


def _running(admin, store, tree, brief: str = "fill in the form", **grace: Any) -> Attempt:
    """A task claimed and started as a dispatcher would, with its attempt's token."""
    sent = admin.post(
        f"{tree.project_path}/tasks",
        json={
            "brief": brief,
            "agent_image": "acme/agent:1",
            "skills": [{"ref": "pdf"}],
            "configs": [{"ref": "llm-defaults"}],
            "input": {"pages": 3},
        },
    )
    assert sent.status_code == 202, sent.text
    task = sent.json()
    task_id, ctx = UUID(task["guid"]), system_context()
    lifecycle = TaskLifecycle(store)
    lifecycle.claim(ctx, task_id, "test-dispatcher", 1)
    lifecycle.start(ctx, task_id, 1)
    tokens = AttemptTokens(store, **grace)
    return Attempt(tree, task, tokens.mint(ctx, task_id, 1).secret)


@pytest.fixture(scope="module")
def tree(stack) -> Any:
    with stack.admin() as admin:
        return _tree(admin)


def _task(admin, attempt: Attempt, after) -> dict:
    got = admin.get(attempt.path, params={"min_position": after.headers["X-Signalyard-Position"]})
    assert got.status_code == 200, got.text
    return got.json()


def test_a_token_reads_its_attempt_brief_pinned_bundles_and_configs(stack, admin, store, tree):
    attempt = _running(admin, store, tree)
    with stack.client(attempt.token) as agent:
        info = agent.get(AGENT)
        brief = agent.get(f"{AGENT}/brief")
        bundle = agent.get(f"{AGENT}/skills/pdf/bundle")
        skill_guid = info.json()["skills"][0]["guid"]
        by_guid = agent.get(f"{AGENT}/skills/{skill_guid}/bundle")
        config = agent.get(f"{AGENT}/configs/llm-defaults")
        unpinned = agent.get(f"{AGENT}/skills/other/bundle")
        unknown = agent.get(f"{AGENT}/configs/nothing-here")
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["task_id"] == attempt.task["guid"] and body["attempt"] == 1
    assert body["status"] == "running" and body["input"] == {"pages": 3}
    assert [(s["name"], s["version"]) for s in body["skills"]] == [("pdf", 1)]
    assert [(c["name"], c["version"]) for c in body["configs"]] == [("llm-defaults", 1)]
    assert brief.status_code == 200 and brief.text == "fill in the form"
    assert brief.headers["content-type"].startswith("text/markdown")
    published = admin.get(f"{tree.org_path}/skills/pdf/versions/1/bundle")
    assert bundle.status_code == 200 and bundle.content == published.content
    assert bundle.headers["content-type"] == "application/zip"
    assert by_guid.content == published.content
    assert config.status_code == 200 and config.json()["content"] == {"model": "small"}
    assert_problem(unpinned, 404)
    assert_problem(unknown, 404)


def test_a_token_reaches_nothing_but_its_own_attempt(stack, admin, store, tree):
    mine = _running(admin, store, tree, brief="mine")
    theirs = _running(admin, store, tree, brief="theirs")
    elsewhere = _tree(admin)
    foreign = _running(admin, store, elsewhere, brief="another org's")
    other_org_skill = admin.get(f"{elsewhere.org_path}/skills/pdf").json()["guid"]
    with stack.client(mine.token) as agent:
        assert agent.get(f"{AGENT}/brief").text == "mine"
        assert agent.get(AGENT).json()["task_id"] == mine.task["guid"]
        assert_problem(agent.get(f"{AGENT}/skills/{other_org_skill}/bundle"), 404)
        for path in (
            "/v1/me",
            "/v1/orgs",
            mine.tree.org_path,
            mine.path,
            theirs.path,
            f"{theirs.path}/logs",
            foreign.path,
            f"{mine.tree.project_path}/tasks",
            f"{mine.tree.org_path}/secrets",
            f"{mine.tree.org_path}/skills/pdf/versions/1/bundle",
        ):
            assert_problem(agent.get(path), 401)
        for path in (
            "/v1/orgs",
            f"{mine.tree.project_path}/tasks",
            f"{theirs.path}:cancel",
            f"{mine.tree.org_path}/secrets",
        ):
            assert_problem(agent.post(path, json={"name": "x"}), 401)
    with stack.client(theirs.token) as other:
        assert other.get(f"{AGENT}/brief").text == "theirs"


def test_a_user_token_gets_nothing_from_the_agent_api(stack, admin, store, tree):
    _running(admin, store, tree)  # someone's live attempt
    for path in READS:
        assert_problem(admin.get(path), 401)
    for path, options in WRITES:
        assert_problem(admin.post(path, **options), 401)
    with stack.client("sya_not-a-token-of-any-attempt") as forger:
        assert_problem(forger.get(AGENT), 401)
        assert_problem(forger.post(f"{AGENT}:complete", json={"result": {}}), 401)


def test_progress_heartbeat_and_output_show_on_the_task(stack, admin, store, tree):
    attempt = _running(admin, store, tree)
    with stack.client(attempt.token) as agent:
        progress = agent.post(f"{AGENT}/progress", json={"message": "page 1", "percent": 33})
        too_soon = agent.post(f"{AGENT}/progress", json={"message": "page 2", "percent": 66})
        beat = agent.post(f"{AGENT}/heartbeat")
        first = agent.post(
            f"{AGENT}/output", content=b"reading\n", headers={"Content-Type": "text/plain"}
        )
        second = agent.post(
            f"{AGENT}/output",
            content=b"\x00\x01",
            headers={"Content-Type": "application/octet-stream"},
        )
        wrong = agent.post(f"{AGENT}/output", json={"line": "x"})
    assert progress.status_code == 200, progress.text
    problem = assert_problem(too_soon, 429, "progress")
    assert int(too_soon.headers["Retry-After"]) >= 1 and "progress" in problem["detail"]
    assert beat.status_code == 200, beat.text
    assert first.json() == {"attempt": 1, "appended": 8, "size": 8}
    assert second.json() == {"attempt": 1, "appended": 2, "size": 10}
    assert_problem(wrong, 415)
    task = _task(admin, attempt, progress)
    assert task["progress"]["message"] == "page 1" and task["progress"]["percent"] == 33
    beat_at = datetime.fromisoformat(beat.json()["last_heartbeat"])
    assert datetime.fromisoformat(task["last_agent_heartbeat"]) == beat_at
    logs = admin.get(f"{attempt.path}/logs")
    assert logs.status_code == 200 and logs.content == b"reading\n\x00\x01"
    timeline = admin.get(f"{attempt.path}/history").json()["items"]
    assert [e["type"] for e in timeline].count("Task.ProgressReported") == 1


def test_complete_ends_the_attempt_and_then_the_token_can_do_nothing(stack, admin, store, tree):
    attempt = _running(admin, store, tree)
    with stack.client(attempt.token) as agent:
        done = agent.post(f"{AGENT}:complete", json={"result": {"pages": 3, "ok": True}})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "succeeded"
        for path in READS:
            assert assert_problem(agent.get(path), 409)["current_status"] == "succeeded"
        for path, options in WRITES:
            assert assert_problem(agent.post(path, **options), 409)["current_status"] == "succeeded"
    task = _task(admin, attempt, done)
    assert task["status"] == "succeeded" and task["result"] == {"pages": 3, "ok": True}
    history = admin.get(f"{attempt.path}/history").json()["items"]
    succeeded = [e for e in history if e["type"] == "Task.Succeeded"]
    assert succeeded[0]["actor"] == str(attempt_token_id_for(attempt.token))


def test_fail_ends_the_attempt_with_the_agents_error(stack, admin, store, tree):
    attempt = _running(admin, store, tree)
    with stack.client(attempt.token) as agent:
        failed = agent.post(f"{AGENT}:fail", json={"message": "no such form", "details": {"p": 2}})
        late = agent.post(f"{AGENT}:complete", json={"result": {}})
    assert failed.status_code == 200 and failed.json()["status"] == "failed"
    assert assert_problem(late, 409)["current_status"] == "failed"
    task = _task(admin, attempt, failed)
    assert task["error"] == {"message": "no such form", "details": {"p": 2}, "reported_by": "agent"}


def test_after_a_cancel_the_token_can_do_nothing(stack, admin, store, tree):
    attempt = _running(admin, store, tree)
    cancel = admin.post(f"{attempt.path}:cancel")
    assert cancel.status_code == 200 and cancel.json()["cancel_requested"] is True
    with stack.client(attempt.token) as agent:
        # Being stopped: the agent may still say how far it got (its runtime stops it).
        assert agent.post(f"{AGENT}/heartbeat").status_code == 200
        TaskLifecycle(store).confirm_cancelled(system_context(), attempt.task_id, 1)
        late = agent.post(f"{AGENT}:complete", json={"result": {}})
        brief = agent.get(f"{AGENT}/brief")
    assert assert_problem(late, 409)["current_status"] == "cancelled"
    assert assert_problem(brief, 409)["current_status"] == "cancelled"


def test_after_a_requeue_the_old_attempts_token_can_do_nothing(stack, admin, store, tree):
    attempt = _running(admin, store, tree)
    TaskLifecycle(store).requeue_lost(system_context(), attempt.task_id, 1)
    with stack.client(attempt.token) as agent:
        late = agent.post(f"{AGENT}:complete", json={"result": {"stale": True}})
        brief = agent.get(f"{AGENT}/brief")
        output = agent.post(f"{AGENT}/output", content=b"x", headers={"Content-Type": "text/plain"})
    for answer in (late, brief, output):
        assert assert_problem(answer, 409)["current_attempt"] == 2
    task = admin.get(attempt.path, params={"min_position": "1"}).json()
    assert task["result"] is None


def test_an_expired_token_is_refused(stack, admin, store, tree):
    attempt = _running(admin, store, tree, grace=-timedelta(days=1))
    with stack.client(attempt.token) as agent:
        assert_problem(agent.get(AGENT), 401)
        assert_problem(agent.post(f"{AGENT}:complete", json={"result": {}}), 401)
        assert_problem(agent.post(f"{AGENT}/heartbeat"), 401)


def test_the_openapi_document_declares_the_agent_routes_and_their_answers(stack):
    with stack.client() as anonymous:
        paths = anonymous.get("/openapi.json").json()["paths"]
    for path in READS:
        template = path.replace("/pdf/", "/{skill}/").replace("llm-defaults", "{config}")
        assert {"401", "409"} <= set(paths[template]["get"]["responses"]), template
    progress = paths[f"{AGENT}/progress"]["post"]["responses"]
    assert progress["429"]["headers"]["Retry-After"]["required"]
    output = paths[f"{AGENT}/output"]["post"]
    assert set(output["requestBody"]["content"]) == {"text/plain", "application/octet-stream"}
    bundle = paths[f"{AGENT}/skills/{{skill}}/bundle"]["get"]["responses"]["200"]
    assert set(bundle["content"]) == {"application/zip"}


def test_a_retried_completion_with_its_idempotency_key_replays_the_first_answer(
    stack, admin, store, tree
):
    attempt = _running(admin, store, tree)
    key = {"Idempotency-Key": f"complete-{attempt.task['guid']}"}
    with stack.client(attempt.token) as agent:
        first = agent.post(f"{AGENT}:complete", json={"result": {"n": 1}}, headers=key)
        again = agent.post(f"{AGENT}:complete", json={"result": {"n": 1}}, headers=key)
        unkeyed = agent.post(f"{AGENT}:complete", json={"result": {"n": 1}})
    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert assert_problem(unkeyed, 409)["current_status"] == "succeeded"
