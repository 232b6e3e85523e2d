"""Reads of the identity read model: a user sees itself, platform admins see everyone."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_one, fetch_page
from projections.reading.viewer import NotVisible, Viewer

SCHEMA = sql.Identifier("rm_identity")


class UsersView:
    async def get_user(self, conn: AsyncConnection, viewer: Viewer, ref: str) -> dict:
        guid = as_uuid(ref)
        column = sql.SQL("guid") if guid else sql.SQL("slug")
        row = await fetch_one(
            conn,
            sql.SQL("SELECT * FROM {}.users WHERE {} = %s").format(SCHEMA, column),
            [guid or ref],
        )
        if row is None or row["deleted_at"] is not None:
            raise NotVisible(f"user {ref!r} not found")
        if not (viewer.is_platform_admin or row["guid"] == viewer.user_id):
            raise NotVisible(f"user {ref!r} not found")
        return row

    async def list_users(
        self, conn: AsyncConnection, viewer: Viewer, page: Page, show_deleted: bool
    ) -> tuple[list[dict], str | None]:
        if not viewer.is_platform_admin:
            return [await self.get_user(conn, viewer, str(viewer.user_id))], None
        query = sql.SQL(
            "SELECT * FROM {}.users WHERE created_position > %s AND (%s OR deleted_at IS NULL) "
            "ORDER BY created_position LIMIT %s"
        ).format(SCHEMA)
        return await fetch_page(conn, query, [page.after, show_deleted], page)


class TokensView:
    """A user's API tokens, never their secrets (the read model holds none)."""

    async def list_tokens(
        self, conn: AsyncConnection, user_id: UUID, page: Page
    ) -> tuple[list[dict], str | None]:
        query = sql.SQL(
            "SELECT guid, user_id, name, expires_at, revoked_at, created_position, created_at, "
            "created_by FROM {}.tokens WHERE user_id = %s AND created_position > %s "
            "ORDER BY created_position LIMIT %s"
        ).format(SCHEMA)
        return await fetch_page(conn, query, [user_id, page.after], page)


users = UsersView()
tokens = TokensView()
