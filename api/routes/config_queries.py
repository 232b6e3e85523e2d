"""Config queries: configs, their versions and diffs, category schemas, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.views import found, history_entries
from projections.catalog.views import config_categories, configs
from projections.tenancy.views import scopes
from schemas import catalog as wire
from schemas import common

router = APIRouter(prefix="/v1", tags=["configs"], route_class=EdgeRoute)
CONFIGS = "/orgs/{org}/configs"
CONFIG = CONFIGS + "/{config}"
CATEGORIES = "/orgs/{org}/config-categories"
CATEGORY = CATEGORIES + "/{category}"
VersionRef = Annotated[
    str, Path(max_length=12, description="a version number or 'latest' (the current version)")
]


async def _config(conn, viewer, org: str, config: str, include_deleted: bool = False) -> dict:
    org_id = await scopes.get_org_id(conn, viewer, org)
    return await configs.get_config(conn, org_id, config, include_deleted)


@router.get(CONFIGS, response_model=common.ListOf[wire.Config])
async def list_configs(
    org: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=63)] = None,
    q: Annotated[str | None, Query(max_length=200, description="search by name")] = None,
    show_deleted: bool = False,
):
    """List an organization's configs, by category and/or searched by name."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await configs.list_configs(
        conn, org_id, page, show_deleted, category=category, q=q
    )
    return {"items": rows, "next_page_token": token}


@router.get(CONFIG, response_model=wire.Config)
async def get_config(
    org: str, config: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """Read one config, with the content of its current version."""
    row = await _config(conn, viewer, org, config, show_deleted)
    return found(wire.Config.model_validate(row).model_dump(), row["version"])


@router.get(CONFIG + "/versions", response_model=common.ListOf[wire.ConfigVersion])
async def list_config_versions(
    org: str, config: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep
):
    """The versions of a config, oldest first."""
    row = await _config(conn, viewer, org, config)
    items, token = await configs.list_versions(conn, row, page)
    return {"items": items, "next_page_token": token}


@router.get(CONFIG + "/versions/{number}", response_model=wire.ConfigVersion)
async def get_config_version(
    org: str, config: str, number: VersionRef, conn: ReadConnDep, viewer: ViewerDep
):
    """One version of a config; `latest` is the current version."""
    row = await _config(conn, viewer, org, config)
    return await configs.get_version(conn, row, number)


@router.get(CONFIG + "/diff", response_model=wire.ConfigDiff)
async def diff_config_versions(
    org: str,
    config: str,
    conn: ReadConnDep,
    viewer: ViewerDep,
    from_: Annotated[str, Query(alias="from", max_length=10)],
    to: Annotated[str, Query(max_length=10, description="default: latest")] = "latest",
):
    """A JSON diff between two versions: [{op, path (JSON pointer), old, new}]."""
    row = await _config(conn, viewer, org, config)
    return {"config_id": row["guid"], **await configs.diff(conn, row, from_, to)}


@router.get(CONFIG + "/history", response_model=common.History)
async def config_history(org: str, config: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a config."""
    entity, events = await run_in_threadpool(services.catalog.configs.history, ctx, org, config)
    return {"guid": entity.id, "items": history_entries("Config", events)}


@router.get(CATEGORIES, response_model=common.ListOf[wire.ConfigCategory])
async def list_config_categories(
    org: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """The config categories of an organization that have a schema."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    rows, token = await config_categories.list_categories(conn, org_id, page, show_deleted)
    return {"items": rows, "next_page_token": token}


@router.get(CATEGORY, response_model=wire.ConfigCategory)
async def get_config_category(
    org: str, category: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """A category's JSON Schema."""
    org_id = await scopes.get_org_id(conn, viewer, org)
    row = await config_categories.get_category(conn, org_id, category, show_deleted)
    body = wire.ConfigCategory.model_validate(row).model_dump(by_alias=True)
    return found(body, row["version"])


@router.get(CATEGORY + "/history", response_model=common.History)
async def config_category_history(org: str, category: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a config category."""
    entity, events = await run_in_threadpool(
        services.catalog.categories.history, ctx, org, category
    )
    return {"guid": entity.id, "items": history_entries("ConfigCategory", events)}
