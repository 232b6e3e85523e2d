"""Query routes: read organizations, teams, workspaces, projects from the read model."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.views import found, history_entries
from projections.tenancy.views import organizations, projects, scopes, teams, workspaces
from schemas import common
from schemas import tenancy as wire

router = APIRouter(prefix="/v1", tags=["queries"], route_class=EdgeRoute)
ORG = "/orgs/{org}"
TEAM = ORG + "/teams/{team}"
WS = TEAM + "/workspaces/{ws}"
PROJECT = WS + "/projects/{project}"


def _listed(rows: list[dict], token: str | None) -> dict:
    return {"items": rows, "next_page_token": token}


@router.get("/orgs", response_model=common.ListOf[wire.Organization])
async def list_organizations(
    conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """List the organizations the caller belongs to."""
    return _listed(*await organizations.list_organizations(conn, viewer, page, show_deleted))


@router.get(ORG, response_model=wire.Organization)
async def get_organization(
    org: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """Read one organization, with its groups."""
    row = (await scopes.get_scope(conn, viewer, org, include_deleted_leaf=show_deleted)).org
    row = {**row, "groups": await organizations.list_groups(conn, row["guid"])}
    return found(wire.Organization.model_validate(row).model_dump(), row["version"])


@router.get(ORG + "/teams", response_model=common.ListOf[wire.Team])
async def list_teams(
    org: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """List the teams of an organization."""
    located = await scopes.get_scope(conn, viewer, org, include_deleted_leaf=False)
    return _listed(*await teams.list_teams(conn, located.org["guid"], page, show_deleted))


@router.get(TEAM, response_model=wire.Team)
async def get_team(
    org: str, team: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """Read one team."""
    row = (await scopes.get_scope(conn, viewer, org, team, include_deleted_leaf=show_deleted)).leaf
    return found(wire.Team.model_validate(row).model_dump(), row["version"])


@router.get(TEAM + "/workspaces", response_model=common.ListOf[wire.Workspace])
async def list_workspaces(
    org: str,
    team: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    show_deleted: bool = False,
):
    """List the workspaces of a team."""
    located = await scopes.get_scope(conn, viewer, org, team, include_deleted_leaf=False)
    team_id = located.leaf["guid"]
    return _listed(*await workspaces.list_workspaces(conn, team_id, page, show_deleted))


@router.get(WS, response_model=wire.Workspace)
async def get_workspace(
    org: str,
    team: str,
    ws: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    show_deleted: bool = False,
) -> JSONResponse:
    """Read one workspace."""
    located = await scopes.get_scope(conn, viewer, org, team, ws, include_deleted_leaf=show_deleted)
    return found(wire.Workspace.model_validate(located.leaf).model_dump(), located.leaf["version"])


@router.get(WS + "/projects", response_model=common.ListOf[wire.Project])
async def list_projects(
    org: str,
    team: str,
    ws: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    show_deleted: bool = False,
):
    """List the projects of a workspace."""
    located = await scopes.get_scope(conn, viewer, org, team, ws, include_deleted_leaf=False)
    ws_id = located.leaf["guid"]
    return _listed(*await projects.list_projects(conn, ws_id, page, show_deleted))


@router.get(PROJECT, response_model=wire.Project)
async def get_project(
    org: str,
    team: str,
    ws: str,
    project: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    show_deleted: bool = False,
) -> JSONResponse:
    """Read one project."""
    located = await scopes.get_scope(
        conn, viewer, org, team, ws, project, include_deleted_leaf=show_deleted
    )
    return found(wire.Project.model_validate(located.leaf).model_dump(), located.leaf["version"])


async def _history(services, ctx, refs: tuple[str | None, ...]) -> dict:
    entity, events = await run_in_threadpool(services.tenancy.hierarchy.history, ctx, refs)
    return {"guid": entity.id, "items": history_entries(type(entity).__name__, events)}


@router.get(ORG + "/history", response_model=common.History)
async def organization_history(org: str, ctx: ContextDep, services: ServicesDep):
    """Every event of an organization: type, version, time, actor, changed fields."""
    return await _history(services, ctx, (org,))


@router.get(TEAM + "/history", response_model=common.History)
async def team_history(org: str, team: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a team."""
    return await _history(services, ctx, (org, team))


@router.get(WS + "/history", response_model=common.History)
async def workspace_history(org: str, team: str, ws: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a workspace."""
    return await _history(services, ctx, (org, team, ws))


@router.get(PROJECT + "/history", response_model=common.History)
async def project_history(
    org: str, team: str, ws: str, project: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of a project."""
    return await _history(services, ctx, (org, team, ws, project))
