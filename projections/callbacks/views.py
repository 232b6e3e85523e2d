"""Reads of callback deliveries: an organization's, by status; and the sender's due list."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql

from projections.reading.paging import Page
from projections.reading.rows import fetch_one, fetch_page
from projections.reading.viewer import NotVisible

SCHEMA = "rm_callbacks"
TABLE = sql.Identifier(SCHEMA, "deliveries")
STATUSES = ("scheduled", "delivered", "dead_lettered")


class DeliveriesView:
    async def list_deliveries(
        self, conn: AsyncConnection, org_id: UUID, page: Page, status: str | None = None
    ) -> tuple[list[dict], str | None]:
        query = sql.SQL(
            "SELECT * FROM {} WHERE organization_id = %s AND created_position > %s"
            " AND (%s::text IS NULL OR status = %s) ORDER BY created_position LIMIT %s"
        ).format(TABLE)
        return await fetch_page(conn, query, [org_id, page.after, status, status], page)

    async def get_delivery(self, conn: AsyncConnection, org_id: UUID, delivery_id: UUID) -> dict:
        row = await fetch_one(
            conn,
            sql.SQL("SELECT * FROM {} WHERE guid = %s AND organization_id = %s").format(TABLE),
            [delivery_id, org_id],
        )
        if row is None:
            raise NotVisible(f"callback delivery {delivery_id} not found")
        return row


def due_deliveries(conn: psycopg.Connection, now: datetime, limit: int) -> list[UUID]:
    """Pending deliveries whose next try is due, oldest due first (the sender re-checks
    each against its aggregate: this model may lag behind the log)."""
    rows = conn.execute(
        sql.SQL(
            "SELECT guid FROM {} WHERE due_at IS NOT NULL AND due_at <= %s ORDER BY due_at LIMIT %s"
        ).format(TABLE),
        (now, limit),
    ).fetchall()
    return [row[0] for row in rows]


deliveries = DeliveriesView()
