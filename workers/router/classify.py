"""Turn what Temporal answered a signal with into an outcome. A refusal because the run has
closed may hide an earlier attempt that did land (the router died before recording it): the
closed run's history says whether it received a signal with this request id."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio.api.errordetails.v1 import (
    NamespaceNotFoundFailure,
    WorkflowExecutionAlreadyStartedFailure,
)
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from workers.router.outcome import Outcome, OutcomeKind

_T = TypeVar("_T")
LOOKUP_TIMEOUT = timedelta(seconds=5)
# Worth another attempt later: the server is away, overloaded, slow, or not ready for us.
TRANSIENT = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.INTERNAL,
    RPCStatusCode.UNKNOWN,
    RPCStatusCode.UNAUTHENTICATED,  # credentials are fixed by an operator, not by the event
    RPCStatusCode.PERMISSION_DENIED,
}


def is_unreachable(exc: BaseException) -> bool:
    """The lazy client could not (re)connect, or a call timed out on our side."""
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return isinstance(exc, RuntimeError) and "connect" in str(exc).lower()


async def classify_rpc_error(
    client: Client, workflow_id: str, request_id: str, exc: RPCError
) -> Outcome:
    try:
        return await _classify(client, workflow_id, request_id, exc)
    except RPCError as lookup:  # the look-up itself failed: judge by its error
        if lookup.status in TRANSIENT:
            return Outcome(OutcomeKind.UNAVAILABLE, lookup.message)
        return Outcome(OutcomeKind.REJECTED, f"{exc.message} (then: {lookup.message})")
    except Exception as lookup:
        if is_unreachable(lookup):
            return Outcome(OutcomeKind.UNAVAILABLE, str(lookup))
        raise


async def _classify(client: Client, workflow_id: str, request_id: str, exc: RPCError) -> Outcome:
    if exc.status in TRANSIENT or _detail(exc, NamespaceNotFoundFailure) is not None:
        # A missing namespace is a deployment mistake an operator fixes: keep the events.
        return Outcome(OutcomeKind.UNAVAILABLE, exc.message)
    if exc.status == RPCStatusCode.INVALID_ARGUMENT:
        return Outcome(OutcomeKind.PAYLOAD_ERROR, exc.message)
    if exc.status == RPCStatusCode.ALREADY_EXISTS:  # signal_with_start onto a closed run
        started = _detail(exc, WorkflowExecutionAlreadyStartedFailure)
        if started is not None and started.start_request_id == request_id:
            return Outcome(OutcomeKind.DUPLICATE, "this delivery started the run", started.run_id)
        return await _closed(client, workflow_id, request_id, exc.message)
    if exc.status == RPCStatusCode.NOT_FOUND:
        return await _closed(client, workflow_id, request_id, exc.message)
    return Outcome(OutcomeKind.REJECTED, exc.message)


async def _closed(client: Client, workflow_id: str, request_id: str, message: str) -> Outcome:
    handle = client.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe(rpc_timeout=LOOKUP_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return Outcome(OutcomeKind.NO_SUCH_WORKFLOW, message)
        raise
    if description.status == WorkflowExecutionStatus.RUNNING:
        # It started between our call and the look-up: a later attempt will reach it.
        return Outcome(OutcomeKind.UNAVAILABLE, f"{message}; it is running now")
    async for event in handle.fetch_history_events(rpc_timeout=LOOKUP_TIMEOUT):
        if event.workflow_execution_signaled_event_attributes.request_id == request_id:
            return Outcome(OutcomeKind.DUPLICATE, "the closed run had it", description.run_id)
    status = description.status.name.lower() if description.status else "closed"
    return Outcome(OutcomeKind.WORKFLOW_CLOSED, f"{message} ({status})", description.run_id)


def _detail(exc: RPCError, kind: type[_T]) -> _T | None:
    for any_detail in exc.grpc_status.details:
        if any_detail.Is(kind.DESCRIPTOR):  # type: ignore[attr-defined]
            found = kind()
            any_detail.Unpack(found)  # type: ignore[arg-type]
            return found
    return None
