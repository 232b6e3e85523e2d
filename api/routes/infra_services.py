"""Infra services of an organization (owners and admins write, members read): what the
health checker probes. The connection URL is write-only: answers show it masked, and
reads add the current health from the checker's counters."""

from __future__ import annotations

from fastapi import APIRouter
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
from api.views import aggregate_row, found, written
from domain.core.context import CommandResult
from domain.infra.infra_service import InfraService
from projections.infra_services.views import infra_services
from projections.tenancy.views import scopes
from schemas import common
from schemas import infra_services as wire

router = APIRouter(prefix="/v1/orgs/{org}", tags=["infra services"], route_class=EdgeRoute)
SERVICES = "/infra-services"
SERVICE = SERVICES + "/{service}"
FIELDS = (
    "organization_id",
    "service_type",
    "connection_url",
    "check_interval_seconds",
    "timeout_seconds",
    "is_healthy",
    "consecutive_fails",
)


def _body(service: InfraService) -> dict:
    row = aggregate_row(service, *FIELDS)
    return wire.InfraService.model_validate(row).model_dump(mode="json")


def _written(result: CommandResult, status: int = 200) -> JSONResponse:
    service = result.entity
    location = f"/v1/orgs/{service.organization_id}{SERVICES}/{service.id}"
    return written(result, _body(service), location if status == 201 else None, status)


@router.post(SERVICES, status_code=201, response_model=wire.InfraService)
def create_infra_service(
    org: str, body: wire.InfraServiceCreate, ctx: ContextDep, services: ServicesDep
):
    """Register a service for the health checker (owners and admins)."""
    return _written(services.infra.create(ctx, org, **body.model_dump()), 201)


@router.patch(SERVICE, response_model=wire.InfraService)
def update_infra_service(
    org: str,
    service: str,
    body: wire.InfraServicePatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a service (If-Match required); a new connection URL is sealed again."""
    changes = body.model_dump(exclude_unset=True)
    return _written(services.infra.update(ctx, org, service, changes, version))


@router.delete(SERVICE, response_model=wire.InfraService)
def delete_infra_service(
    org: str, service: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete a service: it is no longer probed."""
    return _written(services.infra.set_deleted(ctx, org, service, True, version))


@router.post(SERVICE + ":undelete", response_model=wire.InfraService)
def undelete_infra_service(
    org: str, service: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted service."""
    return _written(services.infra.set_deleted(ctx, org, service, False, version))


@router.get(SERVICES, response_model=common.ListOf[wire.InfraService])
async def list_infra_services(
    org: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """An organization's infra services with their current health."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await infra_services.list_services(conn, org_id, page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get(SERVICE, response_model=wire.InfraService)
async def get_infra_service(
    org: str, service: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """One service: is_healthy, consecutive_fails and last_checked_at as the checker saw."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    row = await infra_services.get_service(conn, org_id, service, show_deleted)
    return found(wire.InfraService.model_validate(row).model_dump(mode="json"), row["version"])
