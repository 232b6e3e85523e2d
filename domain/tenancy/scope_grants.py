"""Grants below the org, by depth of the path: team, workspace and project memberships."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict
from uuid import UUID

from domain.core.context import Meta
from domain.identity.user import User
from domain.tenancy.membership import (
    ProjectMembership,
    ScopeMembership,
    TeamMembership,
    WorkspaceMembership,
    membership_id,
)
from domain.tenancy.resolver import Chain
from domain.tenancy.roles import Action, Role, parse_scope_role, parse_team_role


@dataclass(frozen=True)
class ScopeGrant:
    kind: type[ScopeMembership]
    action: Action  # what granting or removing one there takes
    parse: Callable[[str], Role]


# Keyed by the depth of the scope's path: 1 team, 2 workspace, 3 project.
SCOPE_GRANTS = {
    1: ScopeGrant(TeamMembership, Action.TEAM_MEMBERS, parse_team_role),
    2: ScopeGrant(WorkspaceMembership, Action.WORKSPACE_MEMBERS, parse_scope_role),
    3: ScopeGrant(ProjectMembership, Action.PROJECT_MEMBERS, parse_scope_role),
}


class _Common(TypedDict):
    """What a membership in any scope below the org is created with."""

    id: UUID
    organization_id: UUID
    team_id: UUID
    user_id: UUID
    name: str
    slug: str
    role: str
    meta: Meta


def new_scope_membership(chain: Chain, user: User, role: Role, meta: Meta) -> ScopeMembership:
    """The membership of `user` in the chain's leaf, naming every scope above it."""
    assert chain.team is not None
    common: _Common = {
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
