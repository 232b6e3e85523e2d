"""Organization members, team members and org groups over HTTP."""

from __future__ import annotations

import pytest
from support.api import (
    add_member,
    assert_problem,
    created,
    make_tree,
    new_user,
    read_after,
    unique,
    writes_nothing,
)


@pytest.fixture
def tree(admin):
    return make_tree(admin)


def _slug_of(admin, user_guid: str, after) -> str:
    return admin.get(f"/v1/users/{user_guid}", params=read_after(after)).json()["slug"]


# -- organization members ---------------------------------------------------------------
def test_put_member_creates_a_membership_readable_by_user_guid_or_slug(admin, tree):
    user, _ = new_user(admin, "bob")
    put = admin.put(f"{tree.org_path}/members/{user}", json={"role": "viewer"})
    assert put.status_code == 201, put.text
    body = put.json()
    assert (body["organization_id"], body["user_id"], body["role"]) == (
        tree.org["guid"],
        user,
        "viewer",
    )
    assert body["version"] == 1 and body["created_by"] and body["deleted_at"] is None
    assert put.headers["Location"] == f"/v1/orgs/{tree.org['guid']}/members/{user}"
    assert put.headers["ETag"] == '"1"'
    assert put.headers["X-Signalyard-Position"]
    by_guid = admin.get(put.headers["Location"], params=read_after(put))
    slug = _slug_of(admin, user, put)
    by_slug = admin.get(f"{tree.org_path}/members/{slug}", params=read_after(put))
    assert by_guid.status_code == by_slug.status_code == 200
    assert by_guid.json() == by_slug.json()
    assert by_guid.json()["role"] == "viewer"
    assert by_guid.headers["ETag"] == '"1"'
    listed = admin.get(f"{tree.org_path}/members", params=read_after(put)).json()
    roles = {m["user_id"]: m["role"] for m in listed["items"]}
    me = admin.get("/v1/me").json()["guid"]
    assert roles == {me: "owner", user: "viewer"}


def test_put_on_an_existing_membership_needs_if_match(admin, stack, tree):
    user, _ = new_user(admin)
    path = f"{tree.org_path}/members/{user}"
    assert admin.put(path, json={"role": "viewer"}).status_code == 201
    with writes_nothing(stack):
        assert_problem(admin.put(path, json={"role": "admin"}), 428)
        stale = assert_problem(
            admin.put(path, json={"role": "admin"}, headers={"If-Match": '"9"'}), 412
        )
    assert stale["current_version"] == 1
    changed = admin.put(path, json={"role": "admin"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert "Location" not in changed.headers
    assert changed.headers["ETag"] == '"2"'
    assert changed.json()["role"] == "admin"
    read = admin.get(path, params=read_after(changed))
    assert read.json()["role"] == "admin" and read.headers["ETag"] == '"2"'


def test_remove_member_needs_if_match_hides_it_and_it_can_be_added_again(admin, stack, tree):
    user, token = new_user(admin)
    path = f"{tree.org_path}/members/{user}"
    put = admin.put(path, json={"role": "member"})
    assert put.status_code == 201
    with stack.client(token) as bob:
        assert bob.get(tree.org_path, params=read_after(put)).status_code == 200
        with writes_nothing(stack):
            assert_problem(admin.delete(path), 428)
            assert_problem(admin.delete(path, headers={"If-Match": '"3"'}), 412)
        removed = admin.delete(path, headers={"If-Match": '"1"'})
        assert removed.status_code == 200, removed.text
        assert removed.json()["deleted_at"] is not None
        rw = read_after(removed)
        assert_problem(admin.get(path, params=rw), 404)
        members = admin.get(f"{tree.org_path}/members", params=rw).json()["items"]
        assert user not in {m["user_id"] for m in members}
        members = admin.get(f"{tree.org_path}/members", params={**rw, "show_deleted": "true"})
        assert user in {m["user_id"] for m in members.json()["items"]}
        # The removed user lost access at once (commands) and in the read model (queries).
        assert_problem(bob.get(tree.org_path, params=rw), 404)
        assert_problem(bob.post(f"{tree.org_path}/teams", json={"name": "x"}), 404)
        assert_problem(admin.delete(path, headers={"If-Match": '"2"'}), 404)

        # Adding again restores the membership: to the caller it did not exist.
        again = admin.put(path, json={"role": "viewer"})
        assert again.status_code in (200, 201), again.text
        assert again.json()["role"] == "viewer" and again.json()["deleted_at"] is None
        assert bob.get(tree.org_path, params=read_after(again)).status_code == 200


def test_member_history(admin, tree):
    me = admin.get("/v1/me").json()["guid"]
    user, _ = new_user(admin)
    path = f"{tree.org_path}/members/{user}"
    admin.put(path, json={"role": "viewer"})
    admin.put(path, json={"role": "member"}, headers={"If-Match": '"1"'})
    admin.delete(path, headers={"If-Match": '"2"'})
    history = admin.get(f"{path}/history")
    assert history.status_code == 200, history.text
    items = history.json()["items"]
    assert [i["type"] for i in items] == [
        "OrganizationMember.Granted",
        "OrganizationMember.Updated",
        "OrganizationMember.Deleted",
    ]
    assert [i["version"] for i in items] == [1, 2, 3]
    assert {i["actor"] for i in items} == {me}
    assert items[1]["changed_fields"] == ["role"]
    assert "role" in items[0]["changed_fields"]


def test_member_errors_write_nothing(admin, stack, tree):
    user, _ = new_user(admin)
    with writes_nothing(stack):
        assert_problem(
            admin.put(f"{tree.org_path}/members/{unique('ghost')}", json={"role": "member"}), 404
        )
        assert_problem(
            admin.put(
                f"{tree.org_path}/members/00000000-0000-0000-0000-000000000001",
                json={"role": "member"},
            ),
            404,
        )
        assert_problem(
            admin.put(f"{tree.org_path}/members/{user}", json={"role": "king"}), 422, "role"
        )
        assert_problem(admin.put(f"{tree.org_path}/members/{user}", json={}), 422, "role")
        assert_problem(admin.get(f"{tree.org_path}/members/{user}"), 404)
        assert_problem(
            admin.delete(f"{tree.org_path}/members/{user}", headers={"If-Match": "1"}), 404
        )
        assert_problem(admin.get(f"{tree.org_path}/members/{user}/history"), 404)


def test_only_an_owner_grants_or_removes_the_owner_role(admin, stack, tree):
    _, admin_token, write = add_member(admin, tree.org["slug"], "admin")
    target, _ = new_user(admin)
    owner = admin.get("/v1/me").json()["guid"]
    with stack.client(admin_token) as org_admin:
        with writes_nothing(stack):
            grant = org_admin.put(f"{tree.org_path}/members/{target}", json={"role": "owner"})
            assert_problem(grant, 403)
            remove = org_admin.delete(f"{tree.org_path}/members/{owner}", headers={"If-Match": "1"})
            assert_problem(remove, 403)
        ok = org_admin.put(f"{tree.org_path}/members/{target}", json={"role": "member"})
        assert ok.status_code == 201, ok.text


# -- team members -----------------------------------------------------------------------
def test_team_membership_lifecycle(admin, stack, tree):
    user, _, _ = add_member(admin, tree.org["slug"], "member")
    path = f"{tree.team_path}/members/{user}"
    put = admin.put(path, json={"role": "member"})
    assert put.status_code == 201, put.text
    assert put.headers["Location"] == (
        f"/v1/orgs/{tree.org['guid']}/teams/{tree.team['guid']}/members/{user}"
    )
    body = put.json()
    assert (body["team_id"], body["organization_id"], body["role"]) == (
        tree.team["guid"],
        tree.org["guid"],
        "member",
    )
    read = admin.get(put.headers["Location"], params=read_after(put))
    assert read.status_code == 200 and read.json()["role"] == "member"
    slug = _slug_of(admin, user, put)
    assert (
        admin.get(f"{tree.team_path}/members/{slug}", params=read_after(put)).json() == read.json()
    )
    listed = admin.get(f"{tree.team_path}/members", params=read_after(put)).json()["items"]
    assert [m["user_id"] for m in listed] == [user]

    with writes_nothing(stack):
        assert_problem(admin.put(path, json={"role": "maintainer"}), 428)
        assert_problem(admin.put(path, json={"role": "owner"}), 422, "role")
        assert_problem(admin.put(path, json={"role": "maintainer"}, headers={"If-Match": "4"}), 412)
    changed = admin.put(path, json={"role": "maintainer"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["role"] == "maintainer"

    with writes_nothing(stack):
        assert_problem(admin.delete(path), 428)
    removed = admin.delete(path, headers={"If-Match": '"2"'})
    assert removed.status_code == 200
    rw = read_after(removed)
    assert_problem(admin.get(path, params=rw), 404)
    assert admin.get(f"{tree.team_path}/members", params=rw).json()["items"] == []
    shown = admin.get(f"{tree.team_path}/members", params={**rw, "show_deleted": "true"})
    assert [m["user_id"] for m in shown.json()["items"]] == [user]

    history = admin.get(f"{path}/history").json()["items"]
    assert [i["type"] for i in history] == [
        "TeamMembership.Granted",
        "TeamMembership.Updated",
        "TeamMembership.Deleted",
    ]
    assert history[1]["changed_fields"] == ["role"]


def test_a_team_member_must_belong_to_the_organization_first(admin, stack, tree):
    outsider, _ = new_user(admin)
    with writes_nothing(stack):
        response = admin.put(f"{tree.team_path}/members/{outsider}", json={"role": "member"})
    assert_problem(response, 422, "user")


# -- groups -----------------------------------------------------------------------------
def test_groups_grant_their_role_to_their_members(admin, stack, tree):
    user, token = new_user(admin)
    group = admin.post(f"{tree.org_path}/groups", json={"name": "Operators", "role": "admin"})
    assert group.status_code == 201, group.text
    g = group.json()
    assert (g["slug"], g["role"], g["members"]) == ("operators", "admin", [])
    assert group.headers["Location"] == f"/v1/orgs/{tree.org['guid']}/groups/{g['guid']}"
    assert group.headers["ETag"] == '"2"'  # the organization's version: groups live in it

    with stack.client(token) as bob:
        assert_problem(bob.get(tree.org_path, params=read_after(group)), 404)
        added = admin.post(f"{tree.org_path}/groups/operators/members", json={"user": user})
        assert added.status_code == 200, added.text
        assert added.json()["members"] == [user]
        rw = read_after(added)
        listed = admin.get(f"{tree.org_path}/groups", params=rw).json()
        assert [(x["slug"], x["members"]) for x in listed] == [("operators", [user])]
        by_guid = admin.get(f"{tree.org_path}/groups/{g['guid']}", params=rw)
        assert by_guid.json() == admin.get(f"{tree.org_path}/groups/operators", params=rw).json()
        org = admin.get(tree.org_path, params=rw).json()
        assert [x["slug"] for x in org["groups"]] == ["operators"]
        # Group role admin: bob sees the org and may create a team.
        assert bob.get(tree.org_path, params=rw).status_code == 200
        team = bob.post(f"{tree.org_path}/teams", json={"name": unique("Bobs")})
        assert team.status_code == 201, team.text

        org_version = admin.get(tree.org_path, params=read_after(team)).headers["ETag"]
        with writes_nothing(stack):
            assert_problem(
                admin.patch(f"{tree.org_path}/groups/operators", json={"role": "viewer"}), 428
            )
            assert_problem(
                admin.patch(
                    f"{tree.org_path}/groups/operators",
                    json={"role": "viewer"},
                    headers={"If-Match": "1"},
                ),
                412,
            )
        patched = admin.patch(
            f"{tree.org_path}/groups/operators",
            json={"role": "viewer", "name": "Watchers"},
            headers={"If-Match": org_version},
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["role"], patched.json()["name"]) == ("viewer", "Watchers")
        denied = bob.post(f"{tree.org_path}/teams", json={"name": unique("More")})
        assert_problem(denied, 403)

        removed = admin.delete(
            f"{tree.org_path}/groups/operators/members/{user}",
            headers={"If-Match": patched.headers["ETag"]},
        )
        assert removed.status_code == 200, removed.text
        assert removed.json()["members"] == []
        assert_problem(bob.get(tree.org_path, params=read_after(removed)), 404)

        gone = admin.delete(
            f"{tree.org_path}/groups/operators", headers={"If-Match": removed.headers["ETag"]}
        )
        assert gone.status_code == 200, gone.text
        assert admin.get(f"{tree.org_path}/groups", params=read_after(gone)).json() == []
        assert_problem(admin.get(f"{tree.org_path}/groups/operators", params=read_after(gone)), 404)

    history = admin.get(f"{tree.org_path}/history").json()["items"]
    types = [i["type"] for i in history]
    assert types[-5:] == [
        "Organization.GroupDefined",
        "Organization.GroupMemberAdded",
        "Organization.GroupChanged",
        "Organization.GroupMemberRemoved",
        "Organization.GroupRemoved",
    ]


def test_group_errors_write_nothing(admin, stack, tree):
    created(admin.post(f"{tree.org_path}/groups", json={"name": "Ops", "role": "member"}))
    with writes_nothing(stack):
        assert_problem(
            admin.post(f"{tree.org_path}/groups", json={"name": "Ops", "role": "member"}),
            409,
            "slug",
        )
        assert_problem(
            admin.post(f"{tree.org_path}/groups", json={"name": "X", "role": "god"}), 422, "role"
        )
        assert_problem(admin.post(f"{tree.org_path}/groups", json={"name": "X"}), 422, "role")
        assert_problem(
            admin.post(f"{tree.org_path}/groups/ops/members", json={"user": unique("ghost")}), 404
        )
        assert_problem(
            admin.post(
                f"{tree.org_path}/groups/{unique('nogroup')}/members", json={"user": "admin"}
            ),
            404,
        )
