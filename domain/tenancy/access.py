"""Who may do what, read from the event store (consistent: no projection lag)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import NotFound, PermissionDenied
from domain.store import EventStore
from domain.tenancy.hierarchy import Team
from domain.tenancy.membership import OrganizationMember, TeamMembership, membership_id
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

    def team_role(self, user_id: UUID | None, team: Team | None) -> Role | None:
        if user_id is None or team is None:
            return None
        member = self.store.find(membership_id(team.id, user_id), TeamMembership)
        if member is None or member.is_deleted:
            return None
        return Role(member.role)

    def see(self, ctx: CommandContext, org: Organization, org_ref: str) -> None:
        """Outsiders get NotFound, worded as for a missing org (a 404, never a 403)."""
        if not ctx.is_platform_admin and not self.org_roles(ctx.actor_id, org):
            raise hidden_org(org_ref)

    def allowed(self, ctx: CommandContext, org: Organization, team: Team | None) -> frozenset:
        if ctx.is_platform_admin:
            return frozenset(Action)
        team_role = self.team_role(ctx.actor_id, team)
        return actions_of(self.org_roles(ctx.actor_id, org), [team_role] if team_role else [])

    def require(self, ctx: CommandContext, action: Action, chain: Chain) -> None:
        self.see(ctx, chain.org, chain.org_ref)
        if action not in self.allowed(ctx, chain.org, chain.team):
            raise PermissionDenied(f"your role does not allow {action.value}")

    def rank_at(self, ctx: CommandContext, org: Organization, team: Team | None) -> int:
        """The caller's highest role there (a grant never goes above its granter's)."""
        if ctx.is_platform_admin:
            return Role.OWNER.rank
        roles = self.org_roles(ctx.actor_id, org)
        if team is not None and not all(r.read_only for r in roles):
            roles += [r for r in [self.team_role(ctx.actor_id, team)] if r is not None]
        best = highest(roles)
        return best.rank if best else 0
