"""The agent-facing API, writes: progress (an event, rate-limited per attempt), heartbeats
(a table, not the log), output appended to the attempt's log, and the outcome: complete
with a result or fail with an error, fenced by the attempt number (409 once it is over)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AttemptDep, ServicesDep
from api.edge import EdgeRoute
from api.problems import ApiProblem
from api.routes.agent import ATTEMPT, OVER, PROBLEM_CONTENT, agents
from api.views import written
from domain.core.context import CommandContext, CommandResult
from domain.tasks.agent_work import ProgressTooSoon
from domain.tasks.attempt_access import AttemptGrant
from projections.tasks import agent_heartbeats
from schemas import agent as wire

router = APIRouter(prefix="/v1", tags=["agent"], route_class=EdgeRoute)
OUTPUT_TYPES = ("text/plain", "application/octet-stream")
TOO_SOON: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "sooner than the progress interval allows: retry after Retry-After",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "required": True}},
        "content": PROBLEM_CONTENT,
    },
    **OVER,
}
OUTPUT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in OUTPUT_TYPES
        },
    }
}


def _reported(result: CommandResult) -> JSONResponse:
    task = result.entity
    body = {
        "task_id": task.id,
        "attempt": task.attempt,
        "status": task.status,
        "version": task.version,
    }
    return written(result, body)


def _context(request: Request, grant: AttemptGrant) -> CommandContext:
    """The attempt acting for this request: its correlation id, its Idempotency-Key's fence,
    and where its writes are noted (a request that wrote is never answered as failed)."""
    state = request.scope["state"]
    ctx = grant.context(state["request_id"], state.get("fence"))
    state["committed"] = ctx.committed
    return ctx


@router.post(ATTEMPT + "/progress", response_model=wire.Reported, responses=TOO_SOON)
def report_progress(
    body: wire.ProgressReport, grant: AttemptDep, services: ServicesDep, request: Request
) -> JSONResponse:
    """Say how far the attempt is (a message, a percent): shown on the task, recorded as an
    event; at most one per SIGNALYARD_AGENT_PROGRESS_INTERVAL_SECONDS (else 429)."""
    try:
        result = agents(services).report_progress(
            grant, body.message, body.percent, _context(request, grant)
        )
    except ProgressTooSoon as exc:
        raise ApiProblem(
            429,
            "Too many requests",
            exc.message,
            headers={"Retry-After": str(exc.retry_after)},
            errors=[{"field": "progress", "message": exc.message}],
        ) from None
    return _reported(result)


@router.post(ATTEMPT + "/heartbeat", response_model=wire.Heartbeat, responses=OVER)
async def heartbeat(grant: AttemptDep, services: ServicesDep) -> dict[str, Any]:
    """Say the agent is alive: kept outside the event log, shown on the task as
    last_agent_heartbeat."""
    await run_in_threadpool(agents(services).task, grant)  # its attempt is live
    async with services.read_pool.connection() as conn:
        at = await agent_heartbeats.beat(conn, grant.task_id, grant.attempt)
    return {"task_id": grant.task_id, "attempt": grant.attempt, "last_heartbeat": at}


@router.post(
    ATTEMPT + "/output",
    response_model=wire.OutputAppended,
    responses=OVER,
    openapi_extra=OUTPUT_BODY,
)
async def append_output(grant: AttemptDep, services: ServicesDep, request: Request) -> dict:
    """Append the body (text/plain or application/octet-stream) to the attempt's log, the
    one `GET …/tasks/{task}/logs` serves."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in OUTPUT_TYPES:
        raise ApiProblem(
            415, "Unsupported media type", "send text/plain or application/octet-stream"
        )
    chunk = await request.body()
    size = await run_in_threadpool(agents(services).append_output, grant, chunk)
    return {"attempt": grant.attempt, "appended": len(chunk), "size": size}


@router.post(ATTEMPT + ":complete", response_model=wire.Reported, responses=OVER)
def complete(
    body: wire.Completion, grant: AttemptDep, services: ServicesDep, request: Request
) -> JSONResponse:
    """End the attempt as succeeded with its result (the dispatcher's later report of the
    process's exit is then refused: the agent's word stands)."""
    return _reported(agents(services).complete(grant, body.result, _context(request, grant)))


@router.post(ATTEMPT + ":fail", response_model=wire.Reported, responses=OVER)
def fail(
    body: wire.Failure, grant: AttemptDep, services: ServicesDep, request: Request
) -> JSONResponse:
    """End the attempt as failed, saying why."""
    result = agents(services).fail(grant, body.message, body.details, _context(request, grant))
    return _reported(result)
