"""Task commands: submit (202: it runs asynchronously), cancel, retry."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.task_views import describe_task, task_path
from api.views import written
from domain.core.context import CommandResult
from domain.tasks.submit import Submission
from schemas import tasks as wire

router = APIRouter(prefix="/v1", tags=["tasks"], route_class=EdgeRoute)
PROJECT = "/orgs/{org}/teams/{team}/workspaces/{ws}/projects/{project}"
TASKS = PROJECT + "/tasks"
TASK = TASKS + "/{task}"


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_task(result.entity))


@router.post(TASKS, status_code=202, response_model=wire.Task)
def submit_task(
    org: str,
    team: str,
    ws: str,
    project: str,
    body: wire.TaskSubmit,
    ctx: ContextDep,
    services: ServicesDep,
):
    """Submit a task: its skills, configs, tools and agent definition are pinned to versions
    and its runtime target resolved now; it is queued for a dispatcher."""
    asked = Submission(**body.model_dump(exclude_none=True, by_alias=True))
    result = services.tasks.submit(ctx, (org, team, ws, project), asked)
    return written(result, describe_task(result.entity), task_path(result.entity), 202)


@router.post(TASK + ":cancel", response_model=wire.Task)
def cancel_task(
    org: str,
    team: str,
    ws: str,
    project: str,
    task: str,
    ctx: ContextDep,
    services: ServicesDep,
    body: wire.TaskAction | None = None,
):
    """Cancel a task: at once if not yet dispatched; a live one is stopped by its runtime
    (cancel_requested, then cancelled)."""
    reason = body.reason if body else None
    path = (org, team, ws, project)
    return _changed(services.tasks.lifecycle.cancel(ctx, path, task, reason))


@router.post(TASK + ":retry", response_model=wire.Task)
def retry_task(
    org: str,
    team: str,
    ws: str,
    project: str,
    task: str,
    ctx: ContextDep,
    services: ServicesDep,
    body: wire.TaskAction | None = None,
):
    """Run a failed, cancelled or timed-out task again, as a new attempt."""
    reason = body.reason if body else None
    path = (org, team, ws, project)
    return _changed(services.tasks.lifecycle.retry(ctx, path, task, reason))
