"""Configs over HTTP: versions, no-op republish, JSON diff, rollback, category schemas,
RBAC and bad input."""

from __future__ import annotations

from support.api import (
    add_member,
    assert_problem,
    created,
    etag_of,
    new_user,
    read_after,
    unique,
    writes_nothing,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "tools": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["model"],
}


def make_org(admin) -> str:
    return created(admin.post("/v1/orgs", json={"name": unique("configs")}))["slug"]


def test_versions_diff_rollback_round_trip(admin):
    org = make_org(admin)
    v1 = {"model": "small", "temperature": 0.2, "tools": ["search", "browse"]}
    v2 = {"model": "large", "temperature": 0.2, "tools": ["search"], "region": "eu"}
    made = admin.post(
        f"/v1/orgs/{org}/configs", json={"name": "Agent defaults", "category": "llm", "content": v1}
    )
    config = created(made)
    base = f"/v1/orgs/{org}/configs/agent-defaults"
    assert (
        made.headers["Location"] == f"/v1/orgs/{config['organization_id']}/configs/{config['guid']}"
    )
    assert config["current_version"] == 1 and config["content"] == v1
    assert config["content_hash"].startswith("sha256:")

    second = admin.post(f"{base}/versions", json={"content": v2})
    assert created(second)["version_number"] == 2
    assert second.headers["Location"].endswith("/versions/2")
    same = admin.post(f"{base}/versions", json={"content": dict(reversed(list(v2.items())))})
    assert same.status_code == 200 and same.json()["version_number"] == 2

    diff = admin.get(f"{base}/diff", params={"from": 1, "to": 2, **read_after(second)})
    assert diff.status_code == 200, diff.text
    assert diff.json()["changes"] == [
        {"op": "replace", "path": "/model", "old": "small", "new": "large"},
        {"op": "add", "path": "/region", "old": None, "new": "eu"},
        {"op": "remove", "path": "/tools/1", "old": "browse", "new": None},
    ]

    current = admin.get(base, params=read_after(second))
    assert current.json()["content"] == v2
    rolled = admin.post(
        f"{base}:rollback", json={"version": 1}, headers={"If-Match": etag_of(current)}
    )
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["content"] == v1 and rolled.json()["latest_version"] == 2
    latest = admin.get(f"{base}/versions/latest", params=read_after(rolled)).json()
    assert latest["version_number"] == 1 and latest["content"] == v1 and latest["is_current"]
    assert admin.get(base).json()["content"] == v1
    versions = admin.get(f"{base}/versions").json()["items"]
    assert [(v["version_number"], v["is_current"]) for v in versions] == [(1, True), (2, False)]
    types = [h["type"] for h in admin.get(f"{base}/history").json()["items"]]
    assert types == [
        "Config.Created",
        "Config.VersionPublished",
        "Config.VersionPublished",
        "Config.RolledBack",
    ]


def test_category_schema_put_replace_delete(admin, stack):
    org = make_org(admin)
    path = f"/v1/orgs/{org}/config-categories/llm"
    defined = admin.put(path, json={"schema": SCHEMA, "description": "LLM settings"})
    assert defined.status_code == 201, defined.text
    assert defined.json()["schema"] == SCHEMA and defined.json()["slug"] == "llm"
    read = admin.get(path, params=read_after(defined))
    assert read.status_code == 200 and read.json()["schema"] == SCHEMA

    configs = f"/v1/orgs/{org}/configs"
    with writes_nothing(stack):
        failing = admin.post(
            configs, json={"name": "Bad", "category": "llm", "content": {"temperature": 5}}
        )
        body = assert_problem(failing, 422, "content/temperature")
        assert {e["field"] for e in body["errors"]} == {"content", "content/temperature"}
    created(
        admin.post(configs, json={"name": "Good", "category": "llm", "content": {"model": "m"}})
    )

    assert_problem(admin.put(path, json={"schema": {"type": "object"}}), 428)
    replaced = admin.put(
        path, json={"schema": {"type": "object"}}, headers={"If-Match": etag_of(defined)}
    )
    assert replaced.status_code == 200, replaced.text
    created(admin.post(configs, json={"name": "Loose", "category": "llm", "content": {"x": 1}}))
    listed = admin.get(f"/v1/orgs/{org}/config-categories", params=read_after(replaced))
    assert [c["slug"] for c in listed.json()["items"]] == ["llm"]

    removed = admin.delete(path, headers={"If-Match": etag_of(replaced)})
    assert removed.status_code == 200 and removed.json()["deleted_at"]
    assert_problem(admin.get(path, params=read_after(removed)), 404)
    history = admin.get(f"{path}/history").json()["items"]
    assert [h["type"] for h in history] == [
        "ConfigCategory.Created",
        "ConfigCategory.Updated",
        "ConfigCategory.Deleted",
    ]


def test_invalid_schema_and_content_store_nothing(admin, stack):
    org = make_org(admin)
    with writes_nothing(stack):
        bad = admin.put(f"/v1/orgs/{org}/config-categories/llm", json={"schema": {"type": 3}})
        assert_problem(bad, 422, "schema/type")
        bad_name = admin.put(f"/v1/orgs/{org}/config-categories/Not_Slug", json={"schema": {}})
        assert_problem(bad_name, 422, "category")
        not_object = admin.post(
            f"/v1/orgs/{org}/configs", json={"name": "A", "category": "c", "content": [1]}
        )
        assert_problem(not_object, 422, "content")
        no_category = admin.post(f"/v1/orgs/{org}/configs", json={"name": "A", "content": {}})
        assert_problem(no_category, 422, "category")


def test_moving_into_a_category_checks_the_content(admin, stack):
    org = make_org(admin)
    admin.put(f"/v1/orgs/{org}/config-categories/llm", json={"schema": SCHEMA})
    made = admin.post(
        f"/v1/orgs/{org}/configs", json={"name": "Loose", "category": "misc", "content": {"a": 1}}
    )
    created(made)
    with writes_nothing(stack):
        moved = admin.patch(
            f"/v1/orgs/{org}/configs/loose",
            json={"category": "llm"},
            headers={"If-Match": etag_of(made)},
        )
        assert_problem(moved, 422, "content")


def test_unknown_versions_and_rbac(admin, stack):
    org = make_org(admin)
    made = admin.post(
        f"/v1/orgs/{org}/configs", json={"name": "Agent", "category": "llm", "content": {"m": 1}}
    )
    created(made)
    base = f"/v1/orgs/{org}/configs/agent"
    wait = read_after(made)
    assert_problem(admin.get(f"{base}/versions/7", params=wait), 404)
    assert_problem(admin.get(f"{base}/diff", params={"from": 1, "to": 7}), 404)
    _, member_token, granted = add_member(admin, org, "member")
    _, outsider_token = new_user(admin, "outsider")
    with stack.client(member_token) as member:
        assert member.get(base, params=read_after(granted)).json()["content"] == {"m": 1}
        assert_problem(member.post(f"{base}/versions", json={"content": {"m": 2}}), 403)
        assert_problem(
            member.put(f"/v1/orgs/{org}/config-categories/llm", json={"schema": {}}), 403
        )
    with stack.client(outsider_token) as outsider:
        assert_problem(outsider.get(base), 404)
        assert_problem(outsider.get(f"/v1/orgs/{org}/configs"), 404)
        assert_problem(outsider.post(f"{base}/versions", json={"content": {"m": 2}}), 404)


def test_list_filters(admin):
    org = make_org(admin)
    last = None
    for name, category in (("Planner", "llm"), ("Runner", "runtime"), ("Plan B", "llm")):
        last = admin.post(
            f"/v1/orgs/{org}/configs", json={"name": name, "category": category, "content": {}}
        )
        created(last)
    base = f"/v1/orgs/{org}/configs"
    llm = admin.get(base, params={"category": "llm", **read_after(last)}).json()["items"]
    assert [c["name"] for c in llm] == ["Planner", "Plan B"]
    assert [c["name"] for c in admin.get(base, params={"q": "plan"}).json()["items"]] == [
        "Planner",
        "Plan B",
    ]
