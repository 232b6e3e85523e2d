"""Skill queries: list and read skills, their versions, bundle downloads, diffs, history."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.views import found, history_entries
from domain.catalog.blobs import BlobMissing, BlobStore
from domain.catalog.bundle import unpack
from domain.catalog.diff import diff_bundles
from domain.catalog.front_matter import parse_skill_md
from projections.catalog.views import skills
from projections.tenancy.views import scopes
from schemas import catalog as wire
from schemas import common

log = logging.getLogger("signalyard.api")
router = APIRouter(prefix="/v1", tags=["skills"], route_class=EdgeRoute)
SKILLS = "/orgs/{org}/skills"
SKILL = SKILLS + "/{skill}"
VersionRef = Annotated[
    str, Path(max_length=12, description="a version number or 'latest' (the current version)")
]


async def _skill(conn, viewer, org: str, skill: str, include_deleted: bool = False) -> dict:
    org_id = await scopes.get_org_id(conn, viewer, org)
    return await skills.get_skill(conn, org_id, skill, include_deleted)


def _instructions(blobs: BlobStore, storage_ref: str) -> str | None:
    try:
        files = unpack(blobs.get(storage_ref))
    except BlobMissing:
        log.error("skill bundle %s is missing from the blob store", storage_ref)
        return None
    return parse_skill_md(files["SKILL.md"].decode("utf-8")).instructions


@router.get(SKILLS, response_model=common.ListOf[wire.Skill])
async def list_skills(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=63)] = None,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """List an organization's skills, by category and/or searched by name."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await skills.list_skills(conn, org_id, page, show_deleted, category=category, q=q)
    return {"items": rows, "next_page_token": token}


@router.get(SKILL, response_model=wire.Skill)
async def get_skill(
    org: str,
    skill: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    services: ServicesDep,
    show_deleted: bool = False,
) -> JSONResponse:
    """Read one skill, with the instructions of its current version."""
    row = await _skill(conn, viewer, org, skill, show_deleted)
    instructions = None
    if row["storage_ref"]:
        instructions = await run_in_threadpool(
            _instructions, services.catalog.blobs, row["storage_ref"]
        )
    body = wire.Skill.model_validate({**row, "instructions": instructions}).model_dump()
    return found(body, row["version"])


@router.get(SKILL + "/versions", response_model=common.ListOf[wire.SkillVersion])
async def list_skill_versions(
    org: str, skill: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep
):
    """The versions of a skill, oldest first."""
    row = await _skill(conn, viewer, org, skill)
    items, token = await skills.list_versions(conn, row, page)
    return {"items": items, "next_page_token": token}


@router.get(SKILL + "/versions/{number}", response_model=wire.SkillVersion)
async def get_skill_version(
    org: str, skill: str, number: VersionRef, conn: ReadConnDep, viewer: ViewerDep
):
    """One version of a skill; `latest` is the current version."""
    row = await _skill(conn, viewer, org, skill)
    return await skills.get_version(conn, row, number)


@router.get(
    SKILL + "/versions/{number}/bundle",
    response_class=Response,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the bundle",
        }
    },
)
async def download_skill_bundle(
    org: str,
    skill: str,
    number: VersionRef,
    conn: ReadConnDep,
    viewer: ViewerDep,
    services: ServicesDep,
) -> Response:
    """The version's bundle as a zip: the same bytes every time (its ref is their hash)."""
    row = await _skill(conn, viewer, org, skill)
    version = await skills.get_version(conn, row, number)
    data = await run_in_threadpool(services.catalog.blobs.get, version["storage_ref"])
    filename = f"{row['slug']}-v{version['version_number']}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "ETag": f'"{version["storage_ref"]}"',
            "X-Content-Hash": version["content_hash"],
        },
    )


def _diff(blobs: BlobStore, old_ref: str, new_ref: str) -> dict:
    return diff_bundles(unpack(blobs.get(old_ref)), unpack(blobs.get(new_ref)))


@router.get(SKILL + "/diff", response_model=wire.SkillDiff)
async def diff_skill_versions(
    org: str,
    skill: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    services: ServicesDep,
    from_: Annotated[str, Query(alias="from", max_length=10)],
    to: Annotated[str, Query(max_length=10, description="default: latest")] = "latest",
):
    """Files added, removed and changed between two versions, with unified text diffs."""
    row = await _skill(conn, viewer, org, skill)
    old = await skills.get_version(conn, row, from_)
    new = await skills.get_version(conn, row, to)
    changes = await run_in_threadpool(
        _diff, services.catalog.blobs, old["storage_ref"], new["storage_ref"]
    )
    return {
        "skill_id": row["guid"],
        "from_version": old["version_number"],
        "to_version": new["version_number"],
        **changes,
    }


@router.get(SKILL + "/history", response_model=common.History)
async def skill_history(org: str, skill: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a skill: created, versions published, rollbacks, edits, deletes."""
    entity, events = await run_in_threadpool(services.catalog.skills.history, ctx, org, skill)
    return {"guid": entity.id, "items": history_entries("Skill", events)}
