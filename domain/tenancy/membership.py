"""OrganizationMember, TeamMembership, WorkspaceMembership and ProjectMembership: one
aggregate per (scope, user), each naming the scopes above its own.

The id is derived from (scope, user), so a user is a member of a scope at most once,
enforced by the event store. Removal is a soft delete; adding again restores it.
"""

from __future__ import annotations

import functools
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/memberships")


@functools.lru_cache(maxsize=65536)  # a pure function, asked several times per command
def membership_id(scope_id: UUID, user_id: UUID) -> UUID:
    return uuid5(_NAMESPACE, f"{scope_id}/{user_id}")


class OrganizationMember(CoreAggregate):
    UPDATABLE = frozenset({"role"})

    @event("Granted")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - membership_id(organization_id, user_id)
        organization_id: UUID,
        user_id: UUID,
        name: str,
        slug: str,
        role: str,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, "", meta)
        self.organization_id = organization_id
        self.user_id = user_id
        self.role = role


class TeamMembership(CoreAggregate):
    UPDATABLE = frozenset({"role"})

    @event("Granted")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - membership_id(team_id, user_id)
        organization_id: UUID,
        team_id: UUID,
        user_id: UUID,
        name: str,
        slug: str,
        role: str,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, "", meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.user_id = user_id
        self.role = role


class WorkspaceMembership(CoreAggregate):
    UPDATABLE = frozenset({"role"})

    @event("Granted")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - membership_id(workspace_id, user_id)
        organization_id: UUID,
        team_id: UUID,
        workspace_id: UUID,
        user_id: UUID,
        name: str,
        slug: str,
        role: str,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, "", meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.role = role


class ProjectMembership(CoreAggregate):
    UPDATABLE = frozenset({"role"})

    @event("Granted")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - membership_id(project_id, user_id)
        organization_id: UUID,
        team_id: UUID,
        workspace_id: UUID,
        project_id: UUID,
        user_id: UUID,
        name: str,
        slug: str,
        role: str,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, "", meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.workspace_id = workspace_id
        self.project_id = project_id
        self.user_id = user_id
        self.role = role


# A membership in a scope below the organization.
ScopeMembership = TeamMembership | WorkspaceMembership | ProjectMembership
