"""Users, API tokens and /v1/me."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import (
    ContextDep,
    PageDep,
    PrincipalDep,
    ReadConnDep,
    ServicesDep,
    ViewerDep,
)
from api.edge import EdgeRoute
from api.outcome import SECRET_SHOWN_ONCE
from api.problems import ApiProblem
from api.views import aggregate_row, found, history_entries, written
from domain.identity.token import ApiToken
from projections.identity.views import tokens, users
from schemas import common
from schemas import identity as wire

router = APIRouter(prefix="/v1", tags=["identity"], route_class=EdgeRoute)
USER_FIELDS = ("email", "is_service_account", "is_platform_admin", "is_active")


def _token_body(token: ApiToken) -> dict:
    return {
        "guid": token.id,
        "user_id": token.user_id,
        "name": token.name,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "created_at": token.created_on,
        "created_by": token.created_by,
    }


@router.post("/users", status_code=201, response_model=wire.User)
def register_user(body: wire.UserCreate, ctx: ContextDep, services: ServicesDep):
    """Register a user or service account (platform admins only)."""
    result = services.identity.register_user(ctx, **body.model_dump())
    return written(
        result, aggregate_row(result.entity, *USER_FIELDS), f"/v1/users/{result.guid}", 201
    )


@router.post("/users/{user}/tokens", status_code=201, response_model=wire.IssuedToken)
def issue_token(
    user: str, body: wire.TokenCreate, ctx: ContextDep, services: ServicesDep, request: Request
):
    """Issue an API token; the secret is in this response only."""
    request.scope["state"][SECRET_SHOWN_ONCE] = True  # never kept for an Idempotency-Key
    if body.expires_at is not None and body.expires_in_days is not None:
        raise ApiProblem(
            422,
            "Invalid input",
            "give expires_at or expires_in_days, not both",
            errors=[{"field": "expires_in_days", "message": "conflicts"}],
        )
    expires_at = body.expires_at
    if body.expires_in_days is not None:
        expires_at = datetime.now(tz=UTC) + timedelta(days=body.expires_in_days)
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    issued = services.identity.issue_token(ctx, user, body.name, expires_at)
    token = issued.result.entity
    return written(
        issued.result,
        {**_token_body(token), "token": issued.secret},
        f"/v1/users/{token.user_id}/tokens/{token.id}",
        201,
    )


@router.delete("/users/{user}/tokens/{token}", response_model=wire.Token)
def revoke_token(user: str, token: UUID, ctx: ContextDep, services: ServicesDep):
    """Revoke a token: the next request that uses it is refused."""
    result = services.identity.revoke_token(ctx, user, token)
    return written(result, _token_body(result.entity))


@router.get("/me", response_model=wire.User)
async def me(principal: PrincipalDep, services: ServicesDep):
    """The caller, read from the event store (always current)."""
    user = await run_in_threadpool(services.identity.find_user, str(principal.user_id))
    return found(aggregate_row(user, *USER_FIELDS), user.version)


@router.get("/users", response_model=common.ListOf[wire.User])
async def list_users(
    conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """List users (platform admins see all; others see themselves)."""
    rows, token = await users.list_users(conn, viewer, page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get("/users/{user}", response_model=wire.User)
async def get_user(user: str, conn: ReadConnDep, viewer: ViewerDep):
    """Read one user."""
    row = await users.get_user(conn, viewer, user)
    return found(wire.User.model_validate(row).model_dump(), row["version"])


@router.get("/users/{user}/tokens", response_model=common.ListOf[wire.Token])
async def list_tokens(user: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep):
    """List a user's tokens (never their secrets)."""
    row = await users.get_user(conn, viewer, user)
    rows, token = await tokens.list_tokens(conn, row["guid"], page)
    return {"items": rows, "next_page_token": token}


@router.get("/users/{user}/history", response_model=common.History)
async def user_history(user: str, viewer: ViewerDep, services: ServicesDep):
    """Every event of a user."""
    found_user = await run_in_threadpool(services.identity.find_user, user)
    if not (viewer.is_platform_admin or viewer.user_id == found_user.id):
        raise ApiProblem(404, "Not found", f"user {user!r} not found")
    events = await run_in_threadpool(services.store.history, found_user.id)
    return {"guid": found_user.id, "items": history_entries("User", events)}
