"""The caller of the dispatcher API: a dispatcher, by its credential (never a user token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import _bearer_secret
from domain.core.errors import Unauthenticated
from domain.infra.dispatch import DispatcherPrincipal
from domain.infra.dispatcher_credential import is_dispatcher_secret


async def get_dispatcher(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> DispatcherPrincipal:
    known = request.scope["state"].get("principal")  # the middleware's, for writes
    if isinstance(known, DispatcherPrincipal):
        return known
    secret = _bearer_secret(authorization)
    if not is_dispatcher_secret(secret):
        raise Unauthenticated("the dispatcher API takes a dispatcher credential")
    services = request.app.state.services
    return await run_in_threadpool(services.dispatch.authenticate, secret)


DispatcherDep = Annotated[DispatcherPrincipal, Depends(get_dispatcher)]
