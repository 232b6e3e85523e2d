"""One routed signal to Temporal, deduplicated where the effect happens: the server keeps the
request id of every signal a run has received and drops a repeat, so the request id is the
delivery id (`domain.routing.delivery.delivery_id`: uuid5 of route id and event id), and a
redelivered event is signalled once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from temporalio.api.common.v1 import Header, Payloads, WorkflowExecution, WorkflowType
from temporalio.api.enums.v1 import WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    SignalWithStartWorkflowExecutionRequest,
    SignalWorkflowExecutionRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

from workers.router.classify import classify_rpc_error, is_unreachable
from workers.router.outcome import Outcome, OutcomeKind

Action = Literal["signal", "signal_with_start"]
RPC_TIMEOUT = timedelta(seconds=5)


@dataclass(frozen=True)
class SignalTarget:
    delivery_id: UUID
    workflow_id: str
    signal_name: str
    payload: Any
    action: Action = "signal"
    workflow_type: str | None = None  # signal_with_start only
    task_queue: str | None = None  # signal_with_start only
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. route and event ids

    @property
    def request_id(self) -> str:
        return str(self.delivery_id)


async def deliver(client: Client, target: SignalTarget) -> Outcome:
    """One attempt, no retries: the caller decides when to try a transient outcome again."""
    try:
        payloads = Payloads(payloads=await client.data_converter.encode([target.payload]))
        header = await _header(client, target.headers)
    except Exception as exc:  # the converter raises whatever the value's type raises
        return Outcome(OutcomeKind.PAYLOAD_ERROR, f"cannot encode the payload: {exc}")
    try:
        if target.action == "signal_with_start":
            return await _signal_with_start(client, target, payloads, header)
        await _signal(client, target, payloads, header)
        return Outcome(OutcomeKind.DELIVERED)
    except RPCError as exc:
        return await classify_rpc_error(client, target.workflow_id, target.request_id, exc)
    except Exception as exc:
        if is_unreachable(exc):
            return Outcome(OutcomeKind.UNAVAILABLE, str(exc))
        raise


async def _signal(client: Client, target: SignalTarget, payloads: Payloads, header: Header) -> None:
    request = SignalWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=target.workflow_id),
        signal_name=target.signal_name,
        input=payloads,
        header=header,
        identity=client.identity,
        request_id=target.request_id,
    )
    await client.workflow_service.signal_workflow_execution(
        request, retry=False, timeout=RPC_TIMEOUT
    )


async def _signal_with_start(
    client: Client, target: SignalTarget, payloads: Payloads, header: Header
) -> Outcome:
    if not target.workflow_type or not target.task_queue:
        return Outcome(OutcomeKind.REJECTED, "signal_with_start needs workflow_type and task_queue")
    # The request id dedupes the signal into a running run and the start of a new one.
    # REJECT_DUPLICATE: a closed run is never followed by a second one started by the same
    # routed event (its repeat would otherwise start and signal a fresh run).
    request = SignalWithStartWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_id=target.workflow_id,
        workflow_type=WorkflowType(name=target.workflow_type),
        task_queue=TaskQueue(name=target.task_queue),
        signal_name=target.signal_name,
        signal_input=payloads,
        header=header,
        identity=client.identity,
        request_id=target.request_id,
        workflow_id_conflict_policy=WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
        workflow_id_reuse_policy=WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
    )
    response = await client.workflow_service.signal_with_start_workflow_execution(
        request, retry=False, timeout=RPC_TIMEOUT
    )
    return Outcome(OutcomeKind.DELIVERED, run_id=response.run_id, started=response.started)


async def _header(client: Client, values: Mapping[str, str]) -> Header:
    converter = client.data_converter.payload_converter
    return Header(fields={k: converter.to_payloads([v])[0] for k, v in values.items()})
