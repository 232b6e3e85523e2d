"""Use cases of memberships: of the organization and of its teams, workspaces, projects."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.core.context import CommandContext, CommandResult
from domain.core.errors import (
    InvalidInput,
    NotFound,
    VersionRequired,
)
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.entities import delete_entity
from domain.tenancy.membership import OrganizationMember, membership_id
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action, Role, parse_org_role
from domain.tenancy.scope import TenancyScope
from domain.tenancy.scope_grants import SCOPE_GRANTS, new_scope_membership


@with_read_sessions
class MembershipService:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = TenancyScope(store)

    def put_org_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        user_ref: str,
        role: str,
        expected_version: int | None = None,
    ) -> tuple[CommandResult, bool]:
        org = self.scope.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        new_role = parse_org_role(role)
        self.scope.check_may_grant(ctx, org, new_role)
        user = self.scope.resolve.user(user_ref)
        member = self.store.find(membership_id(org.id, user.id), OrganizationMember)
        meta = ctx.meta(org.id)
        if member is None:
            member = OrganizationMember(
                id=membership_id(org.id, user.id),
                organization_id=org.id,
                user_id=user.id,
                name=user.name,
                slug=user.slug,
                role=new_role.value,
                meta=meta,
            )
            if new_role is Role.OWNER:
                org.add_owner(user.id, meta=meta)
            return CommandResult.of(member, self._record(member, org)), True
        self._check_regrant(member, expected_version)
        if not member.is_deleted:
            self.scope.check_may_grant(ctx, org, Role(member.role))
            self.scope.check_may_change_holder(ctx, org, user.id)
        if member.role == Role.OWNER and new_role is not Role.OWNER and not member.is_deleted:
            org.check_an_owner_remains(self.scope.direct_owners(org), not_direct=str(user.id))
            org.remove_owner(user.id, meta=meta)
        if new_role is Role.OWNER:
            org.add_owner(user.id, meta=meta)
        return self._regrant(ctx, member, new_role.value, expected_version, org), False

    def remove_org_member(
        self, ctx: CommandContext, org_ref: str, user_ref: str, expected_version: int | None
    ) -> CommandResult:
        org = self.scope.locate(ctx, Action.ORG_MEMBERS, org_ref).org
        user = self.scope.resolve.user(user_ref, include_deleted=True)
        member = self._live_member(OrganizationMember, membership_id(org.id, user.id))
        self.scope.check_may_grant(ctx, org, Role(member.role))
        self.scope.check_may_change_holder(ctx, org, user.id)
        member.check_version(expected_version)
        meta = ctx.meta(org.id)
        if member.role == Role.OWNER:
            org.check_an_owner_remains(self.scope.direct_owners(org), not_direct=str(user.id))
            org.remove_owner(user.id, meta=meta)
        member.soft_delete(meta=meta)
        return CommandResult.of(member, self._record(member, org))

    def leave_organization(self, ctx: CommandContext, org_ref: str) -> CommandResult:
        """The caller gives up every grant it holds in the org: its membership and groups."""
        org = self.scope.locate(ctx, Action.READ, org_ref).org
        if ctx.actor_id is None:
            raise NotFound("membership not found")
        me = str(ctx.actor_id)
        member = self.store.find(membership_id(org.id, ctx.actor_id), OrganizationMember)
        if member is not None and member.is_deleted:
            member = None
        groups = [gid for gid, g in org.groups.items() if me in g["members"]]
        if member is None and not groups:
            raise NotFound("membership not found")
        org.check_an_owner_remains(self.scope.direct_owners(org), leaving=me)
        meta = ctx.meta(org.id)
        org.remove_owner(ctx.actor_id, meta=meta)
        for group_id in groups:
            org.remove_group_member(group_id, ctx.actor_id, meta=meta)
        if member is not None:
            member.soft_delete(meta=meta)
        position = self._record(*([member] if member is not None else []), org)
        return CommandResult(org.id, org.version, position, member or org)

    def put_team_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        team_ref: str,
        user_ref: str,
        role: str,
        expected_version: int | None = None,
    ) -> tuple[CommandResult, bool]:
        return self.put_scope_member(ctx, (org_ref, team_ref), user_ref, role, expected_version)

    def remove_team_member(
        self,
        ctx: CommandContext,
        org_ref: str,
        team_ref: str,
        user_ref: str,
        expected_version: int | None,
    ) -> CommandResult:
        return self.remove_scope_member(ctx, (org_ref, team_ref), user_ref, expected_version)

    def put_scope_member(
        self,
        ctx: CommandContext,
        refs: tuple[str, ...],
        user_ref: str,
        role: str,
        expected_version: int | None = None,
    ) -> tuple[CommandResult, bool]:
        """Grant a role on a team, workspace or project (`refs`: the path down to it)."""
        grant = SCOPE_GRANTS[len(refs) - 1]
        chain = self.scope.locate(ctx, grant.action, *refs)
        new_role = grant.parse(role)
        self.scope.check_may_grant(ctx, chain.org, new_role, chain)
        user = self.scope.resolve.user(user_ref)
        if self.scope.access.org_role(user.id, chain.org) is None:
            raise InvalidInput("user must be a member of the organization first", field="user")
        member = self.store.find(membership_id(chain.leaf.id, user.id), grant.kind)
        if member is None:
            member = new_scope_membership(chain, user, new_role, ctx.meta(chain.org.id))
            return CommandResult.of(member, self.store.record(member)), True
        if not member.is_deleted:
            self.scope.check_may_grant(ctx, chain.org, Role(member.role), chain)
        return self._regrant(ctx, member, new_role.value, expected_version), False

    def remove_scope_member(
        self,
        ctx: CommandContext,
        refs: tuple[str, ...],
        user_ref: str,
        expected_version: int | None,
    ) -> CommandResult:
        grant = SCOPE_GRANTS[len(refs) - 1]
        chain = self.scope.locate(ctx, grant.action, *refs)
        user = self.scope.resolve.user(user_ref, include_deleted=True)
        member = self._live_member(grant.kind, membership_id(chain.leaf.id, user.id))
        self.scope.check_may_grant(ctx, chain.org, Role(member.role), chain)
        return delete_entity(self.store, ctx, member, expected_version)

    @reads_only
    def member_history(
        self, ctx: CommandContext, refs: tuple[str, ...], user_ref: str
    ) -> tuple[Any, list[Any]]:
        """Every event of a membership of the scope at the end of `refs` (the org, a team,
        a workspace or a project); a deleted scope hides its memberships."""
        chain = self.scope.locate(ctx, Action.HISTORY_READ, *refs)
        user = self.scope.resolve.user(user_ref, include_deleted=True)
        kind = SCOPE_GRANTS[len(refs) - 1].kind if len(refs) > 1 else OrganizationMember
        member = self.store.find(membership_id(chain.leaf.id, user.id), kind)
        if member is None:
            raise NotFound("membership not found")
        return member, self.store.history(member.id)

    def _live_member(self, kind: type, member_id: UUID) -> Any:
        member = self.store.find(member_id, kind)
        if member is None or member.is_deleted:
            raise NotFound("membership not found")
        return member

    def _record(self, *aggregates: Any) -> int:
        """A membership and the org's owners change in one transaction (or not at all)."""
        return self.store.record(*[a for a in aggregates if a.pending_events])

    @staticmethod
    def _check_regrant(member: Any, expected_version: int | None) -> None:
        # A removed membership reads as absent (404), so adding it again needs no version.
        if expected_version is None and not member.is_deleted:
            raise VersionRequired('the membership exists: send If-Match: "<version>" to change it')
        member.check_version(expected_version)

    def _regrant(
        self,
        ctx: CommandContext,
        member: Any,
        role: str,
        expected_version: int | None,
        org: Organization | None = None,
    ) -> CommandResult:
        self._check_regrant(member, expected_version)
        meta = ctx.meta(member.organization_id)
        if member.is_deleted:
            member.restore(meta=meta)
        if member.role != role:
            member.update(changes={"role": role}, meta=meta)
        if not member.pending_events and not (org and org.pending_events):
            return CommandResult.of(member, 0)
        return CommandResult.of(member, self._record(member, *([org] if org else [])))
