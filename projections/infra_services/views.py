"""Reads of infra services, with their current health from the liveness table."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from projections.infra_services.liveness import TABLE as LIVENESS
from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_one, fetch_page
from projections.reading.viewer import NotVisible

SERVICES = sql.Identifier("rm_infra_services", "services")
# Health: the log's (as of the last change), with the checker's counters when it has run.
_SELECT = sql.SQL(
    "SELECT s.*, coalesce(l.is_healthy, s.is_healthy) AS is_healthy,"
    " coalesce(l.consecutive_fails, s.consecutive_fails) AS consecutive_fails,"
    " l.last_checked_at, l.last_error FROM {} s LEFT JOIN {} l ON l.service_id = s.guid"
).format(SERVICES, LIVENESS)


class InfraServicesView:
    async def get_service(
        self, conn: AsyncConnection, org_id: UUID, ref: str, show_deleted: bool = False
    ) -> dict:
        guid = as_uuid(ref)
        column = sql.SQL("s.guid") if guid else sql.SQL("s.slug")
        row = await fetch_one(
            conn,
            sql.SQL("{} WHERE s.organization_id = %s AND {} = %s").format(_SELECT, column),
            [org_id, guid or ref],
        )
        if row is None or (row["deleted_at"] is not None and not show_deleted):
            raise NotVisible(f"infra service {ref!r} not found")
        return row

    async def list_services(
        self, conn: AsyncConnection, org_id: UUID, page: Page, show_deleted: bool
    ) -> tuple[list[dict], str | None]:
        query = sql.SQL(
            "{} WHERE s.organization_id = %s AND s.created_position > %s"
            " AND (%s OR s.deleted_at IS NULL) ORDER BY s.created_position LIMIT %s"
        ).format(_SELECT)
        return await fetch_page(conn, query, [org_id, page.after, show_deleted], page)


infra_services = InfraServicesView()
