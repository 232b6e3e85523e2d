"""Growing the store fast: domain aggregates built in this process and saved in large
batches through the same event store (mapper, recorder) the API uses, so the rows are real
events every projection decodes. Each filler workspace holds 100 projects, each created
(with its slug claim) and then updated three times."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

import psycopg

from domain.core.context import system_context
from domain.core.slugs import SlugClaim
from domain.plumbing.store import EventStore
from domain.tenancy.hierarchy import Project, Workspace

PROJECTS_PER_WORKSPACE = 100
UPDATES_PER_PROJECT = 3
EVENTS_TABLE = "signalyard_events"


@dataclass
class Tenant:
    token: str
    org: str
    team: str
    ws: str
    org_id: UUID
    team_id: UUID
    ws_id: UUID
    project: str  # slug of a project that exists (read benchmarks)

    @property
    def projects_path(self) -> str:
        return f"/v1/orgs/{self.org}/teams/{self.team}/workspaces/{self.ws}/projects"


def head(url: str, schema: str = "eventstore") -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(f'SELECT max(notification_id) FROM "{schema}".{EVENTS_TABLE}')
        return int(row.fetchone()[0] or 0)


def populate(store: EventStore, tenant: Tenant, url: str, target: int) -> dict:
    """Append filler events until the log holds at least `target` events."""
    started = time.perf_counter()
    current = head(url)
    appended = 0
    unit = 0
    while current + appended < target:
        unit += 1
        meta = system_context().meta(tenant.org_id)
        ws_slug = f"filler-{time.time_ns()}-{unit}"
        ws = Workspace(
            organization_id=tenant.org_id,
            team_id=tenant.team_id,
            name=ws_slug,
            slug=ws_slug,
            description="benchmark filler",
            is_active=True,
            meta=meta,
        )
        aggregates: list = [ws, SlugClaim("workspace", str(tenant.team_id), ws_slug, ws.id, meta)]
        for i in range(PROJECTS_PER_WORKSPACE):
            slug = f"p-{i}"
            project = Project(
                organization_id=tenant.org_id,
                team_id=tenant.team_id,
                workspace_id=ws.id,
                name=f"Project {i}",
                slug=slug,
                description="benchmark filler",
                settings={"max_parallel": 4, "labels": ["filler"]},
                meta=meta,
            )
            for revision in range(UPDATES_PER_PROJECT):
                project.update(changes={"description": f"revision {revision}"}, meta=meta)
            aggregates += [project, SlugClaim("project", str(ws.id), slug, project.id, meta)]
        appended += len(store.save(*aggregates))
    seconds = time.perf_counter() - started
    return {"appended": appended, "seconds": seconds, "head": current + appended}


def wait_for_projections(url: str, position: int, names: list[str], timeout: float) -> float:
    """Seconds until every read model's tracking position reached `position`."""
    started = time.perf_counter()
    query = " , ".join(f'(SELECT position FROM "rm_{n}"._tracking)' for n in names)
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            positions = conn.execute(f"SELECT {query}").fetchone()
            if min(positions) >= position:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"read models at {positions}, wanted {position}")
            time.sleep(0.05)
