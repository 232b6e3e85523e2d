"""Organization members, team members and org groups: commands and queries."""

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
from api.problems import ApiProblem
from api.routes.paths import groups_of
from api.views import aggregate_row, found, history_entries, written
from domain.core.context import CommandResult
from projections.tenancy.views import org_members, organizations, scopes, team_members
from schemas import common
from schemas import tenancy as wire

router = APIRouter(prefix="/v1", tags=["members"], route_class=EdgeRoute)
ORG = "/orgs/{org}"
TEAM = ORG + "/teams/{team}"
ORG_MEMBER_FIELDS = ("organization_id", "user_id", "role")
TEAM_MEMBER_FIELDS = ("organization_id", "team_id", "user_id", "role")


def _member_written(
    result: CommandResult, created: bool, fields: tuple[str, ...], location: str
) -> JSONResponse:
    body = aggregate_row(result.entity, *fields)
    return written(result, body, location if created else None, 201 if created else 200)


@router.put(
    ORG + "/members/{user}",
    response_model=wire.OrgMember,
    responses={201: {"model": wire.OrgMember, "description": "Added"}},
)
def put_org_member(
    org: str,
    user: str,
    body: wire.OrgMemberPut,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Add a user to an organization with a role, or change its role (If-Match to change)."""
    result, created = services.tenancy.memberships.put_org_member(
        ctx, org, user, body.role, version
    )
    e = result.entity
    return _member_written(
        result, created, ORG_MEMBER_FIELDS, f"/v1/orgs/{e.organization_id}/members/{e.user_id}"
    )


@router.delete(ORG + "/members/{user}", response_model=wire.OrgMember)
def remove_org_member(
    org: str, user: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Remove a user from an organization."""
    result = services.tenancy.memberships.remove_org_member(ctx, org, user, version)
    return written(result, aggregate_row(result.entity, *ORG_MEMBER_FIELDS))


@router.put(
    TEAM + "/members/{user}",
    response_model=wire.TeamMember,
    responses={201: {"model": wire.TeamMember, "description": "Added"}},
)
def put_team_member(
    org: str,
    team: str,
    user: str,
    body: wire.TeamMemberPut,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Add an organization member to a team with a role, or change its role."""
    result, created = services.tenancy.memberships.put_team_member(
        ctx, org, team, user, body.role, version
    )
    e = result.entity
    return _member_written(
        result,
        created,
        TEAM_MEMBER_FIELDS,
        f"/v1/orgs/{e.organization_id}/teams/{e.team_id}/members/{e.user_id}",
    )


@router.delete(TEAM + "/members/{user}", response_model=wire.TeamMember)
def remove_team_member(
    org: str, team: str, user: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Remove a user from a team."""
    result = services.tenancy.memberships.remove_team_member(ctx, org, team, user, version)
    return written(result, aggregate_row(result.entity, *TEAM_MEMBER_FIELDS))


@router.get(ORG + "/members", response_model=common.ListOf[wire.OrgMember])
async def list_org_members(
    org: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """List the members of an organization."""
    located = await scopes.get_scope(conn, viewer, org, include_deleted_leaf=False)
    rows, token = await org_members.list_members(conn, located.org["guid"], page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get(ORG + "/members/{user}", response_model=wire.OrgMember)
async def get_org_member(org: str, user: str, conn: ReadConnDep, viewer: ViewerDep):
    """Read one organization membership."""
    located = await scopes.get_scope(conn, viewer, org, include_deleted_leaf=False)
    row = await org_members.get_member(conn, located.org["guid"], user)
    return found(wire.OrgMember.model_validate(row).model_dump(), row["version"])


@router.get(TEAM + "/members", response_model=common.ListOf[wire.TeamMember])
async def list_team_members(
    org: str,
    team: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    show_deleted: bool = False,
):
    """List the members of a team."""
    located = await scopes.get_scope(conn, viewer, org, team, include_deleted_leaf=False)
    rows, token = await team_members.list_members(conn, located.leaf["guid"], page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get(TEAM + "/members/{user}", response_model=wire.TeamMember)
async def get_team_member(org: str, team: str, user: str, conn: ReadConnDep, viewer: ViewerDep):
    """Read one team membership."""
    located = await scopes.get_scope(conn, viewer, org, team, include_deleted_leaf=False)
    row = await team_members.get_member(conn, located.leaf["guid"], user)
    return found(wire.TeamMember.model_validate(row).model_dump(), row["version"])


@router.get(ORG + "/members/{user}/history", response_model=common.History)
async def org_member_history(org: str, user: str, ctx: ContextDep, services: ServicesDep):
    """Every event of one organization membership."""
    member, events = await run_in_threadpool(
        services.tenancy.memberships.member_history, ctx, (org,), user
    )
    return {"guid": member.id, "items": history_entries("OrganizationMember", events)}


@router.get(TEAM + "/members/{user}/history", response_model=common.History)
async def team_member_history(
    org: str, team: str, user: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of one team membership."""
    member, events = await run_in_threadpool(
        services.tenancy.memberships.member_history, ctx, (org, team), user
    )
    return {"guid": member.id, "items": history_entries("TeamMembership", events)}


# -- groups ---------------------------------------------------------------------------------
def _group_written(result: CommandResult, status: int = 200) -> JSONResponse:
    group = next((g for g in groups_of(result.entity) if str(g["guid"]) == str(result.guid)), None)
    body = group or {"guid": result.guid, "deleted": True}
    location = f"/v1/orgs/{result.entity.id}/groups/{result.guid}" if status == 201 else None
    return written(result, body, location, status, etag_version=result.entity.version)


@router.post(ORG + "/groups", status_code=201, response_model=wire.Group)
def define_group(org: str, body: wire.GroupCreate, ctx: ContextDep, services: ServicesDep):
    """Define a group: a named set of users holding an organization role."""
    return _group_written(services.tenancy.groups.define_group(ctx, org, **body.model_dump()), 201)


@router.patch(ORG + "/groups/{group}", response_model=wire.Group)
def change_group(
    org: str,
    group: str,
    body: wire.GroupPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Rename a group or change its role (If-Match: the organization's version)."""
    changes = body.model_dump(exclude_unset=True)
    return _group_written(services.tenancy.groups.change_group(ctx, org, group, changes, version))


@router.delete(ORG + "/groups/{group}", status_code=200)
def remove_group(org: str, group: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep):
    """Remove a group (its members lose the role it granted)."""
    return _group_written(services.tenancy.groups.remove_group(ctx, org, group, version))


@router.post(ORG + "/groups/{group}/members", response_model=wire.Group)
def add_group_member(
    org: str, group: str, body: wire.GroupMemberAdd, ctx: ContextDep, services: ServicesDep
):
    """Add a user to a group."""
    return _group_written(services.tenancy.groups.add_group_member(ctx, org, group, body.user))


@router.delete(ORG + "/groups/{group}/members/{user}", response_model=wire.Group)
def remove_group_member(
    org: str,
    group: str,
    user: str,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Remove a user from a group."""
    return _group_written(
        services.tenancy.groups.remove_group_member(ctx, org, group, user, version)
    )


@router.get(ORG + "/groups", response_model=list[wire.Group])
async def list_groups(org: str, conn: ReadConnDep, viewer: ViewerDep):
    """List an organization's groups and their members."""
    located = await scopes.get_scope(conn, viewer, org, include_deleted_leaf=False)
    return await organizations.list_groups(conn, located.org["guid"])


@router.get(ORG + "/groups/{group}", response_model=wire.Group)
async def get_group(org: str, group: str, conn: ReadConnDep, viewer: ViewerDep):
    """Read one group."""
    located = await scopes.get_scope(conn, viewer, org, include_deleted_leaf=False)
    for row in await organizations.list_groups(conn, located.org["guid"]):
        if group in (str(row["guid"]), row["slug"]):
            return row
    raise ApiProblem(404, "Not found", f"group {group!r} not found")
