"""An org's bus credentials: NATS creds that read only its own events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.outcome import SECRET_SHOWN_ONCE
from api.views import found, history_entries, written
from domain.bus.credential import BusCredential
from projections.bus.views import bus_credentials
from projections.tenancy.views import scopes
from schemas import bus as wire
from schemas import common

router = APIRouter(prefix="/v1", tags=["bus"], route_class=EdgeRoute)
CREDENTIALS = "/orgs/{org}/bus-credentials"


def _body(credential: BusCredential, stream: str) -> dict[str, Any]:
    return {
        "guid": credential.id,
        "organization_id": credential.organization_id,
        "name": credential.name,
        "public_key": credential.public_key,
        "subject_scope": credential.subject_scope,
        "consumer": credential.consumer,
        "stream": stream,
        "expires_at": credential.expires_at,
        "revoked_at": credential.revoked_at,
        "version": credential.version,
        "created_at": credential.created_on,
        "created_by": credential.created_by,
        "updated_at": credential.modified_on,
        "updated_by": credential.updated_by,
    }


def _path(credential: BusCredential) -> str:
    return f"/v1/orgs/{credential.organization_id}/bus-credentials/{credential.id}"


@router.post(CREDENTIALS, status_code=201, response_model=wire.IssuedBusCredential)
def issue_bus_credential(
    org: str,
    body: wire.BusCredentialCreate,
    ctx: ContextDep,
    services: ServicesDep,
    request: Request,
):
    """Issue NATS creds reading only this org's events (org admins); shown once."""
    request.scope["state"][SECRET_SHOWN_ONCE] = True  # never kept for an Idempotency-Key
    issued = services.bus.issue(ctx, org, body.name, body.expires_at)
    credential = issued.result.entity
    payload = {**_body(credential, services.bus_stream), "creds": issued.creds}
    return written(issued.result, payload, _path(credential), 201)


@router.delete(CREDENTIALS + "/{credential}", response_model=wire.BusCredential)
def revoke_bus_credential(org: str, credential: UUID, ctx: ContextDep, services: ServicesDep):
    """Revoke: the bus drops its connections and refuses it from now on."""
    result = services.bus.revoke(ctx, org, credential)
    return written(result, _body(result.entity, services.bus_stream))


@router.get(CREDENTIALS, response_model=common.ListOf[wire.BusCredential])
async def list_bus_credentials(
    org: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep, services: ServicesDep
):
    """List an org's bus credentials (never their secrets)."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await bus_credentials.list_credentials(conn, org_id, page)
    return {"items": [_row(r, services.bus_stream) for r in rows], "next_page_token": token}


@router.get(CREDENTIALS + "/{credential}", response_model=wire.BusCredential)
async def get_bus_credential(
    org: str, credential: UUID, conn: ReadConnDep, viewer: ViewerDep, services: ServicesDep
):
    """Read one bus credential (never its secret)."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    row = await bus_credentials.get_credential(conn, org_id, credential)
    return found(_row(row, services.bus_stream), row["version"])


@router.get(CREDENTIALS + "/{credential}/history", response_model=common.History)
async def bus_credential_history(
    org: str, credential: UUID, ctx: ContextDep, services: ServicesDep
):
    """Every event of a bus credential: issued, revoked (public key only)."""
    entity, events = await run_in_threadpool(services.bus.history, ctx, org, credential)
    return {"guid": entity.id, "items": history_entries("BusCredential", events)}


def _row(row: dict[str, Any], stream: str) -> dict[str, Any]:
    return {**{k: v for k, v in row.items() if k != "created_position"}, "stream": stream}
