"""Teams, workspaces and projects over HTTP: every route, guid or slug path segments, slug
scopes, soft delete of a subtree, undelete, history."""

from __future__ import annotations

import pytest
from support.api import (
    assert_problem,
    created,
    etag_of,
    make_tree,
    read_after,
    unique,
    writes_nothing,
)

LEVELS = ["team", "ws", "project"]


def _path(tree, level: str) -> str:
    return {"team": tree.team_path, "ws": tree.ws_path, "project": tree.project_path}[level]


def _guid_path(tree, level: str) -> str:
    path = f"/v1/orgs/{tree.org['guid']}/teams/{tree.team['guid']}"
    if level in ("ws", "project"):
        path += f"/workspaces/{tree.ws['guid']}"
    if level == "project":
        path += f"/projects/{tree.project['guid']}"
    return path


def test_create_responses_carry_location_etag_position_and_parent_ids(admin):
    tree = make_tree(admin)
    assert tree.team["organization_id"] == tree.org["guid"]
    assert (tree.ws["organization_id"], tree.ws["team_id"]) == (
        tree.org["guid"],
        tree.team["guid"],
    )
    assert tree.ws["is_active"] is True
    assert (
        tree.project["organization_id"],
        tree.project["team_id"],
        tree.project["workspace_id"],
    ) == (tree.org["guid"], tree.team["guid"], tree.ws["guid"])
    assert tree.project["settings"] == {"a": 1}
    assert tree.last_write.headers["Location"] == _guid_path(tree, "project")
    assert tree.last_write.headers["ETag"] == '"1"'
    assert int(tree.last_write.headers["X-Signalyard-Position"]) > 0


@pytest.mark.parametrize("level", LEVELS)
def test_get_by_slug_by_guid_and_mixed_segments_agree(admin, level):
    tree = make_tree(admin)
    entity = {"team": tree.team, "ws": tree.ws, "project": tree.project}[level]
    by_slug = admin.get(_path(tree, level), params=tree.read)
    by_guid = admin.get(_guid_path(tree, level), params=tree.read)
    mixed = _path(tree, level).replace(tree.org["slug"], tree.org["guid"], 1)
    by_mixed = admin.get(mixed, params=tree.read)
    assert by_slug.status_code == by_guid.status_code == by_mixed.status_code == 200
    assert by_slug.json() == by_guid.json() == by_mixed.json()
    assert by_slug.json()["guid"] == entity["guid"]
    assert by_slug.headers["ETag"] == '"1"'
    for field in ("created_at", "created_by", "updated_at", "updated_by", "deleted_at"):
        assert field in by_slug.json()


def test_lists_at_every_level(admin):
    tree = make_tree(admin)
    second = admin.post(f"{tree.ws_path}/projects", json={"name": "Second"})
    rw = read_after(second)
    teams = admin.get(f"{tree.org_path}/teams", params=rw).json()
    assert [t["guid"] for t in teams["items"]] == [tree.team["guid"]]
    assert teams["next_page_token"] is None
    wss = admin.get(f"{tree.team_path}/workspaces", params=rw).json()
    assert [w["guid"] for w in wss["items"]] == [tree.ws["guid"]]
    projects = admin.get(f"{tree.ws_path}/projects", params=rw).json()
    assert [p["slug"] for p in projects["items"]] == ["agents", "second"]


@pytest.mark.parametrize(
    ("level", "changes", "expected"),
    [
        ("team", {"name": "Renamed", "description": "d"}, {"name": "Renamed"}),
        ("ws", {"is_active": False}, {"is_active": False}),
        ("project", {"settings": {"b": [1, 2]}}, {"settings": {"b": [1, 2]}}),
    ],
)
def test_patch_needs_the_current_version(admin, stack, level, changes, expected):
    tree = make_tree(admin)
    path = _path(tree, level)
    with writes_nothing(stack):
        assert_problem(admin.patch(path, json=changes), 428)
        stale = assert_problem(admin.patch(path, json=changes, headers={"If-Match": '"5"'}), 412)
    assert stale["current_version"] == 1
    read = admin.get(path, params=tree.read)
    response = admin.patch(path, json=changes, headers={"If-Match": etag_of(read)})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert int(response.headers["X-Signalyard-Position"]) > int(tree.read["min_position"])
    for key, value in expected.items():
        assert response.json()[key] == value
    again = admin.get(path, params=read_after(response))
    assert again.headers["ETag"] == '"2"'
    for key, value in expected.items():
        assert again.json()[key] == value


def test_patch_with_nothing_to_change_keeps_the_version(admin):
    tree = make_tree(admin)
    response = admin.patch(tree.team_path, json={"name": "Platform"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    history = admin.get(f"{tree.team_path}/history").json()["items"]
    assert len(history) == 1


@pytest.mark.parametrize("level", LEVELS)
def test_delete_hides_then_undelete_restores(admin, stack, level):
    tree = make_tree(admin)
    path = _path(tree, level)
    collection, _, slug = path.rpartition("/")  # ".../teams", "platform"
    with writes_nothing(stack):
        assert_problem(admin.delete(path), 428)
    deleted = admin.delete(path, headers={"If-Match": '"1"'})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted_at"] is not None
    rw = read_after(deleted)
    assert_problem(admin.get(path, params=rw), 404)
    assert admin.get(path, params={**rw, "show_deleted": "true"}).status_code == 200
    listed = admin.get(collection, params=rw).json()["items"]
    assert slug not in {i["slug"] for i in listed}
    listed = admin.get(collection, params={**rw, "show_deleted": "true"}).json()["items"]
    assert slug in {i["slug"] for i in listed}
    restored = admin.post(f"{path}:undelete")
    assert restored.status_code == 200, restored.text
    assert restored.headers["ETag"] == '"3"'
    back = admin.get(path, params=read_after(restored))
    assert back.status_code == 200 and back.json()["deleted_at"] is None


def test_a_deleted_team_hides_everything_below_it(admin):
    tree = make_tree(admin)
    deleted = admin.delete(tree.team_path, headers={"If-Match": '"1"'})
    rw = read_after(deleted)
    assert_problem(admin.get(tree.ws_path, params=rw), 404)
    assert_problem(admin.get(tree.project_path, params=rw), 404)
    assert_problem(admin.get(f"{tree.ws_path}/projects", params=rw), 404)
    assert_problem(admin.post(f"{tree.ws_path}/projects", json={"name": "x"}), 404)
    restored = admin.post(f"{tree.team_path}:undelete")
    assert admin.get(tree.project_path, params=read_after(restored)).status_code == 200


@pytest.mark.parametrize(
    ("level", "entity_type"),
    [("team", "Team"), ("ws", "Workspace"), ("project", "Project")],
)
def test_history_of_every_level(admin, level, entity_type):
    me = admin.get("/v1/me").json()["guid"]
    tree = make_tree(admin)
    path = _path(tree, level)
    admin.patch(path, json={"description": "changed"}, headers={"If-Match": '"1"'})
    admin.delete(path, headers={"If-Match": '"2"'})
    by_slug = admin.get(f"{path}/history")  # a deleted entity keeps its history
    by_guid = admin.get(f"{_guid_path(tree, level)}/history")
    assert by_slug.status_code == by_guid.status_code == 200, by_slug.text
    assert by_slug.json() == by_guid.json()
    items = by_guid.json()["items"]
    assert [i["type"] for i in items] == [
        f"{entity_type}.Created",
        f"{entity_type}.Updated",
        f"{entity_type}.Deleted",
    ]
    assert [i["version"] for i in items] == [1, 2, 3]
    assert {i["actor"] for i in items} == {me}
    assert items[1]["changed_fields"] == ["description"]
    assert all(i["timestamp"] for i in items)


def test_duplicate_slug_in_one_scope_is_409_and_writes_nothing(admin, stack):
    tree = make_tree(admin)
    with writes_nothing(stack):
        team = admin.post(f"{tree.org_path}/teams", json={"name": "Platform"})
        assert_problem(team, 409, "slug")
        ws = admin.post(f"{tree.team_path}/workspaces", json={"name": "x", "slug": "main"})
        assert_problem(ws, 409, "slug")
        project = admin.post(f"{tree.ws_path}/projects", json={"name": "Agents"})
        assert_problem(project, 409, "slug")
        org = admin.post("/v1/orgs", json={"name": "x", "slug": tree.org["slug"]})
        assert_problem(org, 409, "slug")
    rw = tree.read
    assert len(admin.get(f"{tree.org_path}/teams", params=rw).json()["items"]) == 1
    assert len(admin.get(f"{tree.ws_path}/projects", params=rw).json()["items"]) == 1


def test_renaming_onto_a_taken_slug_is_409_and_writes_nothing(admin, stack):
    tree = make_tree(admin)
    other = created(admin.post(f"{tree.org_path}/teams", json={"name": "Other"}))
    with writes_nothing(stack):
        response = admin.patch(
            f"{tree.org_path}/teams/{other['slug']}",
            json={"slug": tree.team["slug"]},
            headers={"If-Match": '"1"'},
        )
    assert_problem(response, 409, "slug")


def test_the_same_slug_in_another_scope_is_fine(admin):
    first, second = make_tree(admin), make_tree(admin)
    # Both trees use team "platform", workspace "main", project "agents".
    assert first.team["slug"] == second.team["slug"] == "platform"
    assert first.project["slug"] == second.project["slug"] == "agents"
    other_team = created(admin.post(f"{first.org_path}/teams", json={"name": "Other"}))
    base = f"{first.org_path}/teams/{other_team['slug']}"
    ws = created(admin.post(f"{base}/workspaces", json={"name": "Main"}))
    assert ws["slug"] == "main"
    second_ws = created(admin.post(f"{first.team_path}/workspaces", json={"name": "Second"}))
    project = admin.post(
        f"{first.team_path}/workspaces/{second_ws['slug']}/projects", json={"name": "Agents"}
    )
    assert created(project)["slug"] == "agents"


PARENT_PROBES = [
    ("/teams", "post", {"name": "t"}),
    ("/teams/{team}/workspaces", "post", {"name": "w"}),
    ("/teams/{team}/workspaces/{ws}/projects", "post", {"name": "p"}),
    ("/teams", "get", None),
    ("/teams/{team}", "get", None),
    ("/teams/{team}/workspaces", "get", None),
    ("/teams/{team}/workspaces/{ws}/projects", "get", None),
    ("/teams/{team}/workspaces/{ws}/projects/{project}", "get", None),
    ("/teams/{team}/workspaces/{ws}/history", "get", None),
    ("/teams/{team}/workspaces/{ws}", "patch", {"name": "x"}),
    ("/teams/{team}/workspaces/{ws}/projects/{project}", "delete", None),
]
UNKNOWN_PARENT_CASES = [
    pytest.param(suffix, method, body, missing, id=f"{method}{suffix}-no-{missing}")
    for suffix, method, body in PARENT_PROBES
    for missing in ("org", "team", "ws", "project")
    if missing == "org" or "{" + missing + "}" in suffix
]


@pytest.fixture(scope="module")
def shared_tree(stack):
    with stack.admin() as client:
        return make_tree(client)


@pytest.mark.parametrize(("suffix", "method", "body", "missing"), UNKNOWN_PARENT_CASES)
def test_unknown_parents_are_404_and_write_nothing(
    admin, stack, shared_tree, suffix, method, body, missing
):
    tree = shared_tree
    refs = {"team": tree.team["slug"], "ws": tree.ws["slug"], "project": tree.project["slug"]}
    org = unique("no-org") if missing == "org" else tree.org["slug"]
    if missing != "org":
        refs[missing] = unique("no")
    path = f"/v1/orgs/{org}" + suffix.format(**refs)
    with writes_nothing(stack):
        response = admin.request(
            method.upper(), path, json=body, params=tree.read, headers={"If-Match": '"1"'}
        )
    problem = assert_problem(response, 404)
    assert "not found" in problem["detail"]


def test_a_child_addressed_under_the_wrong_parent_is_404(admin):
    first, second = make_tree(admin), make_tree(admin)
    # Second's team guid under first's org: it exists, but not there.
    path = f"{first.org_path}/teams/{second.team['guid']}"
    assert_problem(admin.get(path, params=second.read), 404)
    assert_problem(admin.patch(path, json={"name": "x"}, headers={"If-Match": "1"}), 404)
    ws_path = f"{first.team_path}/workspaces/{second.ws['guid']}"
    assert_problem(admin.get(ws_path, params=second.read), 404)
    assert_problem(admin.post(f"{ws_path}/projects", json={"name": "x"}), 404)


def test_an_inactive_workspace_takes_no_new_projects(admin, stack):
    tree = make_tree(admin)
    off = admin.patch(tree.ws_path, json={"is_active": False}, headers={"If-Match": '"1"'})
    assert off.status_code == 200
    with writes_nothing(stack):
        response = admin.post(f"{tree.ws_path}/projects", json={"name": "Late"})
    assert_problem(response, 409)
