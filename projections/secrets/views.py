"""Reads of the secrets read model, for a scope the caller was already allowed into."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from domain.core.slugs import slugify
from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_page
from projections.reading.viewer import NotVisible

SCHEMA = sql.Identifier("rm_secrets")
Listed = tuple[list[dict], str | None]
_IN_SCOPE = sql.SQL(
    "organization_id = %s AND team_id IS NOT DISTINCT FROM %s"
    " AND workspace_id IS NOT DISTINCT FROM %s"
)
ScopeIds = tuple[UUID, UUID | None, UUID | None]  # org, team, workspace


async def list_secrets(
    conn: AsyncConnection, scope: ScopeIds, page: Page, show_deleted: bool
) -> Listed:
    deleted = sql.SQL("") if show_deleted else sql.SQL(" AND deleted_at IS NULL")
    query = sql.SQL(
        "SELECT * FROM {}.secrets WHERE {}{} AND created_position > %s"
        " ORDER BY created_position LIMIT %s"
    ).format(SCHEMA, _IN_SCOPE, deleted)
    return await fetch_page(conn, query, [*scope, page.after], page)


async def get_secret(
    conn: AsyncConnection, scope: ScopeIds, ref: str, include_deleted: bool = False
) -> dict:
    guid = as_uuid(ref)
    column = sql.Identifier("guid" if guid else "slug")  # a name is found by its slug
    query = sql.SQL("SELECT * FROM {}.secrets WHERE {} AND {} = %s").format(
        SCHEMA, _IN_SCOPE, column
    )
    cur = await conn.execute(query, [*scope, guid or slugify(ref)])
    row = await cur.fetchone()
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        raise NotVisible(f"secret {ref!r} not found")
    return row  # type: ignore[return-value]


async def list_versions(conn: AsyncConnection, secret_id: UUID, page: Page) -> Listed:
    query = sql.SQL(
        "SELECT * FROM {}.secret_versions WHERE secret_id = %s AND created_position > %s"
        " ORDER BY created_position LIMIT %s"
    ).format(SCHEMA)
    return await fetch_page(conn, query, [secret_id, page.after], page)


async def list_accesses(conn: AsyncConnection, secret_id: UUID, page: Page) -> Listed:
    query = sql.SQL(
        "SELECT * FROM {}.secret_accesses WHERE secret_id = %s AND created_position > %s"
        " ORDER BY created_position LIMIT %s"
    ).format(SCHEMA)
    return await fetch_page(conn, query, [secret_id, page.after], page)


async def task_accesses(conn: AsyncConnection, task_id: UUID, limit: int = 500) -> list[dict]:
    """What a task's attempts resolved, attempt by attempt (a task declares at most 50)."""
    query = sql.SQL(
        "SELECT * FROM {}.secret_accesses WHERE task_id = %s"
        " ORDER BY attempt, created_position LIMIT %s"
    ).format(SCHEMA)
    cur = await conn.execute(query, [task_id, limit])
    return list(await cur.fetchall())
