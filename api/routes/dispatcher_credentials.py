"""Dispatcher credentials: platform admins mint (secret shown once), list and revoke them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.outcome import SECRET_SHOWN_ONCE
from api.views import found, written
from domain.core.errors import PermissionDenied
from domain.infra.dispatcher_credential import DispatcherCredential
from projections.dispatchers.views import dispatcher_credentials
from projections.reading.viewer import Viewer
from schemas import common
from schemas import dispatch as wire

router = APIRouter(prefix="/v1", tags=["dispatchers"], route_class=EdgeRoute)
CREDENTIALS = "/dispatcher-credentials"


def _body(credential: DispatcherCredential) -> dict[str, Any]:
    return {
        "guid": credential.id,
        "dispatcher_name": credential.dispatcher_name,
        "name": credential.name,
        "revoked_at": credential.revoked_at,
        "version": credential.version,
        "created_at": credential.created_on,
        "created_by": credential.created_by,
        "updated_at": credential.modified_on,
        "updated_by": credential.updated_by,
    }


def _admin(viewer: Viewer) -> None:
    if not viewer.is_platform_admin:
        raise PermissionDenied("only platform admins manage dispatcher credentials")


@router.post(CREDENTIALS, status_code=201, response_model=wire.IssuedDispatcherCredential)
def issue_dispatcher_credential(
    body: wire.DispatcherCredentialCreate, ctx: ContextDep, services: ServicesDep, request: Request
):
    """Mint a dispatcher's credential (platform admins); its secret is in this response only."""
    request.scope["state"][SECRET_SHOWN_ONCE] = True  # never kept for an Idempotency-Key
    issued = services.dispatch.issue(ctx, body.dispatcher_name, body.name)
    credential = issued.result.entity
    payload = {**_body(credential), "secret": issued.secret}
    return written(issued.result, payload, f"/v1{CREDENTIALS}/{credential.id}", 201)


@router.delete(CREDENTIALS + "/{credential}", response_model=wire.DispatcherCredential)
def revoke_dispatcher_credential(credential: UUID, ctx: ContextDep, services: ServicesDep):
    """Revoke: the dispatcher's next request (and any write not yet committed) is refused."""
    result = services.dispatch.revoke(ctx, credential)
    return written(result, _body(result.entity))


@router.get(CREDENTIALS, response_model=common.ListOf[wire.DispatcherCredential])
async def list_dispatcher_credentials(conn: ReadConnDep, viewer: ViewerDep, page: PageDep):
    """List dispatcher credentials, oldest first (never their secrets)."""
    _admin(viewer)
    rows, token = await dispatcher_credentials.list_credentials(conn, page)
    return {"items": [_row(r) for r in rows], "next_page_token": token}


@router.get(CREDENTIALS + "/{credential}", response_model=wire.DispatcherCredential)
async def get_dispatcher_credential(credential: UUID, conn: ReadConnDep, viewer: ViewerDep):
    """Read one dispatcher credential (never its secret)."""
    _admin(viewer)
    row = await dispatcher_credentials.get_credential(conn, credential)
    return found(_row(row), row["version"])


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "created_position"}
