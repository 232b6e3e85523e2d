"""Tenants are isolated (another org's resources are 404, never 403) and roles are enforced
inside an org (403), including team-level roles. Denied requests write nothing."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from support.api import add_member, assert_problem, make_tree, new_user, read_after, writes_nothing
from support.stack import Stack


@dataclass
class World:
    a: object  # Tree of org A
    b: object  # Tree of org B
    alice: httpx.Client  # org member of A only
    alice_id: str
    rw: dict


@pytest.fixture(scope="module")
def world(stack: Stack):
    with stack.admin() as admin:
        a, b = make_tree(admin, "org-a"), make_tree(admin, "org-b")
        alice_id, token, write = add_member(admin, a.org["slug"], "member")
    with stack.client(token) as alice:
        yield World(a, b, alice, alice_id, read_after(write))


def _probes(tree):
    """(method, path, body) for every route under org `tree`."""
    org, team, ws, project = tree.org_path, tree.team_path, tree.ws_path, tree.project_path
    guid_org = f"/v1/orgs/{tree.org['guid']}"
    return [
        ("GET", org, None),
        ("GET", guid_org, None),
        ("PATCH", org, {"name": "pwned"}),
        ("PATCH", guid_org, {"name": "pwned"}),
        ("DELETE", org, None),
        ("POST", f"{org}:undelete", None),
        ("GET", f"{org}/history", None),
        ("GET", f"{org}/teams", None),
        ("POST", f"{org}/teams", {"name": "intruders"}),
        ("GET", team, None),
        ("PATCH", team, {"name": "pwned"}),
        ("DELETE", team, None),
        ("GET", f"{team}/history", None),
        ("GET", f"{team}/workspaces", None),
        ("POST", f"{team}/workspaces", {"name": "intruders"}),
        ("GET", f"{team}/members", None),
        ("PUT", f"{team}/members/admin", {"role": "member"}),
        ("GET", ws, None),
        ("PATCH", ws, {"is_active": False}),
        ("GET", f"{ws}/history", None),
        ("GET", f"{ws}/projects", None),
        ("POST", f"{ws}/projects", {"name": "intruders"}),
        ("GET", project, None),
        ("PATCH", project, {"settings": {}}),
        ("DELETE", project, None),
        ("GET", f"{project}/history", None),
        ("GET", f"{org}/members", None),
        ("GET", f"{org}/members/admin", None),
        ("PUT", f"{org}/members/admin", {"role": "viewer"}),
        ("DELETE", f"{org}/members/admin", None),
        ("GET", f"{org}/members/admin/history", None),
        ("GET", f"{org}/groups", None),
        ("POST", f"{org}/groups", {"name": "intruders", "role": "owner"}),
    ]


PROBE_COUNT = 33


@pytest.mark.parametrize("index", range(PROBE_COUNT))
def test_a_member_of_org_a_probing_org_b_gets_404_and_writes_nothing(stack, world, index):
    method, path, body = _probes(world.b)[index]
    with writes_nothing(stack):
        response = world.alice.request(
            method, path, json=body, params=world.rw, headers={"If-Match": '"1"'}
        )
    problem = assert_problem(response, 404)
    assert problem["title"] == "Not found"
    if world.b.org["guid"] not in path:  # nothing of org B leaks beyond what was asked
        assert world.b.org["guid"] not in response.text


def test_the_probe_list_covers_every_route(world):
    assert len(_probes(world.b)) == PROBE_COUNT


def test_the_same_requests_inside_its_own_org_are_not_404(world):
    """Control: the probes are refused because of the tenant, not because they are broken."""
    readable = [p for p in _probes(world.a) if p[0] == "GET"]
    for method, path, _ in readable:
        response = world.alice.request(method, path, params=world.rw)
        assert response.status_code == 200, (path, response.text)


def test_a_probe_looks_exactly_like_a_missing_org(world):
    probe = world.alice.get(f"{world.b.org_path}/teams", params=world.rw).json()
    missing = world.alice.get("/v1/orgs/no-such-org-at-all/teams", params=world.rw).json()
    assert {k: v for k, v in probe.items() if k not in ("detail", "instance")} == {
        k: v for k, v in missing.items() if k not in ("detail", "instance")
    }


def test_lists_show_only_the_callers_tenants(world):
    orgs = world.alice.get("/v1/orgs", params=world.rw).json()["items"]
    assert [o["guid"] for o in orgs] == [world.a.org["guid"]]
    shown = world.alice.get("/v1/orgs", params={**world.rw, "show_deleted": "true"}).json()
    assert [o["guid"] for o in shown["items"]] == [world.a.org["guid"]]


def test_org_a_ids_cannot_reach_org_b_children(stack, world):
    """Org A's path with org B's child guids: the child is not under that parent."""
    a, b = world.a, world.b
    paths = [
        f"{a.org_path}/teams/{b.team['guid']}",
        f"{a.team_path}/workspaces/{b.ws['guid']}",
        f"{a.ws_path}/projects/{b.project['guid']}",
        f"{a.ws_path}/projects/{b.project['guid']}/history",
    ]
    with writes_nothing(stack):
        for path in paths:
            assert_problem(world.alice.get(path, params=world.rw), 404)
        patch = world.alice.patch(
            f"{a.org_path}/teams/{b.team['guid']}", json={"name": "x"}, headers={"If-Match": "1"}
        )
        assert_problem(patch, 404)


# -- roles inside one's own org -----------------------------------------------------------
@pytest.fixture
def tree(admin):
    return make_tree(admin)


def _client(stack, admin, tree, role, team_role=None):
    _, token, write = add_member(
        admin, tree.org["slug"], role, tree.team["slug"] if team_role else None, team_role or ""
    )
    return stack.client(token), read_after(write)


def test_a_viewer_reads_but_may_not_change_anything(stack, admin, tree):
    viewer, rw = _client(stack, admin, tree, "viewer")
    with viewer:
        assert viewer.get(tree.org_path, params=rw).status_code == 200
        assert viewer.get(f"{tree.project_path}/history").status_code == 200
        assert viewer.get(f"{tree.org_path}/members", params=rw).status_code == 200
        with writes_nothing(stack):
            for method, path, body in [
                ("PATCH", tree.org_path, {"name": "x"}),
                ("DELETE", tree.org_path, None),
                ("POST", f"{tree.org_path}/teams", {"name": "x"}),
                ("PATCH", tree.team_path, {"name": "x"}),
                ("POST", f"{tree.team_path}/workspaces", {"name": "x"}),
                ("POST", f"{tree.ws_path}/projects", {"name": "x"}),
                ("PATCH", tree.project_path, {"name": "x"}),
                ("DELETE", tree.project_path, None),
                ("PUT", f"{tree.org_path}/members/admin", {"role": "viewer"}),
                ("POST", f"{tree.org_path}/groups", {"name": "x", "role": "viewer"}),
            ]:
                response = viewer.request(method, path, json=body, headers={"If-Match": '"1"'})
                problem = assert_problem(response, 403)
                assert problem["title"] == "Forbidden"


def test_an_org_member_without_a_team_role_is_read_only(stack, admin, tree):
    member, rw = _client(stack, admin, tree, "member")
    with member, writes_nothing(stack):
        assert member.get(tree.ws_path, params=rw).status_code == 200
        assert_problem(member.post(f"{tree.org_path}/teams", json={"name": "x"}), 403)
        assert_problem(member.post(f"{tree.team_path}/workspaces", json={"name": "x"}), 403)
        assert_problem(member.post(f"{tree.ws_path}/projects", json={"name": "x"}), 403)


def test_a_team_maintainer_runs_its_team_but_not_the_org(stack, admin, tree):
    other_team = admin.post(f"{tree.org_path}/teams", json={"name": "Other"}).json()
    maintainer, rw = _client(stack, admin, tree, "member", "maintainer")
    newcomer, _ = new_user(admin)
    joined = admin.put(f"{tree.org_path}/members/{newcomer}", json={"role": "member"})
    assert joined.status_code == 201
    with maintainer:
        ws = maintainer.post(f"{tree.team_path}/workspaces", json={"name": "Maintained"})
        assert ws.status_code == 201, ws.text
        project = maintainer.post(
            f"{tree.team_path}/workspaces/maintained/projects", json={"name": "P"}
        )
        assert project.status_code == 201, project.text
        team = maintainer.patch(
            tree.team_path, json={"description": "ours"}, headers={"If-Match": "1"}
        )
        assert team.status_code == 200, team.text
        added = maintainer.put(f"{tree.team_path}/members/{newcomer}", json={"role": "member"})
        assert added.status_code == 201, added.text
        deleted = maintainer.delete(tree.project_path, headers={"If-Match": "1"})
        assert deleted.status_code == 200, deleted.text
        with writes_nothing(stack):
            other = f"{tree.org_path}/teams/{other_team['slug']}"
            assert_problem(maintainer.post(f"{other}/workspaces", json={"name": "x"}), 403)
            assert_problem(maintainer.post(f"{tree.org_path}/teams", json={"name": "x"}), 403)
            assert_problem(
                maintainer.patch(tree.org_path, json={"name": "x"}, headers={"If-Match": "1"}), 403
            )
            assert_problem(maintainer.delete(tree.team_path, headers={"If-Match": "2"}), 403)
            assert_problem(
                maintainer.put(
                    f"{tree.org_path}/members/{newcomer}",
                    json={"role": "admin"},
                    headers={"If-Match": "1"},
                ),
                403,
            )


def test_a_team_member_may_create_projects_but_not_workspaces(stack, admin, tree):
    other_team = admin.post(f"{tree.org_path}/teams", json={"name": "Other"}).json()
    other_ws = admin.post(
        f"{tree.org_path}/teams/{other_team['slug']}/workspaces", json={"name": "W"}
    )
    member, rw = _client(stack, admin, tree, "member", "member")
    with member:
        project = member.post(f"{tree.ws_path}/projects", json={"name": "Mine"})
        assert project.status_code == 201, project.text
        patched = member.patch(
            f"{tree.ws_path}/projects/mine", json={"settings": {"k": 1}}, headers={"If-Match": "1"}
        )
        assert patched.status_code == 200, patched.text
        with writes_nothing(stack):
            assert_problem(member.post(f"{tree.team_path}/workspaces", json={"name": "x"}), 403)
            assert_problem(
                member.patch(tree.ws_path, json={"name": "x"}, headers={"If-Match": "1"}), 403
            )
            assert_problem(member.delete(tree.project_path, headers={"If-Match": "1"}), 403)
            assert_problem(
                member.put(f"{tree.team_path}/members/admin", json={"role": "member"}), 403
            )
            elsewhere = f"{tree.org_path}/teams/{other_team['slug']}/workspaces/w/projects"
            assert other_ws.status_code == 201
            assert_problem(member.post(elsewhere, json={"name": "x"}), 403)


def test_a_team_role_does_not_lift_an_org_viewer(stack, admin, tree):
    viewer, _ = _client(stack, admin, tree, "viewer", "maintainer")
    with viewer, writes_nothing(stack):
        assert_problem(viewer.post(f"{tree.team_path}/workspaces", json={"name": "x"}), 403)
        assert_problem(viewer.post(f"{tree.ws_path}/projects", json={"name": "x"}), 403)


def test_an_org_admin_does_everything_but_delete_the_org(stack, admin, tree):
    org_admin, rw = _client(stack, admin, tree, "admin")
    with org_admin:
        team = org_admin.post(f"{tree.org_path}/teams", json={"name": "Admins"})
        assert team.status_code == 201, team.text
        patched = org_admin.patch(
            tree.org_path, json={"description": "x"}, headers={"If-Match": "1"}
        )
        assert patched.status_code == 200, patched.text
        with writes_nothing(stack):
            assert_problem(org_admin.delete(tree.org_path, headers={"If-Match": "2"}), 403)
    owner_delete = admin.delete(tree.org_path, headers={"If-Match": "2"})
    assert owner_delete.status_code == 200, owner_delete.text
