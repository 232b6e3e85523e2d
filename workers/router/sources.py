"""Where the router reads from Postgres: an org's active routes (the routing read model) and,
for a re-drive, an event as the relay published it (the notification log)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from domain.routing.spec import RouteSpec
from projections.engine.base import TRACKING_TABLE
from projections.engine.log import EventLog
from projections.routing.views import SCHEMA, event_routes
from workers.relay.mapping import EntityNames, cloud_event


class ReadModelRoutes:
    """`RouteSource` on the routing read model (a pool with dict rows, autocommit)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self._tracking = sql.SQL("SELECT position FROM {}.{}").format(
            SCHEMA, sql.Identifier(TRACKING_TABLE)
        )

    async def active_routes(self, org_id: UUID) -> list[RouteSpec]:
        async with self.pool.connection() as conn:
            return await event_routes.active_routes(conn, org_id)

    async def position(self) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(self._tracking)
            row = await cur.fetchone()
        return int(row["position"]) if row else 0  # type: ignore[index,call-overload]


class LogEvents:
    """`EventSource` on the notification log, mapped as the relay maps it."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self._entities = EntityNames(log.first_event, size=1_000)

    async def event_at(self, position: int) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._read, position)

    def _read(self, position: int) -> dict[str, Any] | None:
        notification = self.log.get(position)
        if notification is None:
            return None
        event = self.log.decode(notification)
        return cloud_event(notification, event, self._entities.of(event))
