"""Agent definition queries: list, read, versions (and `latest`), history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.routes.agent_definitions import DEFINITION, DEFINITIONS
from api.views import found, history_entries
from projections.infra.views import agent_definitions
from projections.tenancy.views import scopes
from schemas import common
from schemas import infra as wire

router = APIRouter(prefix="/v1", tags=["agent definitions"], route_class=EdgeRoute)
VersionRef = Annotated[
    str, Path(max_length=12, description="a version number or 'latest' (the current version)")
]


async def _definition(conn, viewer, org: str, ref: str, include_deleted: bool = False) -> dict:
    org_id = await scopes.get_org_id(conn, viewer, org)
    return await agent_definitions.get_agent_definition(conn, org_id, ref, include_deleted)


@router.get(DEFINITIONS, response_model=common.ListOf[wire.AgentDefinition])
async def list_agent_definitions(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=63)] = None,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """An organization's agent definitions, by category and/or searched by name."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await agent_definitions.list_agent_definitions(
        conn, org_id, page, show_deleted, category=category, q=q
    )
    return {"items": rows, "next_page_token": token}


@router.get(DEFINITION, response_model=wire.AgentDefinition)
async def get_agent_definition(
    org: str, definition: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """One agent definition, with the spec of its current version."""
    row = await _definition(conn, viewer, org, definition, show_deleted)
    return found(wire.AgentDefinition.model_validate(row).model_dump(), row["version"])


@router.get(DEFINITION + "/versions", response_model=common.ListOf[wire.AgentDefinitionVersion])
async def list_agent_definition_versions(
    org: str, definition: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep
):
    """The versions of an agent definition, oldest first."""
    row = await _definition(conn, viewer, org, definition)
    items, token = await agent_definitions.list_versions(conn, row, page)
    return {"items": items, "next_page_token": token}


@router.get(DEFINITION + "/versions/{number}", response_model=wire.AgentDefinitionVersion)
async def get_agent_definition_version(
    org: str, definition: str, number: VersionRef, conn: ReadConnDep, viewer: ViewerDep
):
    """One version of an agent definition; `latest` is the current version."""
    row = await _definition(conn, viewer, org, definition)
    return await agent_definitions.get_version(conn, row, number)


@router.get(DEFINITION + "/history", response_model=common.History)
async def agent_definition_history(
    org: str, definition: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of an agent definition."""
    entity, events = await run_in_threadpool(
        services.tasks.agent_definitions.history, ctx, org, definition
    )
    return {"guid": entity.id, "items": history_entries("AgentDefinition", events)}
