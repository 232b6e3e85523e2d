"""Skill commands: create (publishing version 1), publish a version, roll back, edit,
delete. Bundles arrive as JSON files, a zip body or a multipart upload."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ContextDep, IfMatchDep, OptionalIfMatchDep, ServicesDep
from api.edge import EdgeRoute
from api.routes.catalog_views import describe_skill, skill_path, version_body
from api.uploads import SkillCreateUpload, SkillVersionUpload, upload_body
from api.views import written
from domain.catalog.publishing import Published
from domain.core.context import CommandResult
from schemas import catalog as wire

router = APIRouter(prefix="/v1", tags=["skills"], route_class=EdgeRoute)
SKILLS = "/orgs/{org}/skills"
SKILL = SKILLS + "/{skill}"
# Requests that carry a bundle get the bundle-sized body limit (see api/app.py).
UPLOAD_PATHS = re.compile(r"^/v1/orgs/[^/]+/skills(?:/[^/]+/versions)?/?$")


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_skill(result.entity))


@router.post(SKILLS, status_code=201, response_model=wire.Skill, openapi_extra=upload_body(True))
def create_skill(org: str, upload: SkillCreateUpload, ctx: ContextDep, services: ServicesDep):
    """Create a skill from a bundle; it becomes version 1. Zip uploads pass the fields as
    query parameters (or form fields); name and description default to the front matter."""
    published = services.catalog.skills.create(
        ctx, org, files=upload.files, archive=upload.archive, **upload.fields
    )
    skill = published.result.entity
    return written(published.result, describe_skill(skill), skill_path(skill), 201)


def _version_written(published: Published) -> JSONResponse:
    skill = published.result.entity
    body = version_body("skill_id", skill, published.version)
    if not published.created:
        return written(published.result, body)
    location = f"{skill_path(skill)}/versions/{published.version['version_number']}"
    return written(published.result, body, location, 201)


@router.post(
    SKILL + "/versions",
    status_code=201,
    response_model=wire.SkillVersion,
    responses={200: {"model": wire.SkillVersion, "description": "An existing version"}},
    openapi_extra=upload_body(False),
)
def publish_skill_version(
    org: str,
    skill: str,
    upload: SkillVersionUpload,
    ctx: ContextDep,
    services: ServicesDep,
    version: OptionalIfMatchDep,
):
    """Publish a new version (201); content identical to an existing version is a no-op
    that returns that version (200)."""
    published = services.catalog.skills.publish(
        ctx, org, skill, files=upload.files, archive=upload.archive, expected_version=version
    )
    return _version_written(published)


@router.post(SKILL + ":rollback", response_model=wire.Skill)
def roll_back_skill(
    org: str,
    skill: str,
    body: wire.Rollback,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Make an older version current again (a new event; history is never rewritten)."""
    return _changed(services.catalog.skills.roll_back(ctx, org, skill, body.version, version))


@router.patch(SKILL, response_model=wire.Skill)
def update_skill(
    org: str,
    skill: str,
    body: wire.SkillPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a skill's name, slug, description or category (If-Match required)."""
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.catalog.skills.update(ctx, org, skill, changes, version))


@router.delete(SKILL, response_model=wire.Skill)
def delete_skill(org: str, skill: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep):
    """Soft-delete a skill (its versions stay in the history)."""
    return _changed(services.catalog.skills.set_deleted(ctx, org, skill, True, version))


@router.post(SKILL + ":undelete", response_model=wire.Skill)
def undelete_skill(
    org: str, skill: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted skill."""
    return _changed(services.catalog.skills.set_deleted(ctx, org, skill, False, version))
