"""Use cases of organization groups: named sets of users holding an org role."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from domain.core.context import CommandContext, CommandResult
from domain.core.slugs import validate_slug
from domain.core.values import slug_for, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import with_read_sessions
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action, Role, parse_org_role
from domain.tenancy.scope import TenancyScope


@with_read_sessions
class GroupService:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = TenancyScope(store)

    def define_group(
        self, ctx: CommandContext, org_ref: str, name: str, role: str, slug: str | None = None
    ) -> CommandResult:
        org = self.scope.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        name = validate_name(name)
        grant = parse_org_role(role)
        self.scope.check_may_grant(ctx, org, grant)
        group_id = uuid4()
        org.define_group(group_id, name, slug_for(name, slug), grant, meta=ctx.meta(org.id))
        return CommandResult(group_id, org.version, self.store.record(org), org)

    def change_group(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> CommandResult:
        org = self.scope.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        org.check_version(expected_version)
        group_id, group = org.group(group_ref)
        clean: dict[str, Any] = {}
        if "name" in changes:
            clean["name"] = validate_name(changes["name"])
        if "slug" in changes:
            clean["slug"] = validate_slug(changes["slug"])
        if "role" in changes:
            clean["role"] = parse_org_role(changes["role"]).value
            self.scope.check_may_grant(ctx, org, Role(clean["role"]))
            self.scope.check_may_grant(ctx, org, Role(group["role"]))
            if group["role"] == Role.OWNER and clean["role"] != Role.OWNER:
                org.check_an_owner_remains(self.scope.direct_owners(org), group_gone=group_id)
        if clean:
            org.change_group(group_id, clean, meta=ctx.meta(org.id))
            return CommandResult(UUID(group_id), org.version, self.store.record(org), org)
        return CommandResult(UUID(group_id), org.version, 0, org)

    def remove_group(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        org, group_id, group = self._group(ctx, org_ref, group_ref, expected_version)
        if group["role"] == Role.OWNER:
            org.check_an_owner_remains(self.scope.direct_owners(org), group_gone=group_id)
        org.remove_group(group_id=group_id, meta=ctx.meta(org.id))
        return CommandResult(UUID(group_id), org.version, self.store.record(org), org)

    def add_group_member(
        self, ctx: CommandContext, org_ref: str, group_ref: str, user_ref: str
    ) -> CommandResult:
        org, group_id, _ = self._group(ctx, org_ref, group_ref)
        user = self.scope.resolve.user(user_ref)
        added = org.add_group_member(group_id, user.id, meta=ctx.meta(org.id))
        position = self.store.record(org) if added else 0
        return CommandResult(UUID(group_id), org.version, position, org)

    def remove_group_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        user_ref: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        org, group_id, group = self._group(ctx, org_ref, group_ref, expected_version)
        user = self.scope.resolve.user(user_ref, include_deleted=True)
        if group["role"] == Role.OWNER and str(user.id) in group["members"]:
            owners = self.scope.direct_owners(org)
            org.check_an_owner_remains(owners, out_of_group=(group_id, str(user.id)))
        org.remove_group_member(group_id, user.id, meta=ctx.meta(org.id))
        return CommandResult(UUID(group_id), org.version, self.store.record(org), org)

    def _group(
        self,
        ctx: CommandContext,
        org_ref: str,
        group_ref: str,
        expected_version: int | None = None,
    ) -> tuple[Organization, str, dict[str, Any]]:
        """The org and one of its groups, for a caller who may grant the group's role."""
        org = self.scope.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        org.check_version(expected_version)
        group_id, group = org.group(group_ref)
        self.scope.check_may_grant(ctx, org, Role(group["role"]))
        return org, group_id, group
