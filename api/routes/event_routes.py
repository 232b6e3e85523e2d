"""EventRoute commands: create (version 1), change (a new version when the definition
changes), roll back, delete; and re-driving a dead letter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep, IfMatchDep, OptionalIfMatchDep, ServicesDep
from api.edge import EdgeRoute
from api.views import aggregate_row, written
from domain.core.context import CommandResult
from domain.routing.delivery import RouteDelivery
from domain.routing.event_route import EventRoute
from schemas import catalog
from schemas import routing as wire

router = APIRouter(prefix="/v1", tags=["event-routes"], route_class=EdgeRoute)
ROUTES = "/orgs/{org}/event-routes"
ROUTE = ROUTES + "/{route}"
DEAD_LETTER = ROUTES + "/dead-letters/{delivery}"
ROUTE_FIELDS = ("organization_id", "system", "current_version", "latest_version", "content_hash")


def route_path(route: EventRoute) -> str:
    return f"/v1/orgs/{route.organization_id}/event-routes/{route.id}"


def describe_route(route: EventRoute) -> dict[str, Any]:
    return {**aggregate_row(route, *ROUTE_FIELDS), "definition": route.definition}


def describe_delivery(delivery: RouteDelivery) -> dict[str, Any]:
    names = ("organization_id", "route_id", "route_version", "event_id", "event_type")
    more = ("event_position", "target", "outcome", "reason", "attempt", "redrive_requested")
    return {
        "guid": delivery.id,
        **{name: getattr(delivery, name) for name in (*names, *more)},
        "version": delivery.version,
        "created_at": delivery.created_on,
        "updated_at": delivery.modified_on,
    }


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_route(result.entity))


@router.post(ROUTES, status_code=201, response_model=wire.EventRoute)
def create_event_route(
    org: str, body: wire.EventRouteCreate, ctx: ContextDep, services: ServicesDep
):
    """Create an event route; its definition becomes version 1 (jq and CEL compiled first)."""
    fields = body.model_dump()
    name, slug, description = fields.pop("name"), fields.pop("slug"), fields.pop("description")
    published = services.routing.routes.create(ctx, org, name, fields, slug, description)
    route = published.result.entity
    return written(published.result, describe_route(route), route_path(route), 201)


@router.patch(ROUTE, response_model=wire.EventRoute)
def update_event_route(
    org: str,
    route: str,
    body: wire.EventRoutePatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a route (If-Match required); a change of its definition is a new version."""
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.routing.routes.update(ctx, org, route, changes, version))


@router.post(ROUTE + ":rollback", response_model=wire.EventRoute)
def roll_back_event_route(
    org: str,
    route: str,
    body: catalog.Rollback,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Make an older version current again (a new event; history is never rewritten)."""
    return _changed(services.routing.routes.roll_back(ctx, org, route, body.version, version))


@router.delete(ROUTE, response_model=wire.EventRoute)
def delete_event_route(
    org: str, route: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete a route: the router stops applying it."""
    return _changed(services.routing.routes.set_deleted(ctx, org, route, True, version))


@router.post(ROUTE + ":undelete", response_model=wire.EventRoute)
def undelete_event_route(
    org: str, route: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted route."""
    return _changed(services.routing.routes.set_deleted(ctx, org, route, False, version))


@router.post(DEAD_LETTER + ":redrive", status_code=202, response_model=wire.Delivery)
def redrive_dead_letter(org: str, delivery: str, ctx: ContextDep, services: ServicesDep):
    """Ask the router to deliver a dead letter again (202: it acts on it asynchronously)."""
    result = services.routing.deliveries.redrive(ctx, org, delivery)
    return written(result, describe_delivery(result.entity), status=202)
