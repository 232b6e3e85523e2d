"""Workspace and project members over HTTP: grants, the read model, history, deletion."""

from __future__ import annotations

import pytest
from support.api import (
    add_member,
    assert_problem,
    make_tree,
    new_user,
    read_after,
    writes_nothing,
)


@pytest.fixture
def tree(admin):
    return make_tree(admin, "scoped")


def test_workspace_membership_lifecycle(admin, stack, tree):
    user, _, _ = add_member(admin, tree.org["slug"], "member")
    path = f"{tree.ws_path}/members/{user}"
    put = admin.put(path, json={"role": "operator"})
    assert put.status_code == 201, put.text
    assert put.headers["Location"] == (
        f"/v1/orgs/{tree.org['guid']}/teams/{tree.team['guid']}"
        f"/workspaces/{tree.ws['guid']}/members/{user}"
    )
    body = put.json()
    assert (body["workspace_id"], body["team_id"], body["organization_id"]) == (
        tree.ws["guid"],
        tree.team["guid"],
        tree.org["guid"],
    )
    assert (body["user_id"], body["role"], body["version"]) == (user, "operator", 1)
    read = admin.get(put.headers["Location"], params=read_after(put))
    assert read.status_code == 200 and read.json()["role"] == "operator"
    assert read.headers["ETag"] == '"1"'
    listed = admin.get(f"{tree.ws_path}/members", params=read_after(put)).json()["items"]
    assert [(m["user_id"], m["role"]) for m in listed] == [(user, "operator")]

    with writes_nothing(stack):
        assert_problem(admin.put(path, json={"role": "maintainer"}), 428)
        assert_problem(admin.put(path, json={"role": "owner"}), 422, "role")
        assert_problem(admin.put(path, json={"role": "member"}), 422, "role")
        assert_problem(admin.put(path, json={"role": "maintainer"}, headers={"If-Match": "4"}), 412)
    changed = admin.put(path, json={"role": "maintainer"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["role"] == "maintainer"

    with writes_nothing(stack):
        assert_problem(admin.delete(path), 428)
    removed = admin.delete(path, headers={"If-Match": '"2"'})
    assert removed.status_code == 200, removed.text
    rw = read_after(removed)
    assert_problem(admin.get(path, params=rw), 404)
    assert admin.get(f"{tree.ws_path}/members", params=rw).json()["items"] == []
    shown = admin.get(f"{tree.ws_path}/members", params={**rw, "show_deleted": "true"})
    assert [m["user_id"] for m in shown.json()["items"]] == [user]

    history = admin.get(f"{path}/history").json()["items"]
    assert [i["type"] for i in history] == [
        "WorkspaceMembership.Granted",
        "WorkspaceMembership.Updated",
        "WorkspaceMembership.Deleted",
    ]
    assert history[1]["changed_fields"] == ["role"]


def test_project_membership_lifecycle(admin, stack, tree):
    user, _, _ = add_member(admin, tree.org["slug"], "member")
    path = f"{tree.project_path}/members/{user}"
    put = admin.put(path, json={"role": "viewer"})
    assert put.status_code == 201, put.text
    assert put.headers["Location"] == (
        f"/v1/orgs/{tree.org['guid']}/teams/{tree.team['guid']}/workspaces/{tree.ws['guid']}"
        f"/projects/{tree.project['guid']}/members/{user}"
    )
    body = put.json()
    assert (body["project_id"], body["workspace_id"], body["role"]) == (
        tree.project["guid"],
        tree.ws["guid"],
        "viewer",
    )
    slug = admin.get(f"/v1/users/{user}", params=read_after(put)).json()["slug"]
    by_slug = admin.get(f"{tree.project_path}/members/{slug}", params=read_after(put))
    assert by_slug.status_code == 200 and by_slug.json()["user_id"] == user
    listed = admin.get(f"{tree.project_path}/members", params=read_after(put)).json()["items"]
    assert [m["user_id"] for m in listed] == [user]
    # A grant on the project is not a grant on its workspace.
    assert admin.get(f"{tree.ws_path}/members", params=read_after(put)).json()["items"] == []

    removed = admin.delete(path, headers={"If-Match": '"1"'})
    assert removed.status_code == 200, removed.text
    again = admin.put(path, json={"role": "operator"})
    assert again.status_code == 200 and again.json()["role"] == "operator", again.text
    history = admin.get(f"{path}/history").json()["items"]
    assert [i["type"] for i in history] == [
        "ProjectMembership.Granted",
        "ProjectMembership.Deleted",
        "ProjectMembership.Undeleted",
        "ProjectMembership.Updated",
    ]


def test_a_workspace_or_project_member_must_belong_to_the_organization_first(admin, stack, tree):
    outsider, _ = new_user(admin)
    with writes_nothing(stack):
        for scope in (tree.ws_path, tree.project_path):
            put = admin.put(f"{scope}/members/{outsider}", json={"role": "viewer"})
            assert_problem(put, 422, "user")


def test_deleting_a_workspace_hides_its_memberships_and_their_grants(admin, stack, tree):
    user, token, _ = add_member(admin, tree.org["slug"], "member")
    ws_grant = admin.put(f"{tree.ws_path}/members/{user}", json={"role": "maintainer"})
    assert ws_grant.status_code == 201, ws_grant.text
    project_grant = admin.put(f"{tree.project_path}/members/{user}", json={"role": "maintainer"})
    assert project_grant.status_code == 201, project_grant.text
    deleted = admin.delete(tree.ws_path, headers={"If-Match": '"1"'})
    assert deleted.status_code == 200, deleted.text
    rw = read_after(deleted)
    for scope in (tree.ws_path, tree.project_path):
        assert_problem(admin.get(f"{scope}/members", params=rw), 404)
        assert_problem(admin.get(f"{scope}/members/{user}", params=rw), 404)
        assert_problem(admin.get(f"{scope}/members/{user}/history"), 404)
    with stack.client(token) as member, writes_nothing(stack):
        patch = member.patch(
            tree.project_path, json={"description": "x"}, headers={"If-Match": "1"}
        )
        assert_problem(patch, 404)
        assert_problem(member.post(f"{tree.ws_path}/projects", json={"name": "x"}), 404)

    restored = admin.post(f"{tree.ws_path}:undelete", headers={"If-Match": '"2"'})
    assert restored.status_code == 200, restored.text
    listed = admin.get(f"{tree.ws_path}/members", params=read_after(restored))
    assert [m["user_id"] for m in listed.json()["items"]] == [user]


def test_deleting_a_project_hides_its_memberships(admin, stack, tree):
    user, _, _ = add_member(admin, tree.org["slug"], "member")
    grant = admin.put(f"{tree.project_path}/members/{user}", json={"role": "operator"})
    assert grant.status_code == 201, grant.text
    deleted = admin.delete(tree.project_path, headers={"If-Match": '"1"'})
    assert deleted.status_code == 200, deleted.text
    rw = read_after(deleted)
    assert_problem(admin.get(f"{tree.project_path}/members", params=rw), 404)
    assert_problem(admin.get(f"{tree.project_path}/members/{user}", params=rw), 404)
    with writes_nothing(stack):
        again = admin.put(f"{tree.project_path}/members/{user}", json={"role": "viewer"})
        assert_problem(again, 404)
    # The workspace's own memberships stay readable.
    assert admin.get(f"{tree.ws_path}/members", params=rw).status_code == 200
