"""What the router reads: an organization's active routes as RouteSpecs, and the position
of the last change to them (to notice one cheaply)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from support.api import created, unique

from projections.routing.views import event_routes

ROUTE = {
    "event_type": "io.signalyard.task.*.v1",
    "target_wf_id": "task-{data.task_id}",
    "signal_name": "done",
}


def _read(stack, org_id: UUID, min_position: int):
    async def read():
        url = stack.settings.database_url
        async with await psycopg.AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row
        ) as conn:
            for _ in range(100):  # the read model catches up with the write
                if await event_routes.routes_changed_at(conn) >= min_position:
                    break
                await asyncio.sleep(0.05)
            return (
                await event_routes.active_routes(conn, org_id),
                await event_routes.routes_changed_at(conn, org_id),
            )

    return asyncio.run(read())


def test_active_routes_are_the_enabled_undeleted_ones_at_their_current_version(stack, admin):
    org = created(admin.post("/v1/orgs", json={"name": unique("view")}))
    base = f"/v1/orgs/{org['slug']}/event-routes"
    kept = created(admin.post(base, json={"name": "Kept", **ROUTE}))
    created(admin.post(base, json={"name": "Off", **ROUTE, "enabled": False}))
    gone = created(admin.post(base, json={"name": "Gone", **ROUTE}))
    admin.delete(f"{base}/{gone['slug']}", headers={"If-Match": f'"{gone["version"]}"'})
    changed = admin.patch(
        f"{base}/kept", json={"signal_name": "finished"}, headers={"If-Match": '"2"'}
    )
    position = int(changed.headers["X-Signalyard-Position"])
    specs, changed_at = _read(stack, UUID(org["guid"]), position)
    assert [(str(s.route_id), s.version, s.signal_name) for s in specs] == [
        (kept["guid"], 2, "finished")
    ]
    assert specs[0].target_wf_id == "task-{data.task_id}" and specs[0].system is False
    assert changed_at == position
    rolled = admin.post(f"{base}/kept:rollback", json={"version": 1}, headers={"If-Match": '"3"'})
    position = int(rolled.headers["X-Signalyard-Position"])
    specs, changed_at = _read(stack, UUID(org["guid"]), position)
    assert [(s.version, s.signal_name) for s in specs] == [(1, "done")]
    assert changed_at == position
