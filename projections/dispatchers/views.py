"""Reads of the dispatchers read model: dispatcher credentials, for platform admins."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page
from projections.reading.rows import fetch_one, fetch_page
from projections.reading.viewer import NotVisible

SCHEMA = sql.Identifier("rm_dispatchers")
_COLUMNS = sql.SQL(
    "guid, dispatcher_name, name, revoked_at, version, created_position, created_at, "
    "updated_at, created_by, updated_by"
)


class DispatcherCredentialsView:
    async def list_credentials(
        self, conn: AsyncConnection, page: Page
    ) -> tuple[list[dict], str | None]:
        query = sql.SQL(
            "SELECT {} FROM {}.dispatcher_credentials WHERE created_position > %s "
            "ORDER BY created_position LIMIT %s"
        ).format(_COLUMNS, SCHEMA)
        return await fetch_page(conn, query, [page.after], page)

    async def get_credential(self, conn: AsyncConnection, guid: UUID) -> dict:
        row = await fetch_one(
            conn,
            sql.SQL("SELECT {} FROM {}.dispatcher_credentials WHERE guid = %s").format(
                _COLUMNS, SCHEMA
            ),
            [guid],
        )
        if row is None:
            raise NotVisible("dispatcher credential not found")
        return row


dispatcher_credentials = DispatcherCredentialsView()
