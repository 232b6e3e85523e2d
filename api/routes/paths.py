"""Canonical resource paths (by guid, so a Location survives renames)."""

from __future__ import annotations

from typing import Any

from api.views import aggregate_row
from domain.core.aggregate import CoreAggregate
from domain.tenancy.hierarchy import Project, Team, Workspace
from domain.tenancy.organization import Organization

EXTRA_FIELDS: dict[type, tuple[str, ...]] = {
    Organization: ("website",),
    Team: ("organization_id",),
    Workspace: ("organization_id", "team_id", "is_active"),
    Project: ("organization_id", "team_id", "workspace_id", "settings"),
}


def path_of(entity: Any) -> str:
    if isinstance(entity, Organization):
        return f"/v1/orgs/{entity.id}"
    if isinstance(entity, Team):
        return f"/v1/orgs/{entity.organization_id}/teams/{entity.id}"
    if isinstance(entity, Workspace):
        return f"/v1/orgs/{entity.organization_id}/teams/{entity.team_id}/workspaces/{entity.id}"
    if isinstance(entity, Project):
        return (
            f"/v1/orgs/{entity.organization_id}/teams/{entity.team_id}"
            f"/workspaces/{entity.workspace_id}/projects/{entity.id}"
        )
    raise TypeError(type(entity))


def groups_of(org: Organization) -> list[dict[str, Any]]:
    return [{"guid": gid, **g} for gid, g in org.groups.items()]


def describe(entity: CoreAggregate) -> dict[str, Any]:
    row = aggregate_row(entity, *EXTRA_FIELDS[type(entity)])
    if isinstance(entity, Organization):
        row["groups"] = groups_of(entity)
    return row
