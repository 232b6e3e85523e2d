"""Config commands (create with version 1, publish, roll back, edit, delete) and the
per-category JSON Schemas their content must satisfy."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep, IfMatchDep, OptionalIfMatchDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.catalog_views import (
    category_path,
    config_path,
    describe_category,
    describe_config,
    version_body,
)
from api.views import written
from domain.core.context import CommandResult
from schemas import catalog as wire

router = APIRouter(prefix="/v1", tags=["configs"], route_class=EdgeRoute)
CONFIGS = "/orgs/{org}/configs"
CONFIG = CONFIGS + "/{config}"
CATEGORY = "/orgs/{org}/config-categories/{category}"


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_config(result.entity))


@router.post(CONFIGS, status_code=201, response_model=wire.Config)
def create_config(org: str, body: wire.ConfigCreate, ctx: ContextDep, services: ServicesDep):
    """Create a config; its content becomes version 1."""
    published = services.catalog.configs.create(ctx, org, **body.model_dump())
    config = published.result.entity
    return written(published.result, describe_config(config), config_path(config), 201)


@router.post(
    CONFIG + "/versions",
    status_code=201,
    response_model=wire.ConfigVersion,
    responses={200: {"model": wire.ConfigVersion, "description": "An existing version"}},
)
def publish_config_version(
    org: str,
    config: str,
    body: wire.ConfigVersionCreate,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Publish new content (201); content equal to an existing version is a no-op that
    returns that version (200)."""
    published = services.catalog.configs.publish(ctx, org, config, body.content, version)
    entity = published.result.entity
    out = version_body("config_id", entity, published.version)
    if not published.created:
        return written(published.result, out)
    location = f"{config_path(entity)}/versions/{published.version['version_number']}"
    return written(published.result, out, location, 201)


@router.post(CONFIG + ":rollback", response_model=wire.Config)
def roll_back_config(
    org: str,
    config: str,
    body: wire.Rollback,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Make an older version current again (a new event; history is never rewritten)."""
    return _changed(services.catalog.configs.roll_back(ctx, org, config, body.version, version))


@router.patch(CONFIG, response_model=wire.Config)
def update_config(
    org: str,
    config: str,
    body: wire.ConfigPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a config's name, slug, description or category (If-Match required)."""
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.catalog.configs.update(ctx, org, config, changes, version))


@router.delete(CONFIG, response_model=wire.Config)
def delete_config(
    org: str, config: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete a config."""
    return _changed(services.catalog.configs.set_deleted(ctx, org, config, True, version))


@router.post(CONFIG + ":undelete", response_model=wire.Config)
def undelete_config(
    org: str, config: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted config."""
    return _changed(services.catalog.configs.set_deleted(ctx, org, config, False, version))


@router.put(
    CATEGORY,
    response_model=wire.ConfigCategory,
    responses={201: {"model": wire.ConfigCategory, "description": "Created"}},
)
def put_config_category(
    org: str,
    category: str,
    body: wire.ConfigCategoryPut,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Set the JSON Schema configs of this category must satisfy (If-Match to replace)."""
    result, created = services.catalog.categories.put(
        ctx, org, category, body.json_schema, body.description, version
    )
    entity = result.entity
    if created:
        return written(result, describe_category(entity), category_path(entity), 201)
    return written(result, describe_category(entity))


@router.delete(CATEGORY, response_model=wire.ConfigCategory)
def delete_config_category(
    org: str, category: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Remove the category's schema: its configs are no longer checked."""
    result = services.catalog.categories.delete(ctx, org, category, version)
    return written(result, describe_category(result.entity))
