"""Workflow instance commands: start (202: Temporal runs it), signal, approve, reject,
cancel, retry. Each is recorded on the instance and reaches its workflow by a system route."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.tasks import PROJECT
from api.routes.workflow_instance_views import describe_instance, instance_path
from api.views import written
from domain.core.context import CommandResult
from domain.core.errors import NotConfigured
from domain.workflows.instance_service import StartRequest, WorkflowInstances
from schemas import workflow_instances as wire

router = APIRouter(prefix="/v1", tags=["workflow instances"], route_class=EdgeRoute)
INSTANCES = PROJECT + "/workflow-instances"
INSTANCE = INSTANCES + "/{instance}"


def _instances(services: ServicesDep) -> WorkflowInstances:
    if services.workflow_instances is None:
        raise NotConfigured("workflow instances are not configured on this server")
    return services.workflow_instances


def _changed(result: CommandResult):
    return written(result, describe_instance(result.entity), status=202)


@router.post(INSTANCES, status_code=202, response_model=wire.WorkflowInstance)
def start_instance(
    org: str,
    team: str,
    ws: str,
    project: str,
    body: wire.InstanceStart,
    ctx: ContextDep,
    services: ServicesDep,
):
    """Start a workflow instance on a published template version (pinned now); its input
    context is checked against the template's input schema."""
    asked = StartRequest(**body.model_dump(exclude_none=True))
    result = _instances(services).start(ctx, (org, team, ws, project), asked)
    entity = result.entity
    return written(result, describe_instance(entity), instance_path(entity), 202)


@router.post(INSTANCE + ":signal", status_code=202, response_model=wire.WorkflowInstance)
def signal_instance(
    org: str,
    team: str,
    ws: str,
    project: str,
    instance: str,
    body: wire.InstanceSignal,
    ctx: ContextDep,
    services: ServicesDep,
):
    """Send the instance a named signal with a payload (a wait_for_event stage takes it)."""
    path = (org, team, ws, project)
    return _changed(_instances(services).signal(ctx, path, instance, body.name, body.payload))


@router.post(INSTANCE + ":approve", status_code=202, response_model=wire.WorkflowInstance)
def approve_instance(
    org: str,
    team: str,
    ws: str,
    project: str,
    instance: str,
    ctx: ContextDep,
    services: ServicesDep,
    body: wire.InstanceDecision | None = None,
):
    """Approve the approval stage the instance waits on (a role the stage allows)."""
    path, comment = (org, team, ws, project), body.comment if body else None
    return _changed(_instances(services).decide(ctx, path, instance, True, comment))


@router.post(INSTANCE + ":reject", status_code=202, response_model=wire.WorkflowInstance)
def reject_instance(
    org: str,
    team: str,
    ws: str,
    project: str,
    instance: str,
    ctx: ContextDep,
    services: ServicesDep,
    body: wire.InstanceDecision | None = None,
):
    """Reject the approval stage the instance waits on (a role the stage allows)."""
    path, comment = (org, team, ws, project), body.comment if body else None
    return _changed(_instances(services).decide(ctx, path, instance, False, comment))


@router.post(INSTANCE + ":cancel", status_code=202, response_model=wire.WorkflowInstance)
def cancel_instance(
    org: str,
    team: str,
    ws: str,
    project: str,
    instance: str,
    ctx: ContextDep,
    services: ServicesDep,
    body: wire.InstanceCancel | None = None,
):
    """Cancel the instance; the task its running stage waits on is cancelled too."""
    path, reason = (org, team, ws, project), body.reason if body else None
    return _changed(_instances(services).cancel(ctx, path, instance, reason))


@router.post(INSTANCE + ":retry", status_code=202, response_model=wire.WorkflowInstance)
def retry_instance(
    org: str,
    team: str,
    ws: str,
    project: str,
    instance: str,
    ctx: ContextDep,
    services: ServicesDep,
):
    """Run a failed instance again from the stage that failed (a new run; earlier stages'
    results are kept)."""
    return _changed(_instances(services).retry(ctx, (org, team, ws, project), instance))
