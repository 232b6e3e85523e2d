"""Tasks over HTTP: submission (202, Location, position, Idempotency-Key), pins that later
versions do not move, reads with filters and counts, timeline, cancel and retry, bad input
that stores nothing, and RBAC."""

from __future__ import annotations

import hashlib

from support.api import (
    add_member,
    assert_problem,
    created,
    make_tree,
    read_after,
    writes_nothing,
)
from support.skill_bundles import as_json_files, realistic_files, skill_md


def setup_tree(admin):
    tree = make_tree(admin, "tasks")
    org = tree.org_path
    created(
        admin.post(
            f"{org}/runtime-targets",
            json={"name": "Local", "backend_type": "local", "is_default": True},
        )
    )
    created(
        admin.post(
            f"{org}/agent-definitions",
            json={
                "name": "Coder",
                "image": "acme/coder:1",
                "default_cpu": "500m",
                "max_cpu": "2",
                "default_memory": "512Mi",
                "max_memory": "2Gi",
            },
        )
    )
    files = as_json_files({**realistic_files(), "SKILL.md": skill_md()})
    last = admin.post(f"{org}/skills", json={"category": "docs", "slug": "pdf", "files": files})
    created(last)
    return tree, last


def submit(client, tree, **body):
    return client.post(f"{tree.project_path}/tasks", json={"brief": "do it", **body})


def test_a_submission_is_accepted_queued_and_readable_at_its_location(admin):
    tree, _ = setup_tree(admin)
    sent = submit(
        admin,
        tree,
        brief="write the report",
        agent_definition="coder",
        skills=[{"ref": "pdf"}],
        resources={"cpu": "2"},
        callback_url="https://hooks.example.com/done",
        input={"pages": 3},
    )
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert sent.headers["Location"].endswith(f"/tasks/{body['guid']}")
    assert int(sent.headers["X-Signalyard-Position"]) > 0
    assert body["status"] == "queued" and body["attempt"] == 1
    assert body["brief_key"] == "sha256:" + hashlib.sha256(b"write the report").hexdigest()
    assert body["agent_definition"]["version"] == 1 and body["skills"][0]["version"] == 1
    assert body["resources"] == {"cpu": "2", "memory": "512Mi"}
    assert body["runtime_target"]["source"] == "org_default"
    got = admin.get(sent.headers["Location"])
    assert got.status_code == 200, got.text
    assert got.json()["status"] == "queued" and got.json()["input"] == {"pages": 3}
    by_slug = admin.get(f"{tree.project_path}/tasks/{body['slug']}")
    assert by_slug.json()["guid"] == body["guid"]


def test_a_later_version_never_changes_a_past_task(admin):
    tree, _ = setup_tree(admin)
    first = submit(admin, tree, agent_definition="coder").json()
    published = admin.post(
        f"{tree.org_path}/agent-definitions/coder/versions", json={"image": "acme/coder:2"}
    )
    assert published.status_code == 201, published.text
    second = submit(admin, tree, agent_definition="coder").json()
    again = admin.get(f"{tree.project_path}/tasks/{first['guid']}").json()
    assert (again["agent_image"], again["agent_definition"]["version"]) == ("acme/coder:1", 1)
    assert (second["agent_image"], second["agent_definition"]["version"]) == ("acme/coder:2", 2)


def test_the_same_idempotency_key_replays_the_submission(admin, stack):
    tree, _ = setup_tree(admin)
    key = {"Idempotency-Key": "submit-once-" + tree.org["slug"]}
    first = admin.post(
        f"{tree.project_path}/tasks", json={"brief": "x", "agent_image": "a"}, headers=key
    )
    assert first.status_code == 202, first.text
    with writes_nothing(stack):
        again = admin.post(
            f"{tree.project_path}/tasks", json={"brief": "x", "agent_image": "a"}, headers=key
        )
    assert again.status_code == 202 and again.json()["guid"] == first.json()["guid"]
    other = admin.post(
        f"{tree.project_path}/tasks", json={"brief": "y", "agent_image": "a"}, headers=key
    )
    assert_problem(other, 422)


def test_bad_submissions_name_the_field_and_store_nothing(admin, stack):
    tree, _ = setup_tree(admin)
    cases = [
        ({"agent_definition": "nope"}, "agent_definition"),
        ({"agent_definition": "coder", "resources": {"cpu": "3"}}, "resources.cpu"),
        ({"agent_definition": "coder", "resources": {"memory": "4Gi"}}, "resources.memory"),
        ({"agent_image": "a", "callback_url": "https://me:pw@hooks.example.com/"}, "callback_url"),
        ({"agent_image": "a", "callback_url": "ftp://hooks.example.com/"}, "callback_url"),
        ({"agent_image": "Not An Image"}, "agent_image"),
        ({"agent_image": "a", "skills": [{"ref": "ghost"}]}, "skills.0.ref"),
        ({"agent_image": "a", "skills": [{"ref": "pdf", "version": 9}]}, "skills.0.version"),
        ({"agent_image": "a", "runtime_target": "ghost"}, "runtime_target"),
        ({"agent_image": "a", "timeout_seconds": 0}, "timeout_seconds"),
        ({"agent_image": "a", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        with writes_nothing(stack):
            assert_problem(submit(admin, tree, **body), 422, field)
    with writes_nothing(stack):
        assert_problem(submit(admin, tree, agent_image="a", brief="x" * 300_000), 413, "brief")


def test_a_project_without_any_runtime_target_is_told_so(admin, stack):
    tree = make_tree(admin, "bare")
    with writes_nothing(stack):
        assert_problem(submit(admin, tree, agent_image="a"), 422, "runtime_target")


def test_cancel_retry_and_the_timeline(admin):
    tree, _ = setup_tree(admin)
    task = submit(admin, tree, agent_image="a").json()
    path = f"{tree.project_path}/tasks/{task['guid']}"
    cancelled = admin.post(f"{path}:cancel", json={"reason": "not needed"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = assert_problem(admin.post(f"{path}:cancel"), 409, "status")
    assert again["current_status"] == "cancelled"
    retried = admin.post(f"{path}:retry")
    assert retried.json()["status"] == "queued" and retried.json()["attempt"] == 2
    assert_problem(admin.post(f"{path}:retry"), 409, "status")
    timeline = admin.get(f"{path}/timeline", params=read_after(retried)).json()["items"]
    assert [(e["event"], e["status"], e["attempt"]) for e in timeline] == [
        ("Submitted", "pending", 1),
        ("Queued", "queued", 1),
        ("Cancelled", "cancelled", 1),
        ("Requeued", "queued", 2),
    ]
    assert timeline[2]["reason"] == "not needed" and timeline[3]["reason"] == "retried by user"
    history = admin.get(f"{path}/history").json()["items"]
    assert [h["type"] for h in history][-1] == "Task.Requeued"


def test_lists_filter_page_and_count_by_status(admin):
    tree, _ = setup_tree(admin)
    skill_task = submit(admin, tree, agent_image="a", skills=[{"ref": "pdf", "version": 1}]).json()
    plain = submit(admin, tree, agent_image="b").json()
    last = admin.post(f"{tree.project_path}/tasks/{plain['guid']}:cancel")
    base, read = f"{tree.project_path}/tasks", read_after(last)

    def guids(**params):
        got = admin.get(base, params={**read, **params})
        assert got.status_code == 200, got.text
        return [t["guid"] for t in got.json()["items"]]

    assert guids() == [skill_task["guid"], plain["guid"]]
    assert guids(status="cancelled") == [plain["guid"]]
    assert guids(agent_image="a") == [skill_task["guid"]]
    skill = skill_task["skills"][0]["guid"]
    assert guids(skill=skill, skill_version=1) == [skill_task["guid"]]
    assert guids(skill=skill, skill_version=2) == []
    first = admin.get(base, params={**read, "page_size": 1}).json()
    assert len(first["items"]) == 1 and first["next_page_token"]
    rest = admin.get(base, params={**read, "page_token": first["next_page_token"]}).json()
    assert [t["guid"] for t in rest["items"]] == [plain["guid"]]
    counts = admin.get(f"{tree.project_path}/task-counts", params=read).json()
    assert counts == {"counts": {"queued": 1, "cancelled": 1}, "total": 2}


def test_operators_run_tasks_viewers_only_read_outsiders_see_nothing(admin, stack):
    tree, _ = setup_tree(admin)
    org = tree.org["slug"]
    _, operator_token, _ = add_member(admin, org, "operator")
    _, viewer_token, last = add_member(admin, org, "viewer")
    with stack.client(operator_token) as operator, stack.client(viewer_token) as viewer:
        task = submit(operator, tree, agent_image="a")
        assert task.status_code == 202, task.text
        path = f"{tree.project_path}/tasks/{task.json()['guid']}"
        with writes_nothing(stack):
            assert_problem(submit(viewer, tree, agent_image="a"), 403)
            assert_problem(viewer.post(f"{path}:cancel"), 403)
        assert viewer.get(path, params=read_after(task)).status_code == 200
        assert operator.post(f"{path}:cancel").status_code == 200
        assert operator.post(f"{path}:retry").status_code == 200
        denied = operator.post(
            f"{tree.org_path}/agent-definitions", json={"name": "X", "image": "x"}
        )
        assert_problem(denied, 403)
    other = make_tree(admin, "other")
    assert_problem(admin.get(f"{other.project_path}/tasks/{task.json()['guid']}"), 404)
