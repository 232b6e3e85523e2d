"""Roles per scope, inherited downward (org -> team -> workspace -> project)."""

from __future__ import annotations

from enum import StrEnum

from domain.core.errors import InvalidInput


class OrgRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return {"owner": 4, "admin": 3, "member": 2, "viewer": 1}[self.value]


class TeamRole(StrEnum):
    MAINTAINER = "maintainer"
    MEMBER = "member"


class Action(StrEnum):
    READ = "read"
    ORG_UPDATE = "org.update"
    ORG_DELETE = "org.delete"
    ORG_MEMBERS = "org.members"
    TEAM_CREATE = "team.create"
    TEAM_UPDATE = "team.update"
    TEAM_DELETE = "team.delete"
    TEAM_MEMBERS = "team.members"
    WORKSPACE_WRITE = "workspace.write"
    PROJECT_WRITE = "project.write"
    PROJECT_DELETE = "project.delete"
    # Skills, configs, config categories and tools an organization defines for itself.
    CATALOG_WRITE = "catalog.write"


_ALL = frozenset(Action)
ORG_ROLE_ACTIONS: dict[OrgRole, frozenset[Action]] = {
    OrgRole.OWNER: _ALL,
    OrgRole.ADMIN: _ALL - {Action.ORG_DELETE},
    OrgRole.MEMBER: frozenset({Action.READ}),
    OrgRole.VIEWER: frozenset({Action.READ}),
}
# Team roles widen what an org *member* may do inside that team; a viewer stays read-only.
TEAM_ROLE_ACTIONS: dict[TeamRole, frozenset[Action]] = {
    TeamRole.MAINTAINER: frozenset(
        {
            Action.TEAM_UPDATE,
            Action.TEAM_MEMBERS,
            Action.WORKSPACE_WRITE,
            Action.PROJECT_WRITE,
            Action.PROJECT_DELETE,
        }
    ),
    TeamRole.MEMBER: frozenset({Action.PROJECT_WRITE}),
}


def is_allowed(action: Action, org_role: OrgRole | None, team_role: TeamRole | None) -> bool:
    if org_role is None:
        return False
    if action in ORG_ROLE_ACTIONS[org_role]:
        return True
    if org_role is OrgRole.MEMBER and team_role is not None:
        return action in TEAM_ROLE_ACTIONS[team_role]
    return False


def parse_org_role(value: str, field: str = "role") -> OrgRole:
    try:
        return OrgRole(value)
    except ValueError:
        raise InvalidInput(
            f"role must be one of {', '.join(r.value for r in OrgRole)}", field=field
        ) from None


def parse_team_role(value: str, field: str = "role") -> TeamRole:
    try:
        return TeamRole(value)
    except ValueError:
        raise InvalidInput(
            f"role must be one of {', '.join(r.value for r in TeamRole)}", field=field
        ) from None
