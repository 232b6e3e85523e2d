"""Agent definitions and runtime targets over HTTP: versions as for skills, targets at
org, workspace and project scope, one default per scope (also under concurrent requests)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from support.api import assert_problem, created, etag_of, make_tree, read_after, writes_nothing


def test_agent_definitions_version_roll_back_and_keep_history(admin):
    tree = make_tree(admin, "agents")
    base = f"{tree.org_path}/agent-definitions"
    made = admin.post(base, json={"name": "Coder", "image": "acme/coder:1", "tier": "gold"})
    assert created(made)["spec"]["tier"] == "gold"
    v2 = admin.post(f"{base}/coder/versions", json={"image": "acme/coder:2"})
    assert v2.status_code == 201 and v2.json()["spec"]["image"] == "acme/coder:2"
    same = admin.post(f"{base}/coder/versions", json={"image": "acme/coder:2"})
    assert same.status_code == 200 and same.json()["version_number"] == 2
    current = admin.get(f"{base}/coder", params=read_after(v2))
    back = admin.post(
        f"{base}/coder:rollback", json={"version": 1}, headers={"If-Match": etag_of(current)}
    )
    assert back.status_code == 200 and back.json()["spec"]["image"] == "acme/coder:1"
    read = read_after(back)
    versions = admin.get(f"{base}/coder/versions", params=read).json()["items"]
    assert [(v["version_number"], v["is_current"]) for v in versions] == [(1, True), (2, False)]
    latest = admin.get(f"{base}/coder/versions/latest", params=read).json()
    assert latest["spec"]["image"] == "acme/coder:1"
    listed = admin.get(base, params=read).json()["items"]
    assert [d["slug"] for d in listed] == ["coder"]
    history = admin.get(f"{base}/coder/history").json()["items"]
    assert [h["type"].split(".")[-1] for h in history] == [
        "Created",
        "VersionPublished",
        "VersionPublished",
        "RolledBack",
    ]


def test_bad_agent_definitions_name_the_field(admin, stack):
    tree = make_tree(admin, "badagents")
    base = f"{tree.org_path}/agent-definitions"
    for body, field in [
        ({"name": "A", "image": "Bad Image"}, "image"),
        ({"name": "A", "image": "a", "default_cpu": "4", "max_cpu": "2"}, "default_cpu"),
        ({"name": "A", "image": "a", "default_memory": "lots"}, "default_memory"),
        ({"name": "A", "image": "a", "cmd_override": [""]}, "cmd_override"),
        ({"name": "A"}, "image"),
    ]:
        with writes_nothing(stack):
            assert_problem(admin.post(base, json=body), 422, field)


def test_runtime_targets_live_at_each_scope_with_one_default_each(admin, stack):
    tree = make_tree(admin, "targets")
    for scope in (tree.org_path, tree.ws_path, tree.project_path):
        base = f"{scope}/runtime-targets"
        first = admin.post(base, json={"name": "Main", "backend_type": "local", "is_default": True})
        assert created(first)["is_default"] is True
        with writes_nothing(stack):
            taken = admin.post(
                base, json={"name": "Other", "backend_type": "local", "is_default": True}
            )
            assert_problem(taken, 409, "is_default")
        k8s = admin.post(
            base,
            json={
                "name": "Cluster",
                "backend_type": "kubernetes",
                "endpoint": "https://k8s.example.com:6443",
                "namespace": "agents",
            },
        )
        assert created(k8s)["is_default"] is False
        moved = admin.patch(
            f"{base}/main", json={"is_default": False}, headers={"If-Match": etag_of(first)}
        )
        assert moved.status_code == 200, moved.text
        now = admin.patch(
            f"{base}/cluster", json={"is_default": True}, headers={"If-Match": etag_of(k8s)}
        )
        assert now.status_code == 200 and now.json()["is_default"] is True
        listed = admin.get(base, params=read_after(now)).json()["items"]
        assert {(t["slug"], t["is_default"]) for t in listed} == {
            ("main", False),
            ("cluster", True),
        }
        history = admin.get(f"{base}/cluster/history").json()["items"]
        assert [h["type"] for h in history] == ["RuntimeTarget.Created", "RuntimeTarget.Updated"]


def test_a_runtime_target_endpoint_with_credentials_is_refused(admin, stack):
    tree = make_tree(admin, "creds")
    with writes_nothing(stack):
        refused = admin.post(
            f"{tree.org_path}/runtime-targets",
            json={"name": "K", "backend_type": "kubernetes", "endpoint": "https://u:p@k8s.io"},
        )
        assert_problem(refused, 422, "endpoint")


def test_a_deleted_default_frees_its_scope(admin):
    tree = make_tree(admin, "freed")
    base = f"{tree.org_path}/runtime-targets"
    first = admin.post(base, json={"name": "One", "backend_type": "local", "is_default": True})
    assert first.status_code == 201, first.text
    gone = admin.delete(f"{base}/one", headers={"If-Match": etag_of(first)})
    assert gone.status_code == 200 and gone.json()["is_default"] is False
    second = admin.post(base, json={"name": "Two", "backend_type": "local", "is_default": True})
    assert created(second)["is_default"] is True


def test_concurrent_requests_for_a_scope_s_default_have_one_winner(admin, stack):
    tree = make_tree(admin, "race")
    base = f"{tree.org_path}/runtime-targets"
    clients = [stack.client(stack.admin_token) for _ in range(8)]
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(
                pool.map(
                    lambda pair: pair[1].post(
                        base,
                        json={"name": f"T{pair[0]}", "backend_type": "local", "is_default": True},
                    ),
                    enumerate(clients),
                )
            )
    finally:
        for client in clients:
            client.close()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 7, [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert_problem(answer, 409, "is_default")
