"""Who may do what, read from the event store (consistent: no projection lag)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.core.aggregate import CoreAggregate
from domain.core.context import CommandContext
from domain.core.errors import NotFound, PermissionDenied
from domain.plumbing.store import EventStore
from domain.tenancy.membership import (
    OrganizationMember,
    ProjectMembership,
    ScopeMembership,
    TeamMembership,
    WorkspaceMembership,
    membership_id,
)
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action, Role, actions_of, highest

if TYPE_CHECKING:
    from domain.tenancy.resolver import Chain


def hidden_org(ref: str) -> NotFound:
    """The one answer for an organization that is missing or that the caller cannot see."""
    return NotFound(f"organization {ref!r} not found")


class AccessPolicy:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def org_roles(self, user_id: UUID | None, org: Organization) -> list[Role]:
        """Every org-level grant of the user: direct and through groups."""
        if user_id is None:
            return []
        roles = list(org.group_roles_of(user_id))
        member = self.store.find(membership_id(org.id, user_id), OrganizationMember)
        if member is not None and not member.is_deleted:
            roles.append(Role(member.role))
        return roles

    def org_role(self, user_id: UUID | None, org: Organization) -> Role | None:
        return highest(self.org_roles(user_id, org))

    def scope_roles(self, user_id: UUID | None, chain: Chain | None) -> list[Role]:
        """The user's grants on the team, workspace and project of the chain."""
        if user_id is None or chain is None:
            return []
        roles = []
        grants: tuple[tuple[CoreAggregate | None, type[ScopeMembership]], ...] = (
            (chain.team, TeamMembership),
            (chain.workspace, WorkspaceMembership),
            (chain.project, ProjectMembership),
        )
        for scope, kind in grants:
            if scope is None:
                continue
            member = self.store.find(membership_id(scope.id, user_id), kind)
            if member is not None and not member.is_deleted:
                roles.append(Role(member.role))
        return roles

    def see(self, ctx: CommandContext, org: Organization, org_ref: str) -> None:
        """Outsiders get NotFound, worded as for a missing org (a 404, never a 403)."""
        if not ctx.is_platform_admin and not self.org_roles(ctx.actor_id, org):
            raise hidden_org(org_ref)

    def allowed(self, ctx: CommandContext, chain: Chain) -> frozenset[Action]:
        if ctx.is_platform_admin:
            return frozenset(Action)
        org_roles = self.org_roles(ctx.actor_id, chain.org)
        return actions_of(org_roles, self.scope_roles(ctx.actor_id, chain) if org_roles else [])

    def require(self, ctx: CommandContext, action: Action, chain: Chain) -> None:
        self.see(ctx, chain.org, chain.org_ref)
        if action not in self.allowed(ctx, chain):
            raise PermissionDenied(f"your role does not allow {action.value}")

    def rank_at(self, ctx: CommandContext, org: Organization, chain: Chain | None) -> int:
        """The caller's highest role there (a grant never goes above its granter's)."""
        if ctx.is_platform_admin:
            return Role.OWNER.rank
        roles = self.org_roles(ctx.actor_id, org)
        if roles and not all(r.read_only for r in roles):
            roles += self.scope_roles(ctx.actor_id, chain)
        best = highest(roles)
        return best.rank if best else 0
