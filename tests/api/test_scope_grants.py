"""Grants on workspaces and projects hold below them, and only there (README "Roles"):
what a user may do at a scope is the union of its grants on it and its ancestors."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from support.api import (
    add_member,
    assert_problem,
    created,
    make_tree,
    new_user,
    read_after,
    writes_nothing,
)

IF1 = {"If-Match": '"1"'}


@dataclass
class Siblings:
    ws: str  # another workspace of the same team
    project: str  # another project of the tree's workspace
    elsewhere: str  # a project of the other workspace


@pytest.fixture
def tree(admin):
    return make_tree(admin, "grants")


@pytest.fixture
def siblings(admin, tree) -> Siblings:
    ws = created(admin.post(f"{tree.team_path}/workspaces", json={"name": "Sibling"}))
    ws_path = f"{tree.team_path}/workspaces/{ws['slug']}"
    project = created(admin.post(f"{tree.ws_path}/projects", json={"name": "Next door"}))
    far = created(admin.post(f"{ws_path}/projects", json={"name": "Far"}))
    return Siblings(
        ws_path,
        f"{tree.ws_path}/projects/{project['slug']}",
        f"{ws_path}/projects/{far['slug']}",
    )


def _granted(
    stack, admin, tree, org_role: str, ws_role: str | None = None, project_role: str | None = None
) -> tuple[httpx.Client, str]:
    """A client of a new org member holding these grants on the tree's workspace/project."""
    user, token, _ = add_member(admin, tree.org["slug"], org_role)
    for scope, role in ((tree.ws_path, ws_role), (tree.project_path, project_role)):
        if role is not None:
            put = admin.put(f"{scope}/members/{user}", json={"role": role})
            assert put.status_code == 201, put.text
    return stack.client(token), user


def _org_member(admin, tree) -> str:
    user, _ = new_user(admin)
    assert admin.put(f"{tree.org_path}/members/{user}", json={"role": "member"}).is_success
    return user


def test_a_workspace_maintainer_edits_its_workspace_and_projects_but_not_a_siblings(
    stack, admin, tree, siblings
):
    other = _org_member(admin, tree)
    maintainer, _ = _granted(stack, admin, tree, "member", ws_role="maintainer")
    with maintainer:
        ws = maintainer.patch(tree.ws_path, json={"description": "ours"}, headers=IF1)
        assert ws.status_code == 200, ws.text
        made = maintainer.post(f"{tree.ws_path}/projects", json={"name": "New"})
        assert made.status_code == 201, made.text
        edited = maintainer.patch(tree.project_path, json={"settings": {"b": 2}}, headers=IF1)
        assert edited.status_code == 200, edited.text
        deleted = maintainer.delete(siblings.project, headers=IF1)
        assert deleted.status_code == 200, deleted.text
        for scope in (tree.ws_path, tree.project_path):
            put = maintainer.put(f"{scope}/members/{other}", json={"role": "operator"})
            assert put.status_code == 201, put.text
        with writes_nothing(stack):
            for method, path, body in [
                ("PATCH", siblings.ws, {"description": "x"}),
                ("DELETE", siblings.ws, None),
                ("POST", f"{siblings.ws}/projects", {"name": "x"}),
                ("PATCH", siblings.elsewhere, {"description": "x"}),
                ("PUT", f"{siblings.ws}/members/{other}", {"role": "viewer"}),
                ("PUT", f"{siblings.elsewhere}/members/{other}", {"role": "viewer"}),
                ("PATCH", tree.team_path, {"description": "x"}),
                ("POST", f"{tree.team_path}/workspaces", {"name": "x"}),
                ("PUT", f"{tree.team_path}/members/{other}", {"role": "viewer"}),
                ("PATCH", tree.org_path, {"description": "x"}),
            ]:
                response = maintainer.request(method, path, json=body, headers=IF1)
                assert_problem(response, 403)


def test_a_project_maintainer_edits_its_project_only(stack, admin, tree, siblings):
    other = _org_member(admin, tree)
    maintainer, _ = _granted(stack, admin, tree, "member", project_role="maintainer")
    with maintainer:
        edited = maintainer.patch(tree.project_path, json={"description": "ours"}, headers=IF1)
        assert edited.status_code == 200, edited.text
        put = maintainer.put(f"{tree.project_path}/members/{other}", json={"role": "viewer"})
        assert put.status_code == 201, put.text
        with writes_nothing(stack):
            for method, path, body in [
                ("PATCH", siblings.project, {"description": "x"}),
                ("DELETE", siblings.project, None),
                ("PATCH", tree.ws_path, {"description": "x"}),
                ("POST", f"{tree.ws_path}/projects", {"name": "x"}),
                ("PUT", f"{tree.ws_path}/members/{other}", {"role": "viewer"}),
                ("PUT", f"{siblings.project}/members/{other}", {"role": "viewer"}),
            ]:
                response = maintainer.request(method, path, json=body, headers=IF1)
                assert_problem(response, 403)
        deleted = maintainer.delete(tree.project_path, headers={"If-Match": '"2"'})
        assert deleted.status_code == 200, deleted.text
        restored = maintainer.post(f"{tree.project_path}:undelete", headers={"If-Match": '"3"'})
        assert restored.status_code == 200, restored.text


@pytest.mark.parametrize("role", ["operator", "auditor", "viewer"])
def test_a_workspace_operator_auditor_or_viewer_reads_but_edits_nothing(stack, admin, tree, role):
    other = _org_member(admin, tree)
    client, _ = _granted(stack, admin, tree, "member", ws_role=role)
    with client:
        assert client.get(f"{tree.project_path}/history").status_code == 200
        with writes_nothing(stack):
            for method, path, body in [
                ("PATCH", tree.ws_path, {"description": "x"}),
                ("POST", f"{tree.ws_path}/projects", {"name": "x"}),
                ("PATCH", tree.project_path, {"description": "x"}),
                ("DELETE", tree.project_path, None),
                ("PUT", f"{tree.ws_path}/members/{other}", {"role": "viewer"}),
                ("PUT", f"{tree.project_path}/members/{other}", {"role": "viewer"}),
            ]:
                assert_problem(client.request(method, path, json=body, headers=IF1), 403)


def test_grants_add_up_down_the_chain(stack, admin, tree):
    # A workspace operator who maintains one project: the project's grant widens it there.
    client, _ = _granted(
        stack, admin, tree, "member", ws_role="operator", project_role="maintainer"
    )
    with client:
        edited = client.patch(tree.project_path, json={"description": "x"}, headers=IF1)
        assert edited.status_code == 200, edited.text
        with writes_nothing(stack):
            ws = client.patch(tree.ws_path, json={"description": "x"}, headers=IF1)
            assert_problem(ws, 403)


def test_a_workspace_grant_does_not_lift_an_org_viewer_or_auditor(stack, admin, tree):
    other = _org_member(admin, tree)
    for org_role in ("viewer", "auditor"):
        client, _ = _granted(
            stack, admin, tree, org_role, ws_role="admin", project_role="maintainer"
        )
        with client, writes_nothing(stack):
            for method, path, body in [
                ("PATCH", tree.ws_path, {"description": "x"}),
                ("POST", f"{tree.ws_path}/projects", {"name": "x"}),
                ("PATCH", tree.project_path, {"description": "x"}),
                ("PUT", f"{tree.project_path}/members/{other}", {"role": "viewer"}),
            ]:
                assert_problem(client.request(method, path, json=body, headers=IF1), 403)


def test_nobody_grants_or_removes_a_role_above_their_own_on_a_workspace_or_project(
    stack, admin, tree
):
    other = _org_member(admin, tree)
    boss = _org_member(admin, tree)
    boss_grant = admin.put(f"{tree.project_path}/members/{boss}", json={"role": "admin"})
    assert boss_grant.status_code == 201, boss_grant.text
    maintainer, _ = _granted(stack, admin, tree, "member", ws_role="maintainer")
    with maintainer:
        with writes_nothing(stack):
            for scope in (tree.ws_path, tree.project_path):
                put = maintainer.put(f"{scope}/members/{other}", json={"role": "admin"})
                assert "admin" in assert_problem(put, 403)["detail"]
            boss_path = f"{tree.project_path}/members/{boss}"
            demoted = maintainer.put(boss_path, json={"role": "viewer"}, headers=IF1)
            assert_problem(demoted, 403)
            assert_problem(maintainer.delete(boss_path, headers=IF1), 403)
        peer = maintainer.put(f"{tree.ws_path}/members/{other}", json={"role": "maintainer"})
        assert peer.status_code == 201, peer.text


def test_a_removed_workspace_grant_stops_applying(stack, admin, tree):
    maintainer, user = _granted(stack, admin, tree, "member", ws_role="maintainer")
    removed = admin.delete(f"{tree.ws_path}/members/{user}", headers=IF1)
    assert removed.status_code == 200, removed.text
    with maintainer, writes_nothing(stack):
        patch = maintainer.patch(tree.ws_path, json={"description": "x"}, headers=IF1)
        assert_problem(patch, 403)
        assert maintainer.get(tree.ws_path, params=read_after(removed)).status_code == 200
