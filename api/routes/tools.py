"""Tool definitions: the platform catalog under /v1/tools (platform admins write, every
user reads) and each organization's own under /v1/orgs/{org}/tools (admins write,
members read). `…:validate` checks a sample input against a tool's input schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
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
from api.routes.catalog_views import describe_tool, tool_path
from api.views import found, history_entries, written
from domain.core.context import CommandResult
from projections.catalog.views import tools
from projections.tenancy.views import scopes
from schemas import catalog as wire
from schemas import common

router = APIRouter(prefix="/v1", tags=["tools"], route_class=EdgeRoute)
PLATFORM = "/tools"
PLATFORM_TOOL = PLATFORM + "/{tool}"
ORG = "/orgs/{org}/tools"
ORG_TOOL = ORG + "/{tool}"


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_tool(result.entity))


def _create(services, ctx, org: str | None, body: wire.ToolCreate) -> JSONResponse:
    result = services.catalog.tools.create(ctx, org, **body.model_dump())
    return written(result, describe_tool(result.entity), tool_path(result.entity), 201)


def _patch(services, ctx, org, tool, body: wire.ToolPatch, version) -> JSONResponse:
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.catalog.tools.update(ctx, org, tool, changes, version))


def _validate(services, ctx, org, tool, body: wire.ToolValidate) -> dict:
    errors = services.catalog.tools.validate_input(ctx, org, tool, body.input)
    return {"valid": not errors, "errors": errors}


async def _list(conn, org_id, page, show_deleted, q) -> dict:
    rows, token = await tools.list_tools(conn, org_id, page, show_deleted, q=q)
    return {"items": rows, "next_page_token": token}


async def _history(services, ctx, org, tool) -> dict:
    entity, events = await run_in_threadpool(services.catalog.tools.history, ctx, org, tool)
    return {"guid": entity.id, "items": history_entries("ToolDef", events)}


def _found(row: dict) -> JSONResponse:
    return found(wire.Tool.model_validate(row).model_dump(), row["version"])


# -- platform catalog -------------------------------------------------------------------
@router.post(PLATFORM, status_code=201, response_model=wire.Tool)
def create_platform_tool(body: wire.ToolCreate, ctx: ContextDep, services: ServicesDep):
    """Define a platform-wide tool (platform admins)."""
    return _create(services, ctx, None, body)


@router.patch(PLATFORM_TOOL, response_model=wire.Tool)
def update_platform_tool(
    tool: str, body: wire.ToolPatch, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Change a platform tool (platform admins, If-Match required)."""
    return _patch(services, ctx, None, tool, body, version)


@router.delete(PLATFORM_TOOL, response_model=wire.Tool)
def delete_platform_tool(tool: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep):
    """Soft-delete a platform tool."""
    return _changed(services.catalog.tools.set_deleted(ctx, None, tool, True, version))


@router.post(PLATFORM_TOOL + ":undelete", response_model=wire.Tool)
def undelete_platform_tool(
    tool: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted platform tool."""
    return _changed(services.catalog.tools.set_deleted(ctx, None, tool, False, version))


@router.post(PLATFORM_TOOL + ":validate", response_model=wire.ToolValidation)
def validate_platform_tool_input(
    tool: str, body: wire.ToolValidate, ctx: ContextDep, services: ServicesDep
):
    """Check a sample input against a platform tool's input schema."""
    return _validate(services, ctx, None, tool, body)


@router.get(PLATFORM, response_model=common.ListOf[wire.Tool])
async def list_platform_tools(
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """List the platform-wide tools."""
    return await _list(conn, None, page, show_deleted, q)


@router.get(PLATFORM_TOOL, response_model=wire.Tool)
async def get_platform_tool(
    tool: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """Read one platform tool."""
    return _found(await tools.get_tool(conn, None, tool, show_deleted))


@router.get(PLATFORM_TOOL + "/history", response_model=common.History)
async def platform_tool_history(tool: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a platform tool."""
    return await _history(services, ctx, None, tool)


# -- an organization's tools ------------------------------------------------------------
@router.post(ORG, status_code=201, response_model=wire.Tool)
def create_org_tool(org: str, body: wire.ToolCreate, ctx: ContextDep, services: ServicesDep):
    """Define a tool for one organization (its owners and admins)."""
    return _create(services, ctx, org, body)


@router.patch(ORG_TOOL, response_model=wire.Tool)
def update_org_tool(
    org: str,
    tool: str,
    body: wire.ToolPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change an organization's tool (If-Match required)."""
    return _patch(services, ctx, org, tool, body, version)


@router.delete(ORG_TOOL, response_model=wire.Tool)
def delete_org_tool(
    org: str, tool: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete an organization's tool."""
    return _changed(services.catalog.tools.set_deleted(ctx, org, tool, True, version))


@router.post(ORG_TOOL + ":undelete", response_model=wire.Tool)
def undelete_org_tool(
    org: str, tool: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted organization tool."""
    return _changed(services.catalog.tools.set_deleted(ctx, org, tool, False, version))


@router.post(ORG_TOOL + ":validate", response_model=wire.ToolValidation)
def validate_org_tool_input(
    org: str, tool: str, body: wire.ToolValidate, ctx: ContextDep, services: ServicesDep
):
    """Check a sample input against an organization tool's input schema."""
    return _validate(services, ctx, org, tool, body)


@router.get(ORG, response_model=common.ListOf[wire.Tool])
async def list_org_tools(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """List an organization's own tools."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    return await _list(conn, org_id, page, show_deleted, q)


@router.get(ORG_TOOL, response_model=wire.Tool)
async def get_org_tool(
    org: str, tool: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """Read one organization tool."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    return _found(await tools.get_tool(conn, org_id, tool, show_deleted))


@router.get(ORG_TOOL + "/history", response_model=common.History)
async def org_tool_history(org: str, tool: str, ctx: ContextDep, services: ServicesDep):
    """Every event of an organization tool."""
    return await _history(services, ctx, org, tool)
