"""Reads of the routing read model: an organization's routes (for the API, and the
enabled ones as RouteSpecs for the router), their versions, deliveries, dead letters."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection, sql

from domain.routing.event_route import spec_of
from domain.routing.spec import RouteSpec
from projections.catalog.views import VersionedView
from projections.reading.paging import Page
from projections.reading.rows import as_uuid, fetch_page
from projections.reading.viewer import NotVisible
from projections.routing import tables

SCHEMA = sql.Identifier("rm_routing")
Listed = tuple[list[dict], str | None]


class EventRouteView(VersionedView):
    def __init__(self) -> None:
        super().__init__(
            tables.ROUTES, "event route", "event_route_versions", "route_id", schema=SCHEMA
        )

    async def get_route(
        self, conn: AsyncConnection, org_id: UUID, ref: str, include_deleted: bool = False
    ) -> dict:
        return await self._get(conn, org_id, ref, include_deleted)

    async def list_routes(
        self,
        conn: AsyncConnection,
        org_id: UUID,
        page: Page,
        show_deleted: bool = False,
        q: str | None = None,
    ) -> Listed:
        return await self._list(conn, org_id, page, show_deleted, q=q)

    async def active_routes(self, conn: AsyncConnection, org_id: UUID) -> list[RouteSpec]:
        """What the router applies to the org's events: enabled, not deleted, each at its
        current version."""
        cur = await conn.execute(
            sql.SQL(
                "SELECT guid, current_version, organization_id, system, definition FROM {}.{}"
                " WHERE organization_id = %s AND deleted_at IS NULL AND current_version > 0"
                " AND (definition->>'enabled')::boolean ORDER BY created_position"
            ).format(SCHEMA, sql.Identifier(tables.ROUTES.table)),
            [org_id],
        )
        return [
            spec_of(
                r["guid"], r["current_version"], r["organization_id"], r["definition"], r["system"]
            )
            for r in await cur.fetchall()
        ]

    async def routes_changed_at(self, conn: AsyncConnection, org_id: UUID | None = None) -> int:
        """The log position of the last change to any route (of the org, if given): the
        router reloads `active_routes` when it moves."""
        where = sql.SQL("WHERE organization_id = %s") if org_id else sql.SQL("")
        cur = await conn.execute(
            sql.SQL("SELECT coalesce(max(changed_position), 0) AS at FROM {}.{} {}").format(
                SCHEMA, sql.Identifier(tables.ROUTES.table), where
            ),
            [org_id] if org_id else [],
        )
        row = await cur.fetchone()
        return int(row["at"]) if row else 0  # type: ignore[index,call-overload]


class DeliveriesView:
    async def list_deliveries(
        self, conn: AsyncConnection, route_id: UUID, page: Page, outcome: str | None = None
    ) -> Listed:
        where = [sql.SQL("route_id = %s"), sql.SQL("created_position > %s")]
        params: list = [route_id, page.after]
        if outcome is not None:
            where.append(sql.SQL("outcome = %s"))
            params.append(outcome)
        return await self._page(conn, where, params, page)

    async def list_dead_letters(self, conn: AsyncConnection, org_id: UUID, page: Page) -> Listed:
        where = [
            sql.SQL("organization_id = %s"),
            sql.SQL("created_position > %s"),
            sql.SQL("outcome = 'dead_lettered'"),
        ]
        return await self._page(conn, where, [org_id, page.after], page)

    async def get_delivery(self, conn: AsyncConnection, org_id: UUID, ref: str) -> dict:
        guid = as_uuid(ref)
        cur = await conn.execute(
            sql.SQL(
                "SELECT * FROM {}.route_deliveries WHERE guid = %s AND organization_id = %s"
            ).format(SCHEMA),
            [guid, org_id],
        )
        row = await cur.fetchone() if guid else None
        if row is None:
            raise NotVisible(f"delivery {ref!r} not found")
        return row  # type: ignore[return-value]

    async def _page(
        self, conn: AsyncConnection, where: list[sql.Composable], params: list, page: Page
    ) -> Listed:
        query = sql.SQL(
            "SELECT * FROM {}.route_deliveries WHERE {} ORDER BY created_position LIMIT %s"
        ).format(SCHEMA, sql.SQL(" AND ").join(where))
        return await fetch_page(conn, query, params, page)


event_routes = EventRouteView()
deliveries = DeliveriesView()
