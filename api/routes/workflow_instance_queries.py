"""Workflow instance queries: a project's instances (by template, status and time, paged),
one instance, and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from api.deps import PageDep, ReadConnDep, ViewerDep
from api.edge import EdgeRoute
from api.routes.task_queries import project_id_of
from api.routes.workflow_instances import INSTANCE, INSTANCES
from api.views import found
from projections.workflows.instance_views import InstanceFilter, workflow_instances
from schemas import common
from schemas import workflow_instances as wire

router = APIRouter(prefix="/v1", tags=["workflow instances"], route_class=EdgeRoute)
Status = Annotated[str | None, Query(pattern="^(pending|running|succeeded|failed|cancelled)$")]


async def instance_filter(
    template: Annotated[UUID | None, Query(description="instances of this template")] = None,
    status: Status = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> InstanceFilter:
    return InstanceFilter(template, status, created_after, created_before)


FilterDep = Annotated[InstanceFilter, Depends(instance_filter)]


@router.get(INSTANCES, response_model=common.ListOf[wire.WorkflowInstance])
async def list_instances(
    org: str,
    team: str,
    ws: str,
    project: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    filters: FilterDep,
):
    """A project's workflow instances, oldest first, by template, status and start time."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    rows, token = await workflow_instances.list_instances(conn, project_id, filters, page)
    return {"items": rows, "next_page_token": token}


@router.get(INSTANCE, response_model=wire.WorkflowInstance)
async def get_instance(
    org: str, team: str, ws: str, project: str, instance: str, conn: ReadConnDep, viewer: ViewerDep
) -> JSONResponse:
    """One workflow instance, as it is now."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    row = await workflow_instances.get_instance(conn, project_id, instance)
    return found(wire.WorkflowInstance.model_validate(row).model_dump(mode="json"), row["version"])


@router.get(INSTANCE + "/timeline", response_model=wire.InstanceTimeline)
async def instance_timeline(
    org: str, team: str, ws: str, project: str, instance: str, conn: ReadConnDep, viewer: ViewerDep
):
    """What happened to an instance, in time order: its stages and their attempts, each
    stage task's status, the commands people sent, and every signal routed to it (by which
    route, for which event)."""
    project_id = await project_id_of(conn, viewer, org, team, ws, project)
    row = await workflow_instances.get_instance(conn, project_id, instance)
    return {
        "instance": row,
        "executions": await workflow_instances.executions(conn, row["guid"]),
        "entries": await workflow_instances.timeline(conn, row),
    }
