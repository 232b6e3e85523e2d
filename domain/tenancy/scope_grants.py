"""Grants below the org, by depth of the path: team, workspace and project memberships."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.core.aggregate import CoreAggregate
from domain.identity.user import User
from domain.tenancy.membership import (
    ProjectMembership,
    TeamMembership,
    WorkspaceMembership,
    membership_id,
)
from domain.tenancy.resolver import Chain
from domain.tenancy.roles import Action, Role, parse_scope_role, parse_team_role


@dataclass(frozen=True)
class ScopeGrant:
    kind: type[CoreAggregate]
    action: Action  # what granting or removing one there takes
    parse: Callable[[str], Role]


# Keyed by the depth of the scope's path: 1 team, 2 workspace, 3 project.
SCOPE_GRANTS = {
    1: ScopeGrant(TeamMembership, Action.TEAM_MEMBERS, parse_team_role),
    2: ScopeGrant(WorkspaceMembership, Action.WORKSPACE_MEMBERS, parse_scope_role),
    3: ScopeGrant(ProjectMembership, Action.PROJECT_MEMBERS, parse_scope_role),
}


def new_scope_membership(chain: Chain, user: User, role: Role, meta: dict) -> CoreAggregate:
    """The membership of `user` in the chain's leaf, naming every scope above it."""
    assert chain.team is not None
    common = {
        "id": membership_id(chain.leaf.id, user.id),
        "organization_id": chain.org.id,
        "team_id": chain.team.id,
        "user_id": user.id,
        "name": user.name,
        "slug": user.slug,
        "role": role.value,
        "meta": meta,
    }
    if chain.workspace is None:
        return TeamMembership(**common)
    if chain.project is None:
        return WorkspaceMembership(workspace_id=chain.workspace.id, **common)
    return ProjectMembership(workspace_id=chain.workspace.id, project_id=chain.project.id, **common)
