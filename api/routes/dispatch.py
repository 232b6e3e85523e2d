"""The dispatcher-facing API, authenticated by a dispatcher credential (never a user's
token): register, heartbeat, claim a task's attempt (of racing claimers one wins, the others
get 409) and report on it. Every report names its attempt: a late one from an old attempt
gets 409 naming the current attempt (or status)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.dispatcher_auth import DispatcherDep
from api.edge import EdgeRoute
from api.views import written
from domain.core.context import CommandResult
from domain.core.errors import NotFound
from domain.tasks.task import task_id_of
from projections.dispatchers import heartbeats
from schemas import dispatch as wire

router = APIRouter(prefix="/v1/dispatch", tags=["dispatch"], route_class=EdgeRoute)
TASK = "/tasks/{task}"


def _request_id(request: Request) -> str | None:
    return request.scope["state"].get("request_id")


def _task(ref: str) -> UUID:
    task_id = task_id_of(ref)
    if task_id is None:
        raise NotFound(f"task {ref!r} not found")
    return task_id


def _moved(result: CommandResult) -> Any:
    task = result.entity
    body = {"guid": task.id, "status": task.status, "attempt": task.attempt}
    return written(result, {**body, "version": task.version})


@router.post("/register", response_model=wire.RegisteredDispatcher)
async def register_dispatcher(
    body: wire.DispatcherRegistration, who: DispatcherDep, services: ServicesDep, request: Request
):
    """Register (or come back online) as the credential's dispatcher; beats its heartbeat."""
    dispatcher_id = await run_in_threadpool(
        services.dispatch.register,
        who,
        body.runtime,
        body.bus_config,
        body.dispatch_mode,
        body.endpoint_url,
        _request_id(request),
    )
    async with services.read_pool.connection() as conn:
        await heartbeats.beat(conn, dispatcher_id, who.dispatcher_name)
    return {"dispatcher_id": dispatcher_id, "name": who.dispatcher_name}


@router.post("/heartbeat", status_code=204)
async def beat_heartbeat(who: DispatcherDep, services: ServicesDep) -> None:
    """A heartbeat: a table row overwritten, never an event."""
    async with services.read_pool.connection() as conn:
        await heartbeats.beat(conn, who.dispatcher_id, who.dispatcher_name)


@router.post(TASK + ":claim", response_model=wire.TaskMoved)
def claim_task(
    task: str, body: wire.AttemptReport, who: DispatcherDep, services: ServicesDep, request: Request
):
    """Claim a queued attempt: one claimer wins, the others get 409 naming the status."""
    result = services.dispatch.claim(who, _task(task), body.attempt, _request_id(request))
    return _moved(result)


def _report(what: str):
    def report(
        task: str, body: wire.Outcome, who: DispatcherDep, services: ServicesDep, request: Request
    ):
        result = services.dispatch.report(
            who, what, _task(task), body.attempt, body.detail, _request_id(request)
        )
        return _moved(result)

    return report


for _verb, _what, _doc in (
    ("start", "start", "The claimed attempt started on the runtime."),
    ("succeed", "succeed", "The attempt succeeded; `detail` is its result."),
    ("fail", "fail", "The attempt failed; `detail` is its error."),
    ("time-out", "time_out", "The attempt ran out of time on the runtime."),
    ("confirm-cancelled", "confirm_cancelled", "The runtime stopped the attempt after a cancel."),
):
    _handler = _report(_what)
    _handler.__doc__ = _doc
    _handler.__name__ = f"report_{_what}"
    router.post(TASK + ":" + _verb, response_model=wire.TaskMoved, name=f"report_{_what}")(_handler)
