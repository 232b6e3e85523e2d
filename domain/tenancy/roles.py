"""The role ladder, granted per scope and inherited downward (org -> team -> workspace -> project).

What a user may do at a scope is the union of what the roles granted on it and on its
ancestors allow; the ladder is ordered so that this is the highest of them. Two legacy
values stay accepted for data written before the ladder: `member` (read at the org; writes
come from team grants) and, on a team, `member` (may write projects). Workspaces and
projects, granted after the ladder, take neither `owner` nor `member`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from domain.core.errors import InvalidInput


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MAINTAINER = "maintainer"
    OPERATOR = "operator"
    MEMBER = "member"  # legacy: see the module docstring
    AUDITOR = "auditor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def read_only(self) -> bool:
        return self in (Role.VIEWER, Role.AUDITOR)


_RANK = {r: len(Role) - i for i, r in enumerate(Role)}
# Kept so that callers naming the org ladder read as before.
OrgRole = Role


class Action(StrEnum):
    READ = "read"
    HISTORY_READ = "history.read"
    AUDIT_EXPORT = "audit.export"  # the audit replay tooling (export, verify, as-of)
    ORG_UPDATE = "org.update"
    ORG_DELETE = "org.delete"
    ORG_MEMBERS = "org.members"
    TEAM_CREATE = "team.create"
    TEAM_UPDATE = "team.update"
    TEAM_DELETE = "team.delete"
    TEAM_MEMBERS = "team.members"
    WORKSPACE_WRITE = "workspace.write"
    WORKSPACE_MEMBERS = "workspace.members"
    PROJECT_WRITE = "project.write"
    PROJECT_DELETE = "project.delete"
    PROJECT_MEMBERS = "project.members"
    # Skills, configs, config categories and tools an organization defines for itself.
    CATALOG_WRITE = "catalog.write"
    # Creating, rotating and deleting secrets: owners and admins only (nobody reads values).
    SECRET_WRITE = "secret.write"
    # Running things (tasks and workflows arrive later): an operator's work, never editing.
    # Agent definitions, runtime targets and the infra services the health checker probes:
    # how and where tasks run (owners and admins).
    INFRA_WRITE = "infra.write"
    # What dispatchers do to tasks (claim, start, report); agents get their own tokens.
    TASK_DISPATCH = "task.dispatch"
    TASK_RUN = "task.run"
    TASK_CANCEL = "task.cancel"
    TASK_RETRY = "task.retry"
    WORKFLOW_RUN = "workflow.run"
    WORKFLOW_CANCEL = "workflow.cancel"
    WORKFLOW_SIGNAL = "workflow.signal"
    # Callback signing keys and re-driving dead-lettered callbacks: owners and admins.
    CALLBACKS_MANAGE = "callbacks.manage"
    # EventRoutes: writing one is an admin's (it signals workflows on every matching event);
    # trying one (`:test`, `:replay`) and re-driving a dead letter are running things.
    ROUTE_WRITE = "route.write"
    ROUTE_RUN = "route.run"
    # NATS credentials to read the org's events: org admins and owners only.
    BUS_CREDENTIALS = "bus.credentials"


_READ = frozenset({Action.READ, Action.HISTORY_READ})
_RUN = frozenset(
    {
        Action.TASK_RUN,
        Action.TASK_CANCEL,
        Action.TASK_RETRY,
        Action.WORKFLOW_RUN,
        Action.WORKFLOW_CANCEL,
        Action.WORKFLOW_SIGNAL,
        Action.ROUTE_RUN,
    }
)
_MAINTAIN = frozenset(
    {
        Action.TEAM_UPDATE,
        Action.TEAM_MEMBERS,
        Action.WORKSPACE_WRITE,
        Action.WORKSPACE_MEMBERS,
        Action.PROJECT_WRITE,
        Action.PROJECT_DELETE,
        Action.PROJECT_MEMBERS,
        Action.CATALOG_WRITE,
    }
)
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(Action) - {Action.ORG_DELETE},
    Role.MAINTAINER: _READ | _RUN | _MAINTAIN,
    Role.OPERATOR: _READ | _RUN,
    Role.MEMBER: _READ,
    Role.AUDITOR: _READ | {Action.AUDIT_EXPORT},
    Role.VIEWER: _READ,
}
# Where a role may be granted: ownership (the tenant itself) is held at the org only.
ORG_ROLES = tuple(Role)
TEAM_ROLES = tuple(r for r in Role if r is not Role.OWNER)
# Workspaces and projects had no grants before the ladder: no legacy `member` there.
SCOPE_ROLES = tuple(r for r in TEAM_ROLES if r is not Role.MEMBER)
# A team `member` (legacy) may write projects in its team, nothing else.
_TEAM_MEMBER = _READ | {Action.PROJECT_WRITE}


def actions_of(org_roles: Iterable[Role], scope_roles: Iterable[Role] = ()) -> frozenset[Action]:
    """What the grants at the org and at the scopes below it (team, workspace, project)
    allow together.

    An org viewer or auditor stays read-only everywhere: a grant below does not lift
    someone the org made read-only (as before the ladder).
    """
    org_roles = list(org_roles)
    if not org_roles:
        return frozenset()
    allowed = frozenset().union(*(ROLE_ACTIONS[r] for r in org_roles))
    if all(r.read_only for r in org_roles):
        return allowed
    for role in scope_roles:
        allowed |= _TEAM_MEMBER if role is Role.MEMBER else ROLE_ACTIONS[role]
    return allowed


def highest(roles: Iterable[Role]) -> Role | None:
    return max(roles, key=lambda r: r.rank, default=None)


def _parse(value: str, allowed: tuple[Role, ...], field: str) -> Role:
    role = Role._value2member_map_.get(value)
    if not isinstance(role, Role) or role not in allowed:
        raise InvalidInput(f"role must be one of {', '.join(allowed)}", field=field)
    return role


def parse_org_role(value: str, field: str = "role") -> Role:
    return _parse(value, ORG_ROLES, field)


def parse_team_role(value: str, field: str = "role") -> Role:
    return _parse(value, TEAM_ROLES, field)


def parse_scope_role(value: str, field: str = "role") -> Role:
    """A role granted on a workspace or a project."""
    return _parse(value, SCOPE_ROLES, field)
