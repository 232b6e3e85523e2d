"""Reads of the bus read model: an org's bus credentials, for anyone who may read the org."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.reading.paging import Page
from projections.reading.rows import fetch_one, fetch_page
from projections.reading.viewer import NotVisible

SCHEMA = sql.Identifier("rm_bus")
_COLUMNS = sql.SQL(
    "guid, organization_id, name, public_key, subject_scope, consumer, expires_at, "
    "revoked_at, version, created_position, created_at, updated_at, created_by, updated_by"
)


class BusCredentialsView:
    async def list_credentials(
        self, conn: AsyncConnection, org_id: UUID, page: Page
    ) -> tuple[list[dict], str | None]:
        query = sql.SQL(
            "SELECT {} FROM {}.bus_credentials WHERE organization_id = %s "
            "AND created_position > %s ORDER BY created_position LIMIT %s"
        ).format(_COLUMNS, SCHEMA)
        return await fetch_page(conn, query, [org_id, page.after], page)

    async def get_credential(self, conn: AsyncConnection, org_id: UUID, guid: UUID) -> dict:
        row = await fetch_one(
            conn,
            sql.SQL(
                "SELECT {} FROM {}.bus_credentials WHERE organization_id = %s AND guid = %s"
            ).format(_COLUMNS, SCHEMA),
            [org_id, guid],
        )
        if row is None:
            raise NotVisible("bus credential not found")
        return row


bus_credentials = BusCredentialsView()
