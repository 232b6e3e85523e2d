"""Reads of the identity read model: a user sees itself, platform admins see everyone."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page, next_token
from projections.reading.viewer import NotVisible, Viewer

SCHEMA = sql.Identifier("rm_identity")


async def get_user(conn: AsyncConnection, viewer: Viewer, ref: str) -> dict:
    try:
        guid: UUID | None = UUID(ref)
    except ValueError:
        guid = None
    column = sql.SQL("guid") if guid else sql.SQL("slug")
    cur = await conn.execute(
        sql.SQL("SELECT * FROM {}.users WHERE {} = %s").format(SCHEMA, column), [guid or ref]
    )
    row = await cur.fetchone()
    if row is None or row["deleted_at"] is not None:
        raise NotVisible(f"user {ref!r} not found")
    if not (viewer.is_platform_admin or row["guid"] == viewer.user_id):
        raise NotVisible(f"user {ref!r} not found")
    return row  # type: ignore[return-value]


async def list_users(
    conn: AsyncConnection, viewer: Viewer, page: Page, show_deleted: bool
) -> tuple[list[dict], str | None]:
    if not viewer.is_platform_admin:
        rows = [await get_user(conn, viewer, str(viewer.user_id))]
        return rows, None
    cur = await conn.execute(
        sql.SQL(
            "SELECT * FROM {}.users WHERE created_position > %s AND (%s OR deleted_at IS NULL) "
            "ORDER BY created_position LIMIT %s"
        ).format(SCHEMA),
        [page.after, show_deleted, page.size + 1],
    )
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)


async def list_tokens(
    conn: AsyncConnection, user_id: UUID, page: Page
) -> tuple[list[dict], str | None]:
    cur = await conn.execute(
        sql.SQL(
            "SELECT guid, user_id, name, expires_at, revoked_at, created_position, created_at, "
            "created_by FROM {}.tokens WHERE user_id = %s AND created_position > %s "
            "ORDER BY created_position LIMIT %s"
        ).format(SCHEMA),
        [user_id, page.after, page.size + 1],
    )
    rows = list(await cur.fetchall())
    return rows, next_token(rows, page)
