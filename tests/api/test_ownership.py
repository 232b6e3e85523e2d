"""Ownership cannot be taken by an admin, and an organization never loses its last owner
(issue 11.5): directly, through groups, or by deleting or leaving a membership."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from support.api import assert_problem, created, new_user, read_after, unique, writes_nothing


@dataclass
class Org:
    path: str
    owner_id: str
    owner: httpx.Client
    admin_id: str
    org_admin: httpx.Client

    def version(self, after: httpx.Response | None = None) -> str:
        params = read_after(after) if after is not None else None
        return self.owner.get(self.path, params=params).headers["ETag"]


@pytest.fixture
def org(stack, admin):
    """An org created by an ordinary user (its only owner), with an org admin."""
    owner_id, owner_token = new_user(admin, "owner")
    admin_id, admin_token = new_user(admin, "orgadmin")
    with stack.client(owner_token) as owner, stack.client(admin_token) as org_admin:
        body = created(owner.post("/v1/orgs", json={"name": unique("owned")}))
        path = f"/v1/orgs/{body['slug']}"
        assert owner.put(f"{path}/members/{admin_id}", json={"role": "admin"}).status_code == 201
        yield Org(path, owner_id, owner, admin_id, org_admin)


def _owners_group(org: Org, *members: str) -> httpx.Response:
    group = org.owner.post(f"{org.path}/groups", json={"name": "Owners", "role": "owner"})
    assert group.status_code == 201, group.text
    for user in members:
        group = org.owner.post(f"{org.path}/groups/owners/members", json={"user": user})
        assert group.status_code == 200, group.text
    return group


def test_an_org_admin_may_not_demote_or_remove_an_owner(stack, org):
    member = f"{org.path}/members/{org.owner_id}"
    with writes_nothing(stack):
        demoted = org.org_admin.put(member, json={"role": "viewer"}, headers={"If-Match": "1"})
        assert "owner" in assert_problem(demoted, 403)["detail"]
        assert_problem(org.org_admin.delete(member, headers={"If-Match": "1"}), 403)


def test_an_org_admin_may_not_change_or_remove_the_owners_group(stack, org, admin):
    other, _ = new_user(admin)
    group = _owners_group(org, other)
    version = {"If-Match": group.headers["ETag"]}
    groups = f"{org.path}/groups/owners"
    with writes_nothing(stack):
        changed = org.org_admin.patch(groups, json={"role": "viewer"}, headers=version)
        assert_problem(changed, 403)
        assert_problem(org.org_admin.delete(groups, headers=version), 403)
        assert_problem(org.org_admin.delete(f"{groups}/members/{other}", headers=version), 403)


def test_an_org_admin_may_not_change_a_member_who_owns_through_a_group(stack, org, admin):
    other, _ = new_user(admin)
    joined = org.owner.put(f"{org.path}/members/{other}", json={"role": "viewer"})
    assert joined.status_code == 201
    _owners_group(org, other)
    with writes_nothing(stack):
        changed = org.org_admin.put(
            f"{org.path}/members/{other}", json={"role": "admin"}, headers={"If-Match": "1"}
        )
        assert_problem(changed, 403)
        removed = org.org_admin.delete(f"{org.path}/members/{other}", headers={"If-Match": "1"})
        assert_problem(removed, 403)


def test_the_last_owner_can_be_neither_demoted_nor_removed_even_by_a_platform_admin(
    stack, org, admin
):
    member = f"{org.path}/members/{org.owner_id}"
    with writes_nothing(stack):
        for client in (org.owner, admin):
            demoted = client.put(member, json={"role": "admin"}, headers={"If-Match": "1"})
            assert "at least one owner" in assert_problem(demoted, 409)["detail"]
            assert_problem(client.delete(member, headers={"If-Match": "1"}), 409)


def test_an_owner_may_hand_over_ownership_and_then_step_down(stack, org):
    member = f"{org.path}/members/{org.admin_id}"
    promoted = org.owner.put(member, json={"role": "owner"}, headers={"If-Match": "1"})
    assert promoted.status_code == 200, promoted.text
    stepped = org.owner.put(
        f"{org.path}/members/{org.owner_id}", json={"role": "viewer"}, headers={"If-Match": "1"}
    )
    assert stepped.status_code == 200, stepped.text
    with writes_nothing(stack):
        last = org.org_admin.delete(member, headers={"If-Match": promoted.headers["ETag"]})
        assert_problem(last, 409)
    assert org.org_admin.post(f"{org.path}/teams", json={"name": "Still"}).status_code == 201


def test_the_last_owners_through_a_group_keep_it(stack, org, admin):
    other, other_token = new_user(admin)
    group = _owners_group(org, other)
    # The creator steps down: only the group's member owns the org now.
    demoted = org.owner.put(
        f"{org.path}/members/{org.owner_id}", json={"role": "admin"}, headers={"If-Match": "1"}
    )
    assert demoted.status_code == 200, demoted.text
    groups = f"{org.path}/groups/owners"
    with stack.client(other_token) as last_owner, writes_nothing(stack):
        version = {"If-Match": org.version(demoted)}
        changed = last_owner.patch(groups, json={"role": "admin"}, headers=version)
        assert_problem(changed, 409)
        assert_problem(last_owner.delete(groups, headers=version), 409)
        assert_problem(last_owner.delete(f"{groups}/members/{other}", headers=version), 409)
        assert_problem(last_owner.post(f"{org.path}:leave"), 409)
    assert group.json()["members"] == [other]


def test_a_member_lists_the_orgs_it_was_added_to_and_leaves_one(stack, org, admin):
    user, token = new_user(admin)
    added = org.owner.put(f"{org.path}/members/{user}", json={"role": "viewer"})
    with stack.client(token) as member:
        mine = member.get("/v1/me/orgs", params=read_after(added))
        assert mine.status_code == 200, mine.text
        assert [(o["slug"], o["roles"]) for o in mine.json()["items"]] == [
            (org.path.rsplit("/", 1)[1], ["viewer"])
        ]
        left = member.post(f"{org.path}:leave")
        assert left.status_code == 200, left.text
        assert left.json()["user_id"] == user
        assert member.get("/v1/me/orgs", params=read_after(left)).json()["items"] == []
        assert_problem(member.get(org.path, params=read_after(left)), 404)
        assert_problem(member.post(f"{org.path}:leave"), 404)


def test_the_last_owner_may_not_leave_but_a_second_one_may(stack, org):
    with writes_nothing(stack):
        assert_problem(org.owner.post(f"{org.path}:leave"), 409)
    member = f"{org.path}/members/{org.admin_id}"
    assert org.owner.put(member, json={"role": "owner"}, headers={"If-Match": "1"}).is_success
    left = org.owner.post(f"{org.path}:leave")
    assert left.status_code == 200, left.text
    assert_problem(org.owner.get(org.path, params=read_after(left)), 404)
