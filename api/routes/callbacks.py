"""Callbacks of an organization: its signing secret (created or rotated by owners and
admins, shown once), its deliveries (members read; dead letters by `?status=`), re-drive
of a dead letter and a signed test ping (owners and admins)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.outcome import SECRET_SHOWN_ONCE
from api.views import found, written
from domain.callbacks.delivery import CallbackDelivery
from domain.core.context import CommandResult
from projections.callbacks.views import deliveries
from projections.tenancy.views import scopes
from schemas import callbacks as wire
from schemas import common

router = APIRouter(prefix="/v1/orgs/{org}", tags=["callbacks"], route_class=EdgeRoute)
DELIVERIES = "/callback-deliveries"
DELIVERY = DELIVERIES + "/{delivery}"


def describe(delivery: CallbackDelivery) -> dict:
    return {
        "guid": delivery.id,
        "organization_id": delivery.organization_id,
        "subject_id": delivery.subject_id,
        "attempt": delivery.attempt,
        "outcome": delivery.outcome,
        "event_type": delivery.event_type,
        "url": delivery.url,
        "status": str(delivery.status),
        "tries": delivery.tries,
        "total_tries": delivery.total_tries,
        "rounds": delivery.rounds,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "last_tried_at": delivery.last_tried_at,
        "dead_letter_reason": delivery.dead_letter_reason,
        "due_at": delivery.due_at,
        "expires_at": delivery.expires_at,
        "version": delivery.version,
        "created_at": delivery.created_on,
        "created_by": None,
        "updated_at": delivery.modified_on,
    }


def _written(result: CommandResult, status: int = 200) -> object:
    delivery = result.entity
    body = wire.CallbackDelivery.model_validate(describe(delivery)).model_dump(mode="json")
    location = f"/v1/orgs/{delivery.organization_id}{DELIVERIES}/{delivery.id}"
    return written(result, body, location if status == 201 else None, status)


@router.post("/callback-signing-key:rotate", status_code=201, response_model=wire.SigningSecret)
def rotate_signing_secret(org: str, ctx: ContextDep, services: ServicesDep, request: Request):
    """Create or rotate the signing secret of callbacks; it is in this response only."""
    request.scope["state"][SECRET_SHOWN_ONCE] = True  # never kept for an Idempotency-Key
    result, secret = services.callbacks.rotate_signing_secret(ctx, org)
    key = result.entity
    body = {
        "organization_id": key.organization_id,
        "key_id": key.key_id,
        "version": key.version,
        "secret": secret,
    }
    return written(
        result, wire.SigningSecret.model_validate(body).model_dump(mode="json"), None, 201
    )


@router.post(DELIVERIES + ":ping", status_code=201, response_model=wire.CallbackDelivery)
def ping_callback_url(org: str, body: wire.CallbackPing, ctx: ContextDep, services: ServicesDep):
    """Schedule a signed test event to a URL (delivered and retried like any callback)."""
    return _written(services.callbacks.ping(ctx, org, body.url), 201)


@router.post(DELIVERY + ":redrive", response_model=wire.CallbackDelivery)
def redrive_callback_delivery(org: str, delivery: UUID, ctx: ContextDep, services: ServicesDep):
    """Give a dead-lettered delivery a new round of tries (same webhook-id)."""
    return _written(services.callbacks.redrive(ctx, org, delivery))


@router.get(DELIVERIES, response_model=common.ListOf[wire.CallbackDelivery])
async def list_callback_deliveries(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    status: Annotated[wire.DeliveryStatus | None, Query(description="dead_lettered…")] = None,
):
    """An organization's callback deliveries, oldest first; `status=dead_lettered` for
    its dead letters."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await deliveries.list_deliveries(conn, org_id, page, status)
    return {"items": rows, "next_page_token": token}


@router.get(DELIVERY, response_model=wire.CallbackDelivery)
async def get_callback_delivery(org: str, delivery: UUID, conn: ReadConnDep, viewer: ViewerDep):
    """One callback delivery: its status, tries and last error."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    row = await deliveries.get_delivery(conn, org_id, delivery)
    return found(wire.CallbackDelivery.model_validate(row).model_dump(mode="json"), row["version"])
