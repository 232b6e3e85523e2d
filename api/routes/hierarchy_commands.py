"""Command routes: organizations, teams, workspaces, projects (create, patch, delete...)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep, IfMatchDep, OptionalIfMatchDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.paths import describe, path_of
from api.views import written
from domain.core.context import CommandResult
from schemas import tenancy as wire

router = APIRouter(prefix="/v1", tags=["commands"], route_class=EdgeRoute)
ORG = "/orgs/{org}"
TEAM = ORG + "/teams/{team}"
WS = TEAM + "/workspaces/{ws}"
PROJECT = WS + "/projects/{project}"


def _created(result: CommandResult) -> JSONResponse:
    return written(result, describe(result.entity), path_of(result.entity), 201)


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe(result.entity))


@router.post("/orgs", status_code=201, response_model=wire.Organization)
def create_organization(body: wire.OrganizationCreate, ctx: ContextDep, services: ServicesDep):
    """Create an organization; the caller becomes its owner."""
    return _created(services.tenancy.hierarchy.create_organization(ctx, **body.model_dump()))


@router.post(ORG + "/teams", status_code=201, response_model=wire.Team)
def create_team(org: str, body: wire.TeamCreate, ctx: ContextDep, services: ServicesDep):
    """Create a team in an organization."""
    return _created(services.tenancy.hierarchy.create_team(ctx, org, **body.model_dump()))


@router.post(TEAM + "/workspaces", status_code=201, response_model=wire.Workspace)
def create_workspace(
    org: str, team: str, body: wire.WorkspaceCreate, ctx: ContextDep, services: ServicesDep
):
    """Create a workspace in a team."""
    return _created(
        services.tenancy.hierarchy.create_workspace(ctx, org, team, **body.model_dump())
    )


@router.post(WS + "/projects", status_code=201, response_model=wire.Project)
def create_project(
    org: str,
    team: str,
    ws: str,
    body: wire.ProjectCreate,
    ctx: ContextDep,
    services: ServicesDep,
):
    """Create a project in a workspace."""
    return _created(
        services.tenancy.hierarchy.create_project(ctx, org, team, ws, **body.model_dump())
    )


def _patch(services, ctx, refs, body, version) -> JSONResponse:
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.tenancy.hierarchy.update(ctx, refs, changes, version))


@router.patch(ORG, response_model=wire.Organization)
def update_organization(
    org: str,
    body: wire.OrganizationPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change an organization's fields (If-Match required)."""
    return _patch(services, ctx, (org,), body, version)


@router.patch(TEAM, response_model=wire.Team)
def update_team(
    org: str,
    team: str,
    body: wire.TeamPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a team's fields (If-Match required)."""
    return _patch(services, ctx, (org, team), body, version)


@router.patch(WS, response_model=wire.Workspace)
def update_workspace(
    org: str,
    team: str,
    ws: str,
    body: wire.WorkspacePatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a workspace's fields (If-Match required)."""
    return _patch(services, ctx, (org, team, ws), body, version)


@router.patch(PROJECT, response_model=wire.Project)
def update_project(
    org: str,
    team: str,
    ws: str,
    project: str,
    body: wire.ProjectPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a project's fields (If-Match required)."""
    return _patch(services, ctx, (org, team, ws, project), body, version)


@router.delete(ORG, response_model=wire.Organization)
def delete_organization(org: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep):
    """Soft-delete an organization (everything below it becomes invisible)."""
    return _changed(services.tenancy.hierarchy.delete(ctx, (org,), version))


@router.delete(TEAM, response_model=wire.Team)
def delete_team(org: str, team: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep):
    """Soft-delete a team."""
    return _changed(services.tenancy.hierarchy.delete(ctx, (org, team), version))


@router.delete(WS, response_model=wire.Workspace)
def delete_workspace(
    org: str, team: str, ws: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete a workspace."""
    return _changed(services.tenancy.hierarchy.delete(ctx, (org, team, ws), version))


@router.delete(PROJECT, response_model=wire.Project)
def delete_project(
    org: str,
    team: str,
    ws: str,
    project: str,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Soft-delete a project."""
    return _changed(services.tenancy.hierarchy.delete(ctx, (org, team, ws, project), version))


@router.post(ORG + ":undelete", response_model=wire.Organization)
def undelete_organization(
    org: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted organization."""
    return _changed(services.tenancy.hierarchy.undelete(ctx, (org,), version))


@router.post(TEAM + ":undelete", response_model=wire.Team)
def undelete_team(
    org: str, team: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted team."""
    return _changed(services.tenancy.hierarchy.undelete(ctx, (org, team), version))


@router.post(WS + ":undelete", response_model=wire.Workspace)
def undelete_workspace(
    org: str,
    team: str,
    ws: str,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Restore a soft-deleted workspace."""
    return _changed(services.tenancy.hierarchy.undelete(ctx, (org, team, ws), version))


@router.post(PROJECT + ":undelete", response_model=wire.Project)
def undelete_project(
    org: str,
    team: str,
    ws: str,
    project: str,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Restore a soft-deleted project."""
    return _changed(services.tenancy.hierarchy.undelete(ctx, (org, team, ws, project), version))
