"""Task queries: a project's tasks (filtered, paged), counts by status, one task, its
timeline and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import AsciiInt, ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.routes.tasks import PROJECT, TASK, TASKS
from api.views import found, history_entries
from projections.secrets.views import task_accesses
from projections.tasks.views import TaskFilter, tasks
from projections.tenancy.views import scopes
from schemas import common
from schemas import tasks as wire

router = APIRouter(prefix="/v1", tags=["tasks"], route_class=EdgeRoute)
Status = Annotated[
    str | None,
    Query(pattern="^(pending|queued|dispatched|running|succeeded|failed|cancelled|timed_out)$"),
]


async def task_filter(
    status: Status = None,
    agent_image: Annotated[str | None, Query(max_length=500)] = None,
    agent_definition: UUID | None = None,
    skill: Annotated[UUID | None, Query(description="tasks pinned to this skill")] = None,
    skill_version: Annotated[AsciiInt | None, Query(ge=1, description="with skill")] = None,
    dispatcher_id: Annotated[str | None, Query(max_length=200)] = None,
    runtime_target: UUID | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> TaskFilter:
    return TaskFilter(
        status,
        agent_image,
        agent_definition,
        skill,
        skill_version,
        dispatcher_id,
        runtime_target,
        created_after,
        created_before,
    )


FilterDep = Annotated[TaskFilter, Depends(task_filter)]


async def project_id_of(conn, viewer, org: str, team: str, ws: str, project: str) -> UUID:
    located = await scopes.get_scope(
        conn, viewer, org, team, ws, project, include_deleted_leaf=False
    )
    assert located.project is not None
    return located.project["guid"]


@router.get(TASKS, response_model=common.ListOf[wire.Task])
async def list_tasks(
    org: str,
    team: str,
    ws: str,
    project: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    filters: FilterDep,
):
    """A project's tasks, oldest first, by status, image, agent definition, skill (and
    version), dispatcher, runtime target and creation time."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    rows, token = await tasks.list_tasks(conn, project_id, filters, page)
    return {"items": rows, "next_page_token": token}


@router.get(PROJECT + "/task-counts", response_model=wire.TaskCounts)
async def count_tasks(
    org: str,
    team: str,
    ws: str,
    project: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    filters: FilterDep,
):
    """How many of a project's tasks are in each status (with the list's filters)."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    counts = await tasks.count_by_status(conn, project_id, filters)
    return {"counts": counts, "total": sum(counts.values())}


@router.get(TASK, response_model=wire.Task)
async def get_task(
    org: str, team: str, ws: str, project: str, task: str, conn: ReadConnDep, viewer: ViewerDep
) -> JSONResponse:
    """One task, as it is now, with the secret versions its attempts resolved."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    row = await tasks.get_task(conn, project_id, task)
    row = {**row, "secret_accesses": await task_accesses(conn, row["guid"])}
    return found(wire.Task.model_validate(row).model_dump(), row["version"])


@router.get(TASK + "/timeline", response_model=common.ListOf[wire.TimelineEntry])
async def task_timeline(
    org: str,
    team: str,
    ws: str,
    project: str,
    task: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
):
    """Every transition of a task in order: status, reason, attempt, dispatcher, actor."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    row = await tasks.get_task(conn, project_id, task)
    items, token = await tasks.timeline(conn, row["guid"], page)
    return {"items": items, "next_page_token": token}


@router.get(TASK + "/history", response_model=common.History)
async def task_history(
    org: str, team: str, ws: str, project: str, task: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of a task, from the event store."""
    entity, events = await run_in_threadpool(
        services.tasks.lifecycle.history, ctx, (org, team, ws, project), task
    )
    return {"guid": entity.id, "items": history_entries("Task", events)}
