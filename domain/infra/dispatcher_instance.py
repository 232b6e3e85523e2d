"""DispatcherInstance: a process that takes tasks to a runtime. Platform-scoped: it is the
operator's infrastructure and takes every org's queued tasks (pull: from the bus; push:
offered at its `endpoint_url`); it registers and acts with a DispatcherCredential of its
name, as itself (dispatch.py).

Its heartbeats live outside the log (a Postgres table); only its status changes
(online -> lost -> online) are events, so a live dispatcher adds nothing to the log.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.publication import declare_publication

ONLINE, LOST = "online", "lost"
DISPATCH_MODES = frozenset({"push", "pull"})


def dispatcher_id_of(name: str) -> UUID:
    """Derived from the name, so a restarted dispatcher registers as itself again."""
    return uuid5(NAMESPACE_URL, f"https://signalyard.dev/dispatchers/{name}")


class DispatcherInstance(AuditedAggregate):
    @event("Registered")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - derived from the name (dispatcher_id_of)
        name: str,
        endpoint_url: str | None,
        dispatch_mode: str,
        runtime: str,
        bus_config: dict[str, Any],
        meta: Meta,
    ) -> None:
        self.name = name
        self.endpoint_url = endpoint_url
        self.dispatch_mode = dispatch_mode
        self.runtime = runtime
        self.bus_config = bus_config
        self.status = ONLINE
        self.reason = "registered"

    def come_online(self, bus_config: dict[str, Any], runtime: str, meta: Meta) -> None:
        """A (re)started dispatcher: an event only when something changed."""
        if self.status != ONLINE or bus_config != self.bus_config or runtime != self.runtime:
            self._came_online(bus_config=bus_config, runtime=runtime, meta=meta)

    def mark_lost(self, reason: str, meta: Meta) -> None:
        if self.status != LOST:
            self._marked_lost(reason=reason, meta=meta)

    @event("CameOnline")
    def _came_online(self, bus_config: dict[str, Any], runtime: str, meta: Meta) -> None:
        self.status = ONLINE
        self.bus_config = bus_config
        self.runtime = runtime
        self.reason = "online"

    @event("MarkedLost")
    def _marked_lost(self, reason: str, meta: Meta) -> None:
        self.status = LOST
        self.reason = reason


# bus_config holds the URL, stream and consumer of the dispatcher: never its credentials.
declare_publication(
    DispatcherInstance.Registered,  # type: ignore[attr-defined] # made by @event
    DispatcherInstance.CameOnline,  # type: ignore[attr-defined]
    public={"bus_config"},
)
