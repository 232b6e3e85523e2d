"""EventRoute queries: routes, their versions and history, deliveries, dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.views import found, history_entries
from projections.routing.views import deliveries, event_routes
from projections.tenancy.views import scopes
from schemas import common
from schemas import routing as wire

router = APIRouter(prefix="/v1", tags=["event-routes"], route_class=EdgeRoute)
ROUTES = "/orgs/{org}/event-routes"
ROUTE = ROUTES + "/{route}"
VersionRef = Annotated[
    str, Path(max_length=12, description="a version number or 'latest' (the current version)")
]


async def _route(conn, viewer, org: str, route: str, include_deleted: bool = False) -> dict:
    org_id = await scopes.get_org_id(conn, viewer, org)
    return await event_routes.get_route(conn, org_id, route, include_deleted)


# Before ROUTE: "dead-letters" would otherwise be read as a route's slug.
@router.get(ROUTES + "/dead-letters", response_model=common.ListOf[wire.Delivery])
async def list_dead_letters(org: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep):
    """Deliveries given up on, with their reason (re-drive with `:redrive`)."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await deliveries.list_dead_letters(conn, org_id, page)
    return {"items": rows, "next_page_token": token}


@router.get(ROUTES, response_model=common.ListOf[wire.EventRoute])
async def list_event_routes(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """An organization's event routes (system routes included)."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await event_routes.list_routes(conn, org_id, page, show_deleted, q=q)
    return {"items": rows, "next_page_token": token}


@router.get(ROUTE, response_model=wire.EventRoute)
async def get_event_route(
    org: str, route: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """One route, with the definition of its current version."""
    row = await _route(conn, viewer, org, route, show_deleted)
    return found(wire.EventRoute.model_validate(row).model_dump(mode="json"), row["version"])


@router.get(ROUTE + "/versions", response_model=common.ListOf[wire.EventRouteVersion])
async def list_event_route_versions(
    org: str, route: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep
):
    """The versions of a route, oldest first."""
    row = await _route(conn, viewer, org, route)
    items, token = await event_routes.list_versions(conn, row, page)
    return {"items": items, "next_page_token": token}


@router.get(ROUTE + "/versions/{number}", response_model=wire.EventRouteVersion)
async def get_event_route_version(
    org: str, route: str, number: VersionRef, conn: ReadConnDep, viewer: ViewerDep
):
    """One version of a route; `latest` is the current version."""
    row = await _route(conn, viewer, org, route)
    return await event_routes.get_version(conn, row, number)


@router.get(ROUTE + "/history", response_model=common.History)
async def event_route_history(org: str, route: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a route."""
    entity, events = await run_in_threadpool(services.routing.routes.history, ctx, org, route)
    return {"guid": entity.id, "items": history_entries("EventRoute", events)}


@router.get(ROUTE + "/deliveries", response_model=common.ListOf[wire.Delivery])
async def list_route_deliveries(
    org: str,
    route: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    outcome: wire.Outcome | None = None,
):
    """What became of each event the route took, oldest first; filter by outcome."""
    row = await _route(conn, viewer, org, route, include_deleted=True)
    rows, token = await deliveries.list_deliveries(conn, row["guid"], page, outcome)
    return {"items": rows, "next_page_token": token}
