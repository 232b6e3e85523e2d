"""Secret commands in each scope (org, team, workspace): create, rotate, edit, delete,
undelete; and purging a deleted org (crypto-shredding). Values go in, never come out."""

# No `from __future__ import annotations`: the routes are made in a function, and FastAPI
# must see each one's scope dependency (a local name) as an object, not a string.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from api.deps import ContextDep, IfMatchDep, OptionalIfMatchDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.secret_views import SCOPES, describe_secret, secret_path
from api.services import Services
from api.views import written
from domain.core.context import CommandResult
from domain.secrets.scope import ScopeRefs
from domain.secrets.service import SecretService
from schemas import secrets as wire

router = APIRouter(prefix="/v1", tags=["secrets"], route_class=EdgeRoute)


def _service(services: Services) -> SecretService:
    assert services.secrets is not None, "the composition root wires the secrets context"
    return services.secrets.service


def _changed(result: CommandResult):
    return written(result, describe_secret(result.entity))


def _plain(value) -> str | None:
    return value.get_secret_value() if value is not None else None


def _add_scope(base: str, scope_of: Callable[..., ScopeRefs]) -> None:
    Scope = Annotated[ScopeRefs, Depends(scope_of)]  # noqa: N806
    one = base + "/{secret}"

    @router.post(base, status_code=201, response_model=wire.Secret)
    def create_secret(
        scope: Scope, body: wire.SecretCreate, ctx: ContextDep, services: ServicesDep
    ):
        """Create a secret (its value, or reference, becomes version 1)."""
        fields = body.model_dump(exclude={"value"})
        result = _service(services).create(ctx, scope, value=_plain(body.value), **fields)
        return written(result, describe_secret(result.entity), secret_path(result.entity), 201)

    @router.post(one + ":rotate", response_model=wire.Secret)
    def rotate_secret(
        scope: Scope,
        secret: str,
        body: wire.SecretRotate,
        ctx: ContextDep,
        services: ServicesDep,
        version: OptionalIfMatchDep,
    ):
        """Add a version (a new value; for vault, none pins the path's current version)."""
        service = _service(services)
        return _changed(service.rotate(ctx, scope, secret, _plain(body.value), version))

    @router.patch(one, response_model=wire.Secret)
    def update_secret(
        scope: Scope,
        secret: str,
        body: wire.SecretPatch,
        ctx: ContextDep,
        services: ServicesDep,
        version: IfMatchDep,
    ):
        """Change a secret's description, category or inheritance (If-Match required)."""
        changes = body.model_dump(exclude_unset=True)
        return _changed(_service(services).update(ctx, scope, secret, changes, version))

    @router.delete(one, response_model=wire.Secret)
    def delete_secret(
        scope: Scope, secret: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
    ):
        """Soft-delete a secret: tasks no longer resolve it."""
        return _changed(_service(services).set_deleted(ctx, scope, secret, True, version))

    @router.post(one + ":undelete", response_model=wire.Secret)
    def undelete_secret(
        scope: Scope,
        secret: str,
        ctx: ContextDep,
        services: ServicesDep,
        version: OptionalIfMatchDep,
    ):
        """Restore a soft-deleted secret."""
        return _changed(_service(services).set_deleted(ctx, scope, secret, False, version))


for _base, _scope_of in SCOPES:
    _add_scope(_base, _scope_of)


@router.post("/orgs/{org}:purge", response_model=wire.OrgPurged)
async def purge_org(org: str, ctx: ContextDep, services: ServicesDep):
    """Owners: purge a deleted organization, destroying its data key (its local secrets
    become unrecoverable; the event log stays whole and verifiable)."""
    assert services.secrets is not None
    result = await run_in_threadpool(services.secrets.purger.purge, ctx, org)
    body = {
        "organization_id": result.entity.organization_id,
        "purged": True,
        "data_key_destroyed": result.entity.data_key_destroyed,
    }
    return written(result, body)
