"""Workflow template commands: create (a draft), replace or patch the draft (If-Match),
publish it as the next version, roll back, edit, delete. Owners, admins and maintainers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep, IfMatchDep, OptionalIfMatchDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.catalog_views import org_path, version_body
from api.views import aggregate_row, written
from domain.core.context import CommandResult
from domain.workflows.template import WorkflowTemplate
from schemas import catalog
from schemas import workflow_templates as wire

router = APIRouter(prefix="/v1", tags=["workflow templates"], route_class=EdgeRoute)
TEMPLATES = "/orgs/{org}/workflow-templates"
TEMPLATE = TEMPLATES + "/{template}"


def template_path(template: WorkflowTemplate) -> str:
    return f"{org_path(template.organization_id)}/workflow-templates/{template.id}"


def describe_template(template: WorkflowTemplate) -> dict[str, Any]:
    row = aggregate_row(
        template,
        "organization_id",
        "category",
        "is_published",
        "current_version",
        "latest_version",
        "default_config",
        "content",
        "draft",
    )
    row["content_hash"] = template.current["content_hash"] if template.is_published else None
    return row


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_template(result.entity))


@router.post(TEMPLATES, status_code=201, response_model=wire.WorkflowTemplate)
def create_workflow_template(
    org: str, body: wire.WorkflowTemplateCreate, ctx: ContextDep, services: ServicesDep
):
    """Create a template with a draft (optional); nothing is published yet."""
    draft = body.draft.model_dump() if body.draft is not None else None
    result = services.workflow_templates.create(
        ctx, org, body.name, body.slug, body.description, body.category, draft
    )
    template = result.entity
    return written(result, describe_template(template), template_path(template), 201)


@router.put(TEMPLATE + "/draft", response_model=wire.WorkflowTemplate)
def replace_workflow_template_draft(
    org: str,
    template: str,
    body: wire.WorkflowTemplateDraft,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Replace the draft (If-Match required); checked in full only at publish."""
    service = services.workflow_templates
    return _changed(service.replace_draft(ctx, org, template, body.model_dump(), version))


@router.patch(TEMPLATE + "/draft", response_model=wire.WorkflowTemplate)
def patch_workflow_template_draft(
    org: str,
    template: str,
    body: wire.WorkflowTemplateDraftPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change the draft by a JSON Merge Patch (If-Match required): null removes a field,
    `stages` is replaced whole."""
    patch = body.model_dump(exclude_unset=True)
    service = services.workflow_templates
    return _changed(service.patch_draft(ctx, org, template, patch, version))


@router.post(
    TEMPLATE + "/versions",
    status_code=201,
    response_model=wire.WorkflowTemplateVersion,
    responses={200: {"model": wire.WorkflowTemplateVersion, "description": "An existing version"}},
)
def publish_workflow_template(
    org: str, template: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Publish the draft as the next immutable version (201); a 422 names the stage and
    field at fault; a draft equal to an existing version returns that version (200).
    If-Match: publish only the draft of that version of the template."""
    published = services.workflow_templates.publish(ctx, org, template, version)
    entity = published.result.entity
    out = version_body("template_id", entity, published.version)
    if not published.created:
        return written(published.result, out)
    location = f"{template_path(entity)}/versions/{published.version['version_number']}"
    return written(published.result, out, location, 201)


@router.post(TEMPLATE + ":rollback", response_model=wire.WorkflowTemplate)
def roll_back_workflow_template(
    org: str,
    template: str,
    body: catalog.Rollback,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Make an older version current again; instances keep the version they started on."""
    service = services.workflow_templates
    return _changed(service.roll_back(ctx, org, template, body.version, version))


@router.patch(TEMPLATE, response_model=wire.WorkflowTemplate)
def update_workflow_template(
    org: str,
    template: str,
    body: wire.WorkflowTemplatePatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change the name, slug, description or category (If-Match required)."""
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.workflow_templates.update(ctx, org, template, changes, version))


@router.delete(TEMPLATE, response_model=wire.WorkflowTemplate)
def delete_workflow_template(
    org: str, template: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete a template (its versions stay readable by the instances that pin them)."""
    service = services.workflow_templates
    return _changed(service.set_deleted(ctx, org, template, True, version))


@router.post(TEMPLATE + ":undelete", response_model=wire.WorkflowTemplate)
def undelete_workflow_template(
    org: str, template: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted template."""
    service = services.workflow_templates
    return _changed(service.set_deleted(ctx, org, template, False, version))
