"""Agent definition commands: create (version 1), publish a spec, roll back, edit, delete.
Org owners and admins manage them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import (
    ContextDep,
    IfMatchDep,
    OptionalIfMatchDep,
    ServicesDep,
)
from api.edge import EdgeRoute
from api.routes.catalog_views import version_body
from api.routes.task_views import agent_definition_path, describe_agent_definition
from api.views import written
from domain.catalog.publishing import Published
from domain.core.context import CommandResult
from domain.infra.agent_spec import SPEC_FIELDS
from schemas import catalog
from schemas import infra as wire

router = APIRouter(prefix="/v1", tags=["agent definitions"], route_class=EdgeRoute)
DEFINITIONS = "/orgs/{org}/agent-definitions"
DEFINITION = DEFINITIONS + "/{definition}"


def _spec(body: wire.AgentSpecFields) -> dict:
    given = body.model_dump(exclude_none=True)
    return {k: v for k, v in given.items() if k in SPEC_FIELDS}


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_agent_definition(result.entity))


def _version(published: Published) -> dict:
    body = version_body("agent_definition_id", published.result.entity, published.version)
    body["spec"] = body.pop("content")
    return body


@router.post(DEFINITIONS, status_code=201, response_model=wire.AgentDefinition)
def create_agent_definition(
    org: str, body: wire.AgentDefinitionCreate, ctx: ContextDep, services: ServicesDep
):
    """Create an agent definition; its spec becomes version 1."""
    published = services.tasks.agent_definitions.create(
        ctx, org, body.name, _spec(body), body.slug, body.description, body.category
    )
    entity = published.result.entity
    path = agent_definition_path(entity)
    return written(published.result, describe_agent_definition(entity), path, 201)


@router.post(
    DEFINITION + "/versions",
    status_code=201,
    response_model=wire.AgentDefinitionVersion,
    responses={200: {"model": wire.AgentDefinitionVersion, "description": "An existing version"}},
)
def publish_agent_definition_version(
    org: str,
    definition: str,
    body: wire.AgentSpecFields,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Publish a new spec (201); a spec equal to an existing version's returns it (200)."""
    published = services.tasks.agent_definitions.publish(ctx, org, definition, _spec(body), version)
    if not published.created:
        return written(published.result, _version(published))
    number = published.version["version_number"]
    location = f"{agent_definition_path(published.result.entity)}/versions/{number}"
    return written(published.result, _version(published), location, 201)


@router.post(DEFINITION + ":rollback", response_model=wire.AgentDefinition)
def roll_back_agent_definition(
    org: str,
    definition: str,
    body: catalog.Rollback,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Make an older version current again; tasks already submitted keep their pin."""
    service = services.tasks.agent_definitions
    return _changed(service.roll_back(ctx, org, definition, body.version, version))


@router.patch(DEFINITION, response_model=wire.AgentDefinition)
def update_agent_definition(
    org: str,
    definition: str,
    body: wire.AgentDefinitionPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change the name, slug, description or category (If-Match required)."""
    changes = body.model_dump(exclude_unset=True)
    service = services.tasks.agent_definitions
    return _changed(service.update(ctx, org, definition, changes, version))


@router.delete(DEFINITION, response_model=wire.AgentDefinition)
def delete_agent_definition(
    org: str, definition: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete an agent definition (tasks pinned to it keep their pin)."""
    service = services.tasks.agent_definitions
    return _changed(service.set_deleted(ctx, org, definition, True, version))


@router.post(DEFINITION + ":undelete", response_model=wire.AgentDefinition)
def undelete_agent_definition(
    org: str, definition: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted agent definition."""
    service = services.tasks.agent_definitions
    return _changed(service.set_deleted(ctx, org, definition, False, version))
