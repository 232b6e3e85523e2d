"""Workflow template queries: list, read (with its draft), versions (and `latest`), the
diff between two versions, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.routes.workflow_templates import TEMPLATE, TEMPLATES
from api.views import found, history_entries
from projections.tenancy.views import scopes
from projections.workflows.template_views import workflow_templates as view
from schemas import common
from schemas import workflow_templates as wire

router = APIRouter(prefix="/v1", tags=["workflow templates"], route_class=EdgeRoute)
VersionRef = Annotated[
    str, Path(max_length=12, description="a version number or 'latest' (the current version)")
]


async def _template(conn, viewer, org: str, ref: str, include_deleted: bool = False) -> dict:
    org_id = await scopes.get_org_id(conn, viewer, org)
    return await view.get_template(conn, org_id, ref, include_deleted)


@router.get(TEMPLATES, response_model=common.ListOf[wire.WorkflowTemplate])
async def list_workflow_templates(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=63)] = None,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """An organization's workflow templates, by category and/or searched by name."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await view.list_templates(
        conn, org_id, page, show_deleted, category=category, q=q
    )
    return {"items": rows, "next_page_token": token}


@router.get(TEMPLATE, response_model=wire.WorkflowTemplate)
async def get_workflow_template(
    org: str, template: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """One template: its draft, and the content of its current version."""
    row = await _template(conn, viewer, org, template, show_deleted)
    body = wire.WorkflowTemplate.model_validate(row).model_dump(mode="json")
    return found(body, row["version"])


@router.get(TEMPLATE + "/draft", response_model=wire.WorkflowTemplateDraft)
async def get_workflow_template_draft(
    org: str, template: str, conn: ReadConnDep, viewer: ViewerDep
) -> JSONResponse:
    """The draft alone, with the template's version as its ETag (for PUT/PATCH If-Match)."""
    row = await _template(conn, viewer, org, template)
    return found(row["draft"], row["version"])


@router.get(TEMPLATE + "/versions", response_model=common.ListOf[wire.WorkflowTemplateVersion])
async def list_workflow_template_versions(
    org: str, template: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep
):
    """The published versions, oldest first."""
    row = await _template(conn, viewer, org, template, include_deleted=True)
    items, token = await view.list_versions(conn, row, page)
    return {"items": items, "next_page_token": token}


@router.get(TEMPLATE + "/versions/{number}", response_model=wire.WorkflowTemplateVersion)
async def get_workflow_template_version(
    org: str, template: str, number: VersionRef, conn: ReadConnDep, viewer: ViewerDep
):
    """One version; `latest` is the current version."""
    row = await _template(conn, viewer, org, template, include_deleted=True)
    return await view.get_version(conn, row, number)


@router.get(TEMPLATE + "/diff", response_model=wire.WorkflowTemplateDiff)
async def diff_workflow_template_versions(
    org: str,
    template: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    from_: Annotated[str, Query(alias="from", max_length=10)],
    to: Annotated[str, Query(max_length=10, description="default: latest")] = "latest",
):
    """A JSON diff between two versions: [{op, path (JSON pointer), old, new}]."""
    row = await _template(conn, viewer, org, template, include_deleted=True)
    return {"template_id": row["guid"], **await view.diff(conn, row, from_, to)}


@router.get(TEMPLATE + "/history", response_model=common.History)
async def workflow_template_history(
    org: str, template: str, ctx: ContextDep, services: ServicesDep
):
    """Every event of a template."""
    entity, events = await run_in_threadpool(
        services.workflow_templates.history, ctx, org, template
    )
    return {"guid": entity.id, "items": history_entries("WorkflowTemplate", events)}
