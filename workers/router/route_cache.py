"""Each organization's active routes, read once and kept until a route of that org changes.

The change reaches the router as the route's own event on the bus; the read model it
reloads from may not have applied that event yet, so the reload first waits until the read
model has reached the event's position (otherwise the stale routes would be cached again).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol
from uuid import UUID

from domain.routing.spec import RouteSpec


class RouteSource(Protocol):
    async def active_routes(self, org_id: UUID) -> list[RouteSpec]: ...

    async def position(self) -> int:
        """How far in the log the routes read model has got."""
        ...


class RoutesNotReady(Exception):
    """The read model did not reach a route change in time: try the event again later."""


class RouteCache:
    def __init__(self, source: RouteSource, *, wait_seconds: float = 10.0) -> None:
        self.source = source
        self.wait_seconds = wait_seconds
        self._routes: dict[UUID, list[RouteSpec]] = {}
        self._needs: dict[UUID, int] = {}  # org -> log position the next read must include

    async def routes(self, org_id: UUID) -> list[RouteSpec]:
        cached = self._routes.get(org_id)
        if cached is not None:
            return cached
        needed = self._needs.get(org_id, 0)
        if needed:
            await self._wait_for(needed)
        routes = await self.source.active_routes(org_id)
        self._routes[org_id] = routes
        self._needs.pop(org_id, None)
        return routes

    def changed(self, org_id: UUID, position: int | None) -> None:
        """A route of `org_id` changed at `position` (None: unknown, reload from now)."""
        self._routes.pop(org_id, None)
        self._needs[org_id] = max(self._needs.get(org_id, 0), position or 0)

    async def _wait_for(self, position: int) -> None:
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.005
        while await self.source.position() < position:
            if time.monotonic() > deadline:
                raise RoutesNotReady(f"the routes read model has not reached {position}")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.2)
