"""Use cases of identity and tenancy, on the in-memory store and on Postgres."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from domain.core.context import system_context
from domain.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
    Unauthenticated,
    VersionRequired,
)
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService


class World:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.identity = IdentityService(store)
        self.tenancy = TenancyService(store)
        issued = self.identity.bootstrap_admin("Admin", None)
        assert issued is not None
        self.admin = self.identity.authenticate(issued.secret).context("corr-admin")

    def user(self, slug: str):
        self.identity.register_user(self.admin, name=slug.title(), slug=slug)
        issued = self.identity.issue_token(self.admin, slug, "t", None)
        return self.identity.authenticate(issued.secret).context(f"corr-{slug}")


@pytest.fixture
def world(store: EventStore) -> World:
    return World(store)


def build_tree(world: World, ctx):
    world.tenancy.hierarchy.create_organization(ctx, "Acme")
    world.tenancy.hierarchy.create_team(ctx, "acme", "Platform")
    world.tenancy.hierarchy.create_workspace(ctx, "acme", "platform", "Main")
    return world.tenancy.hierarchy.create_project(
        ctx, "acme", "platform", "main", "Agents", settings={"k": 1}
    )


def test_hierarchy_resolves_by_slug_and_guid(world: World):
    alice = world.user("alice")
    project = build_tree(world, alice)
    chain = world.tenancy.resolve.chain("acme", "platform", "main", "agents")
    assert chain.project.id == project.guid
    by_guid = world.tenancy.resolve.chain(
        str(chain.org.id), str(chain.team.id), str(chain.workspace.id), str(project.guid)
    )
    assert by_guid.project.settings == {"k": 1}


def test_every_event_carries_actor_correlation_and_tenant(world: World):
    alice = world.user("alice")
    project = build_tree(world, alice)
    (event,) = world.store.history(project.guid)
    assert event.meta["actor"] == str(alice.actor_id)
    assert event.meta["correlation_id"] == "corr-alice"
    assert event.meta["tenant_id"] == str(world.tenancy.resolve.chain("acme").org.id)


def test_duplicate_slug_in_scope_conflicts_but_other_scope_is_fine(world: World):
    alice = world.user("alice")
    build_tree(world, alice)
    with pytest.raises(Conflict) as caught:
        world.tenancy.hierarchy.create_team(alice, "acme", "Platform")
    assert caught.value.field == "slug"
    world.tenancy.hierarchy.create_organization(alice, "Other")
    world.tenancy.hierarchy.create_team(alice, "other", "Platform")  # same slug, other org


def test_concurrent_claims_of_one_slug_let_exactly_one_win(world: World):
    alice = world.user("alice")
    world.tenancy.hierarchy.create_organization(alice, "Acme")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        try:
            world.tenancy.hierarchy.create_team(alice, "acme", "Racing")
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") == 1 and outcomes.count("conflict") == 7


def test_rename_moves_the_slug_claim(world: World):
    alice = world.user("alice")
    build_tree(world, alice)
    world.tenancy.hierarchy.update(alice, ("acme", "platform"), {"slug": "infra"}, 1)
    assert world.tenancy.resolve.chain("acme", "infra").team.slug == "infra"
    with pytest.raises(NotFound):
        world.tenancy.resolve.chain("acme", "platform")
    world.tenancy.hierarchy.create_team(alice, "acme", "Platform")  # old slug free again


def test_stale_update_is_rejected_and_writes_nothing(world: World):
    alice = world.user("alice")
    build_tree(world, alice)
    world.tenancy.hierarchy.update(alice, ("acme",), {"name": "Acme Inc"}, 1)
    with pytest.raises(StaleVersion) as caught:
        world.tenancy.hierarchy.update(alice, ("acme",), {"name": "Lost"}, 1)
    assert caught.value.current_version == 2
    org = world.tenancy.resolve.chain("acme").org
    assert org.name == "Acme Inc" and org.version == 2


def test_invalid_update_writes_nothing(world: World):
    alice = world.user("alice")
    build_tree(world, alice)
    for changes, field in (
        ({"website": "ftp://x"}, "website"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"name": ""}, "name"),
    ):
        with pytest.raises(InvalidInput) as caught:
            world.tenancy.hierarchy.update(alice, ("acme",), changes, 1)
        assert caught.value.field == field
    assert world.tenancy.resolve.chain("acme").org.version == 1


def test_soft_delete_hides_subtree_and_undelete_restores(world: World):
    alice = world.user("alice")
    build_tree(world, alice)
    world.tenancy.hierarchy.delete(alice, ("acme", "platform"), 1)
    with pytest.raises(NotFound):
        world.tenancy.resolve.chain("acme", "platform", "main")
    with pytest.raises(NotFound):
        world.tenancy.hierarchy.create_workspace(alice, "acme", "platform", "New")
    world.tenancy.hierarchy.undelete(alice, ("acme", "platform"), 2)
    assert world.tenancy.resolve.chain("acme", "platform", "main", "agents").project


def test_outsiders_see_not_found_and_weak_roles_are_denied(world: World):
    alice, bob = world.user("alice"), world.user("bob")
    build_tree(world, alice)
    with pytest.raises(NotFound):
        world.tenancy.hierarchy.update(bob, ("acme",), {"name": "Mine"}, 1)
    with pytest.raises(NotFound):
        world.tenancy.hierarchy.history(bob, ("acme",))
    world.tenancy.memberships.put_org_member(alice, "acme", "bob", "viewer")
    world.tenancy.hierarchy.history(bob, ("acme",))  # viewers may read
    with pytest.raises(PermissionDenied):
        world.tenancy.hierarchy.update(bob, ("acme",), {"name": "Mine"}, 1)


def test_team_roles_widen_what_an_org_member_may_do(world: World):
    alice, bob = world.user("alice"), world.user("bob")
    build_tree(world, alice)
    world.tenancy.memberships.put_org_member(alice, "acme", "bob", "member")
    with pytest.raises(PermissionDenied):
        world.tenancy.hierarchy.create_project(bob, "acme", "platform", "main", "Mine")
    world.tenancy.memberships.put_team_member(alice, "acme", "platform", "bob", "member")
    world.tenancy.hierarchy.create_project(bob, "acme", "platform", "main", "Mine")
    with pytest.raises(PermissionDenied):
        world.tenancy.hierarchy.create_workspace(bob, "acme", "platform", "Side")
    world.tenancy.memberships.put_team_member(alice, "acme", "platform", "bob", "maintainer", 1)
    world.tenancy.hierarchy.create_workspace(bob, "acme", "platform", "Side")


def test_workspace_and_project_grants_hold_below_them_only(world: World):
    alice, bob = world.user("alice"), world.user("bob")
    build_tree(world, alice)
    world.tenancy.hierarchy.create_workspace(alice, "acme", "platform", "Side")
    world.tenancy.hierarchy.create_project(alice, "acme", "platform", "main", "Other")
    world.tenancy.memberships.put_org_member(alice, "acme", "bob", "member")
    agents = ("acme", "platform", "main", "agents")
    world.tenancy.memberships.put_scope_member(alice, agents, "bob", "maintainer")
    world.tenancy.hierarchy.update(bob, agents, {"description": "mine"}, 1)
    for refs in [("acme", "platform", "main"), ("acme", "platform", "main", "other")]:
        with pytest.raises(PermissionDenied):
            world.tenancy.hierarchy.update(bob, refs, {"description": "x"}, 1)
    world.tenancy.memberships.put_scope_member(
        alice, ("acme", "platform", "main"), "bob", "maintainer"
    )
    world.tenancy.hierarchy.update(
        bob, ("acme", "platform", "main", "other"), {"description": "x"}, 1
    )
    world.tenancy.hierarchy.create_project(bob, "acme", "platform", "main", "New")
    with pytest.raises(PermissionDenied):
        world.tenancy.hierarchy.update(bob, ("acme", "platform", "side"), {"description": "x"}, 1)
    with pytest.raises(PermissionDenied):
        world.tenancy.memberships.put_scope_member(bob, agents, "alice", "admin")
    world.tenancy.memberships.put_org_member(alice, "acme", "bob", "viewer", 1)
    with pytest.raises(PermissionDenied):  # an org viewer stays read-only
        world.tenancy.hierarchy.create_project(bob, "acme", "platform", "main", "Newer")


def test_groups_grant_their_role_to_members(world: World):
    alice, carol = world.user("alice"), world.user("carol")
    build_tree(world, alice)
    world.tenancy.groups.define_group(alice, "acme", "Operators", "admin")
    with pytest.raises(NotFound):
        world.tenancy.hierarchy.create_team(carol, "acme", "Carol's")
    world.tenancy.groups.add_group_member(alice, "acme", "operators", "carol")
    world.tenancy.hierarchy.create_team(carol, "acme", "Carol's")
    world.tenancy.groups.remove_group_member(alice, "acme", "operators", "carol")
    with pytest.raises(NotFound):
        world.tenancy.hierarchy.create_team(carol, "acme", "Carol's 2")


def test_owner_role_only_granted_by_owners(world: World):
    alice, bob = world.user("alice"), world.user("bob")
    world.user("carol")
    build_tree(world, alice)
    world.tenancy.memberships.put_org_member(alice, "acme", "bob", "admin")
    with pytest.raises(PermissionDenied):
        world.tenancy.memberships.put_org_member(bob, "acme", "carol", "owner")
    world.tenancy.memberships.put_org_member(bob, "acme", "carol", "member")


def test_membership_changes_need_the_version_and_removal_is_reversible(world: World):
    alice, bob = world.user("alice"), world.user("bob")
    build_tree(world, alice)
    result, created = world.tenancy.memberships.put_org_member(alice, "acme", "bob", "viewer")
    assert created
    with pytest.raises(VersionRequired):
        world.tenancy.memberships.put_org_member(alice, "acme", "bob", "admin")
    world.tenancy.memberships.remove_org_member(alice, "acme", "bob", result.version)
    with pytest.raises(NotFound):
        world.tenancy.hierarchy.history(bob, ("acme",))
    again, created = world.tenancy.memberships.put_org_member(alice, "acme", "bob", "member", 2)
    assert not created and again.entity.role == "member" and not again.entity.is_deleted


def test_tokens_expire_and_revoke(world: World):
    world.user("alice")
    past_expiry = datetime.now(tz=UTC) - timedelta(seconds=1)
    with pytest.raises(InvalidInput):
        world.identity.issue_token(world.admin, "alice", "old", past_expiry)
    issued = world.identity.issue_token(world.admin, "alice", "ci", None)
    principal = world.identity.authenticate(issued.secret)
    world.identity.revoke_token(world.admin, "alice", principal.token_id)
    with pytest.raises(Unauthenticated):
        world.identity.authenticate(issued.secret)
    with pytest.raises(Unauthenticated):
        world.identity.authenticate("syd_not-a-token")


def test_only_platform_admins_register_users(world: World):
    alice = world.user("alice")
    with pytest.raises(PermissionDenied):
        world.identity.register_user(alice, name="Mallory")
    with pytest.raises(Conflict):
        world.identity.register_user(world.admin, name="Alice", slug="alice")


def test_bootstrap_admin_is_idempotent_and_accepts_a_given_token(world: World):
    assert world.identity.bootstrap_admin("Admin", None) is None
    issued = world.identity.bootstrap_admin("Admin", "syd_given_by_automation")
    assert issued is not None
    assert world.identity.authenticate("syd_given_by_automation").is_platform_admin
    assert world.identity.bootstrap_admin("Admin", "syd_given_by_automation") is None


def test_system_context_is_a_platform_admin():
    assert system_context().is_platform_admin
