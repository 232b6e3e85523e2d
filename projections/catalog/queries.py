"""Reads of the catalog read model, filtered by viewer: an organization's catalog is
visible to its members only (another tenant's rows look exactly like missing rows);
platform tools are visible to every authenticated user."""

from __future__ import annotations

import re
from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page, next_token
from projections.reading.viewer import NotVisible, Viewer
from projections.tenancy.views import scopes

# ASCII digits only: str.isdigit() also takes "²" (int() then fails) and "١" (read as 1).
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
SCHEMA = sql.Identifier("rm_catalog")
VERSIONS = {"skills": ("skill_versions", "skill_id"), "configs": ("config_versions", "config_id")}
WHAT = {
    "skills": "skill",
    "configs": "config",
    "tools": "tool",
    "config_categories": "config category",
}


def _as_uuid(ref: str) -> UUID | None:
    try:
        return UUID(ref)
    except ValueError:
        return None


async def org_of(conn: AsyncConnection, viewer: Viewer, org: str) -> UUID:
    """The organization's guid, if the viewer may read inside it."""
    return await scopes.get_org_id(conn, viewer, org)


def _owner(org_id: UUID | None) -> tuple[sql.Composable, list]:
    if org_id is None:
        return sql.SQL("organization_id IS NULL"), []
    return sql.SQL("organization_id = %s"), [org_id]


async def get_entity(
    conn: AsyncConnection,
    table: str,
    org_id: UUID | None,
    ref: str,
    include_deleted: bool = False,
) -> dict:
    guid = _as_uuid(ref)
    owner, params = _owner(org_id)
    query = sql.SQL("SELECT * FROM {}.{} WHERE {} = %s AND {}").format(
        SCHEMA, sql.Identifier(table), sql.Identifier("guid" if guid else "slug"), owner
    )
    cur = await conn.execute(query, [guid or ref, *params])
    row = await cur.fetchone()
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        raise NotVisible(f"{WHAT[table]} {ref!r} not found")
    return row  # type: ignore[return-value]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_entities(
    conn: AsyncConnection,
    table: str,
    org_id: UUID | None,
    page: Page,
    show_deleted: bool = False,
    category: str | None = None,
    q: str | None = None,
) -> tuple[list[dict], str | None]:
    owner, params = _owner(org_id)
    where = [sql.SQL("created_position > %s"), owner]
    params = [page.after, *params]
    if not show_deleted:
        where.append(sql.SQL("deleted_at IS NULL"))
    if category is not None:
        where.append(sql.SQL("category = %s"))
        params.append(category)
    if q:
        where.append(sql.SQL("(name ILIKE %s OR slug ILIKE %s)"))
        params += [_like(q), _like(q)]
    query = sql.SQL("SELECT * FROM {}.{} WHERE {} ORDER BY created_position LIMIT %s").format(
        SCHEMA, sql.Identifier(table), sql.SQL(" AND ").join(where)
    )
    cur = await conn.execute(query, [*params, page.size + 1])
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)


def _with_current(row: dict, current_version: int) -> dict:
    return {**row, "is_current": row["version_number"] == current_version}


async def list_versions(
    conn: AsyncConnection, table: str, entity: dict, page: Page
) -> tuple[list[dict], str | None]:
    versions, key = VERSIONS[table]
    query = sql.SQL(
        "SELECT * FROM {}.{} WHERE {} = %s AND created_position > %s "
        "ORDER BY created_position LIMIT %s"
    ).format(SCHEMA, sql.Identifier(versions), sql.Identifier(key))
    cur = await conn.execute(query, [entity["guid"], page.after, page.size + 1])
    rows = list(await cur.fetchall())
    token = next_token(rows, page)
    return [_with_current(r, entity["current_version"]) for r in rows], token


async def get_version(conn: AsyncConnection, table: str, entity: dict, number: str) -> dict:
    """`number` is a version number or `latest` (the current version)."""
    what = f"{WHAT[table]} version {number}"
    if number == "latest":
        wanted = entity["current_version"]
    elif ASCII_NUMBER.fullmatch(number):
        wanted = int(number)
    else:
        raise NotVisible(f"{what} not found")
    versions, key = VERSIONS[table]
    query = sql.SQL("SELECT * FROM {}.{} WHERE {} = %s AND version_number = %s").format(
        SCHEMA, sql.Identifier(versions), sql.Identifier(key)
    )
    cur = await conn.execute(query, [entity["guid"], wanted])
    row = await cur.fetchone()
    if row is None:
        raise NotVisible(f"{what} not found")
    return _with_current(row, entity["current_version"])  # type: ignore[arg-type]
