"""Typed dependencies: the caller, its command context, preconditions, read connections."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from psycopg import AsyncConnection

from api.problems import ApiProblem
from api.services import Services
from domain.core.context import CommandContext
from domain.core.errors import Unauthenticated
from domain.identity.service import Principal
from projections.paging import MAX_PAGE_SIZE, Page
from projections.viewer import Viewer


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


# These dependencies take the request itself rather than ServicesDep/PrincipalDep
# sub-dependencies: FastAPI solves every node of the tree on every request; the caller's
# nested tree cost ~0.1 ms per request, more than half of a bare endpoint's whole request.
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
    secret = _bearer_secret(authorization)
    principal = services.identity.cached_principal(secret)
    if principal is None:
        principal = await run_in_threadpool(services.identity.authenticate, secret)
    return principal.context(request.scope["state"]["request_id"], x_causation_id)


ContextDep = Annotated[CommandContext, Depends(get_context)]


async def get_viewer(principal: PrincipalDep) -> Viewer:
    return Viewer(principal.user_id, principal.is_platform_admin)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]

ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


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
    min_position: Annotated[int | None, Query(ge=0, description="wait until visible")] = None,
) -> AsyncIterator[AsyncConnection]:
    if min_position:
        caught_up = await services.waiter.wait_for(
            list(services.projection_names), min_position, services.read_your_writes_timeout
        )
        if not caught_up:
            raise ApiProblem(
                503,
                "Not caught up yet",
                f"read models have not reached position {min_position}",
                headers={"Retry-After": "1"},
            )
    async with services.read_pool.connection() as conn:
        yield conn


ReadConnDep = Annotated[AsyncConnection, Depends(read_connection)]


async def page_params(
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    page_token: Annotated[str | None, Query(max_length=200)] = None,
) -> Page:
    return Page.from_request(page_size, page_token)


PageDep = Annotated[Page, Depends(page_params)]
ShowDeletedDep = Annotated[bool, Query()]
