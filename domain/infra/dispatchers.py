"""The dispatcher use cases: register (or come back online) and be marked lost."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.core.context import CommandContext, system_context
from domain.core.errors import Conflict, InvalidInput
from domain.infra.dispatcher_instance import (
    DISPATCH_MODES,
    LOST,
    DispatcherInstance,
    dispatcher_id_of,
)
from domain.plumbing.store import EventStore


class Dispatchers:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def register(
        self,
        name: str,
        runtime: str,
        bus_config: dict[str, Any],
        dispatch_mode: str = "pull",
        endpoint_url: str | None = None,
        ctx: CommandContext | None = None,
    ) -> UUID:
        if dispatch_mode not in DISPATCH_MODES:
            raise InvalidInput("dispatch_mode must be push or pull", field="dispatch_mode")
        if (dispatch_mode == "push") != (endpoint_url is not None):
            raise InvalidInput(
                "a push dispatcher needs an endpoint_url, a pull dispatcher none",
                field="endpoint_url",
            )
        meta = (ctx or system_context()).meta(None)
        dispatcher_id = dispatcher_id_of(name)
        found = self.store.find(dispatcher_id, DispatcherInstance)
        if found is None:
            found = DispatcherInstance(
                id=dispatcher_id,
                name=name,
                endpoint_url=endpoint_url,
                dispatch_mode=dispatch_mode,
                runtime=runtime,
                bus_config=bus_config,
                meta=meta,
            )
        elif (found.dispatch_mode, found.endpoint_url) != (dispatch_mode, endpoint_url):
            raise Conflict(
                f"dispatcher {name} is registered as {found.dispatch_mode}"
                f" at {found.endpoint_url}: register another name to change that"
            )
        else:
            found.come_online(bus_config, runtime, meta=meta)
        self.store.record(found)
        return dispatcher_id

    def mark_lost(self, dispatcher_id: UUID, reason: str) -> bool:
        """True when this call marked it lost (a second sweeper finds it lost already)."""
        found = self.store.find(dispatcher_id, DispatcherInstance)
        if found is None or found.status == LOST:
            return False
        found.mark_lost(reason, meta=system_context().meta(None))
        self.store.record(found)
        return True

    def get(self, dispatcher_id: UUID) -> DispatcherInstance | None:
        return self.store.find(dispatcher_id, DispatcherInstance)
