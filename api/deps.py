"""Typed dependencies: the caller, its command context, preconditions, read connections."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from psycopg import AsyncConnection, sql
from pydantic import BeforeValidator

from api.problems import ApiProblem
from api.services import Services
from domain.core.context import CommandContext
from domain.core.errors import Unauthenticated
from domain.identity.service import Principal
from domain.infra.dispatch import DispatcherPrincipal
from domain.infra.dispatcher_credential import is_dispatcher_secret
from domain.tasks.attempt_access import AttemptGrant
from domain.tasks.attempt_tokens import is_attempt_secret
from projections.reading.paging import MAX_PAGE_SIZE, Page
from projections.reading.viewer import Viewer


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _bearer_secret(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("missing bearer token")
    secret = authorization[7:].strip()
    if not secret or len(secret) > 512:
        raise Unauthenticated("invalid, expired or revoked token")
    return secret


# These take the request, not ServicesDep/PrincipalDep: FastAPI re-solves every node per request.
async def get_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """Reads: the token and its user are read (brought up to date) before anything else."""
    services: Services = request.app.state.services
    return await run_in_threadpool(services.identity.authenticate, _bearer_secret(authorization))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_context(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_causation_id: Annotated[str | None, Header(max_length=200)] = None,
) -> CommandContext:
    """Commands: a token this process knows is taken from its cache without I/O, and the
    command's own first read checks it again (domain Credential); an unknown one is read
    here."""
    services: Services = request.app.state.services
    state = request.scope["state"]
    principal = state.get("principal") or await caller_of(services, authorization)
    if not isinstance(principal, Principal):  # agents and dispatchers act on their own APIs
        raise Unauthenticated("invalid, expired or revoked token")
    ctx = principal.context(state["request_id"], x_causation_id, state.get("fence"))
    state["committed"] = ctx.committed  # what it wrote, should its response fail after
    return ctx


ContextDep = Annotated[CommandContext, Depends(get_context)]


async def caller_of(
    services: Services, authorization: str | None
) -> Principal | AttemptGrant | DispatcherPrincipal:
    """The caller of a command, known without I/O when its token is cached."""
    secret = _bearer_secret(authorization)
    if is_attempt_secret(secret) and services.agents is not None:  # routes/agent.py only
        return await run_in_threadpool(services.agents.authenticate, secret)
    if is_dispatcher_secret(secret):  # a dispatcher, on the dispatch API (routes/dispatch.py)
        return await run_in_threadpool(services.dispatch.authenticate, secret)
    principal = services.identity.cached_principal(secret)
    if principal is None:
        principal = await run_in_threadpool(services.identity.authenticate, secret)
    return principal


async def get_attempt(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> AttemptGrant:
    """An agent, by its attempt token (a user's token is refused: 401); whether the
    attempt is still live is the request's own check."""
    services: Services = request.app.state.services
    grant = request.scope["state"].get("principal")  # a write's, from the middleware
    if grant is None:
        secret = _bearer_secret(authorization)
        if is_attempt_secret(secret) and services.agents is not None:
            grant = await run_in_threadpool(services.agents.authenticate, secret)
    if not isinstance(grant, AttemptGrant):
        raise Unauthenticated("the agent API takes an attempt token")
    return grant


AttemptDep = Annotated[AttemptGrant, Depends(get_attempt)]


async def get_viewer(principal: PrincipalDep) -> Viewer:
    return Viewer(principal.user_id, principal.is_platform_admin)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]

ETAG = re.compile(r'^\s*(?:W/)?"?([0-9]{1,18})"?\s*$')  # ASCII digits: not "١" or "²"


def _ascii_integer(value: object) -> object:
    """Query integers in ASCII digits only (int() would also read "١", "+5", " 5", "1_0")."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,18}", value):
        raise ValueError("must be a whole number in ASCII digits")
    return value


AsciiInt = Annotated[int, BeforeValidator(_ascii_integer)]


def parse_if_match(if_match: str | None, *, required: bool) -> int | None:
    if if_match is None:
        if required:
            raise ApiProblem(
                428, "Precondition required", 'send If-Match: "<version>" from the ETag you read'
            )
        return None
    match = ETAG.match(if_match)
    if not match:
        raise ApiProblem(
            400,
            "Bad request",
            'If-Match must be an ETag like "3"',
            errors=[{"field": "If-Match", "message": "not a version ETag"}],
        )
    return int(match.group(1))


async def required_version(if_match: Annotated[str | None, Header()] = None) -> int:
    version = parse_if_match(if_match, required=True)
    assert version is not None
    return version


async def optional_version(if_match: Annotated[str | None, Header()] = None) -> int | None:
    return parse_if_match(if_match, required=False)


IfMatchDep = Annotated[int, Depends(required_version)]
OptionalIfMatchDep = Annotated[int | None, Depends(optional_version)]


async def read_connection(
    services: ServicesDep,
    principal: PrincipalDep,
    min_position: Annotated[
        AsciiInt | None,
        Query(ge=0, description="wait (bounded) until the read models show this position"),
    ] = None,
    consistency: Annotated[
        Literal["session", "eventual"],
        Query(description="session (default): see every write of this token; eventual: don't wait"),
    ] = "session",
) -> AsyncIterator[AsyncConnection]:
    """A read connection once the read models show what this caller must see: every
    earlier write of the same token (session consistency, across API workers and
    replicas), and `min_position` if given."""
    async with services.read_pool.connection() as conn:
        wanted = min_position or 0
        if consistency == "session":
            wanted = max(wanted, await _session_position(conn, services, principal.token_id))
        if wanted and not services.waiter.reached(services.projection_names, wanted):
            if min_position and min_position > await _log_head(conn, services):
                raise ApiProblem(
                    422,
                    "Invalid input",
                    f"position {min_position} is beyond the head of the log",
                    errors=[{"field": "min_position", "message": "beyond the head of the log"}],
                )
        else:
            yield conn
            return
    await _wait_for(services, wanted)
    async with services.read_pool.connection() as conn:
        yield conn


async def _session_position(conn: AsyncConnection, services: Services, token_id) -> int:
    cur = await conn.execute(
        sql.SQL("SELECT position FROM {} WHERE session = %s").format(services.session_positions),
        (str(token_id),),
    )
    row = await cur.fetchone()
    return int(row["position"]) if row else 0


async def _log_head(conn: AsyncConnection, services: Services) -> int:
    cur = await conn.execute(
        sql.SQL("SELECT max(notification_id) AS head FROM {}").format(services.event_log)
    )
    row = await cur.fetchone()
    return int(row["head"] or 0) if row else 0


async def _wait_for(services: Services, position: int) -> None:
    # Released while waiting: a waiting request holds no connection.
    caught_up = await services.waiter.wait_for(
        list(services.projection_names), position, services.read_your_writes_timeout
    )
    if not caught_up:
        raise ApiProblem(
            503,
            "Not caught up yet",
            f"read models have not reached position {position}",
            headers={"Retry-After": "1"},
        )


ReadConnDep = Annotated[AsyncConnection, Depends(read_connection)]


async def page_params(
    page_size: Annotated[AsciiInt, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    page_token: Annotated[str | None, Query(max_length=200)] = None,
) -> Page:
    return Page.from_request(page_size, page_token)


PageDep = Annotated[Page, Depends(page_params)]
ShowDeletedDep = Annotated[bool, Query()]
