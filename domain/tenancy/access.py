"""Who may do what, read from the event store (consistent: no projection lag)."""

from __future__ import annotations

from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import NotFound, PermissionDenied
from domain.store import EventStore
from domain.tenancy.hierarchy import Team
from domain.tenancy.membership import OrganizationMember, TeamMembership, membership_id
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action, OrgRole, TeamRole, is_allowed


class AccessPolicy:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def org_role(self, user_id: UUID | None, org: Organization) -> OrgRole | None:
        if user_id is None:
            return None
        roles = list(org.group_roles_of(user_id))
        member = self.store.find(membership_id(org.id, user_id), OrganizationMember)
        if member is not None and not member.is_deleted:
            roles.append(OrgRole(member.role))
        return max(roles, key=lambda r: r.rank) if roles else None

    def team_role(self, user_id: UUID | None, team: Team | None) -> TeamRole | None:
        if user_id is None or team is None:
            return None
        member = self.store.find(membership_id(team.id, user_id), TeamMembership)
        if member is None or member.is_deleted:
            return None
        return TeamRole(member.role)

    def require(
        self, ctx: CommandContext, action: Action, org: Organization, team: Team | None = None
    ) -> OrgRole | None:
        """Outsiders get NotFound (another tenant's resource is a 404, never a 403)."""
        if ctx.is_platform_admin:
            return OrgRole.OWNER
        org_role = self.org_role(ctx.actor_id, org)
        if org_role is None:
            raise NotFound("organization not found")
        if not is_allowed(action, org_role, self.team_role(ctx.actor_id, team)):
            raise PermissionDenied(f"your role does not allow {action.value}")
        return org_role
