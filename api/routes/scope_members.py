"""Workspace and project members: grants below the team, inherited by what lies below."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import (
    ContextDep,
    IfMatchDep,
    OptionalIfMatchDep,
    PageDep,
    ReadConnDep,
    ServicesDep,
    ViewerDep,
)
from api.edge import EdgeRoute
from api.services import Services
from api.views import aggregate_row, found, history_entries, written
from domain.core.context import CommandContext, CommandResult
from projections.tenancy.views import project_members, scopes, workspace_members
from schemas import common
from schemas import tenancy as wire

router = APIRouter(prefix="/v1", tags=["members"], route_class=EdgeRoute)
WS = "/orgs/{org}/teams/{team}/workspaces/{ws}"
PROJECT = WS + "/projects/{project}"
WS_FIELDS = ("organization_id", "team_id", "workspace_id", "user_id", "role")
PROJECT_FIELDS = (*WS_FIELDS, "project_id")


def _put(
    services: Services,
    ctx: CommandContext,
    refs: tuple[str, ...],
    user: str,
    role: str,
    version: int | None,
) -> JSONResponse:
    result, created = services.tenancy.memberships.put_scope_member(ctx, refs, user, role, version)
    return _written(result, created)


def _written(result: CommandResult, created: bool = False) -> JSONResponse:
    e = result.entity
    project = getattr(e, "project_id", None)
    body = aggregate_row(e, *(PROJECT_FIELDS if project else WS_FIELDS))
    scope = f"/v1/orgs/{e.organization_id}/teams/{e.team_id}/workspaces/{e.workspace_id}"
    scope += f"/projects/{project}" if project else ""
    location = f"{scope}/members/{e.user_id}" if created else None
    return written(result, body, location, 201 if created else 200)


@router.put(
    WS + "/members/{user}",
    response_model=wire.WorkspaceMember,
    responses={201: {"model": wire.WorkspaceMember, "description": "Added"}},
)
def put_workspace_member(
    org: str,
    team: str,
    ws: str,
    user: str,
    body: wire.ScopeMemberPut,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Grant an organization member a role on a workspace and its projects (If-Match to change)."""
    return _put(services, ctx, (org, team, ws), user, body.role, version)


@router.delete(WS + "/members/{user}", response_model=wire.WorkspaceMember)
def remove_workspace_member(
    org: str,
    team: str,
    ws: str,
    user: str,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Take a user's role on a workspace away."""
    refs = (org, team, ws)
    return _written(services.tenancy.memberships.remove_scope_member(ctx, refs, user, version))


@router.put(
    PROJECT + "/members/{user}",
    response_model=wire.ProjectMember,
    responses={201: {"model": wire.ProjectMember, "description": "Added"}},
)
def put_project_member(
    org: str,
    team: str,
    ws: str,
    project: str,
    user: str,
    body: wire.ScopeMemberPut,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Grant an organization member a role on one project (If-Match to change)."""
    return _put(services, ctx, (org, team, ws, project), user, body.role, version)


@router.delete(PROJECT + "/members/{user}", response_model=wire.ProjectMember)
def remove_project_member(
    org: str,
    team: str,
    ws: str,
    project: str,
    user: str,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Take a user's role on a project away."""
    refs = (org, team, ws, project)
    return _written(services.tenancy.memberships.remove_scope_member(ctx, refs, user, version))


@router.get(WS + "/members", response_model=common.ListOf[wire.WorkspaceMember])
async def list_workspace_members(
    org: str,
    team: str,
    ws: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    show_deleted: bool = False,
):
    """List the members of a workspace (grants on the workspace itself)."""
    located = await scopes.get_scope(conn, viewer, org, team, ws, include_deleted_leaf=False)
    ws_id = located.leaf["guid"]
    rows, token = await workspace_members.list_members(conn, ws_id, page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get(WS + "/members/{user}", response_model=wire.WorkspaceMember)
async def get_workspace_member(
    org: str, team: str, ws: str, user: str, conn: ReadConnDep, viewer: ViewerDep
):
    """Read one workspace membership."""
    located = await scopes.get_scope(conn, viewer, org, team, ws, include_deleted_leaf=False)
    row = await workspace_members.get_member(conn, located.leaf["guid"], user)
    return found(wire.WorkspaceMember.model_validate(row).model_dump(), row["version"])


@router.get(PROJECT + "/members", response_model=common.ListOf[wire.ProjectMember])
async def list_project_members(
    org: str,
    team: str,
    ws: str,
    project: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    show_deleted: bool = False,
):
    """List the members of a project (grants on the project itself)."""
    located = await scopes.get_scope(
        conn, viewer, org, team, ws, project, include_deleted_leaf=False
    )
    project_id = located.leaf["guid"]
    rows, token = await project_members.list_members(conn, project_id, page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get(PROJECT + "/members/{user}", response_model=wire.ProjectMember)
async def get_project_member(
    org: str, team: str, ws: str, project: str, user: str, conn: ReadConnDep, viewer: ViewerDep
):
    """Read one project membership."""
    located = await scopes.get_scope(
        conn, viewer, org, team, ws, project, include_deleted_leaf=False
    )
    row = await project_members.get_member(conn, located.leaf["guid"], user)
    return found(wire.ProjectMember.model_validate(row).model_dump(), row["version"])


@router.get(WS + "/members/{user}/history", response_model=common.History)
async def workspace_member_history(
    org: str, team: str, ws: str, user: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of one workspace membership."""
    history = services.tenancy.memberships.member_history
    member, events = await run_in_threadpool(history, ctx, (org, team, ws), user)
    return {"guid": member.id, "items": history_entries("WorkspaceMembership", events)}


@router.get(PROJECT + "/members/{user}/history", response_model=common.History)
async def project_member_history(
    org: str, team: str, ws: str, project: str, user: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of one project membership."""
    history = services.tenancy.memberships.member_history
    member, events = await run_in_threadpool(history, ctx, (org, team, ws, project), user)
    return {"guid": member.id, "items": history_entries("ProjectMembership", events)}
