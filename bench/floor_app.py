"""The storage floor: what creating a project costs with no command logic at all.

The endpoint parses the same body with the same pydantic model, builds the same two
aggregates a create makes (the Project and its SlugClaim, so the same events and encoding)
and appends them through the same group-commit recorder, built by the same composition
root, on the database whose read models `signalyard dev` is following; it answers like the
bare endpoint. It skips everything else a real create does: authentication, the
permission and parent reads, validated-read bookkeeping, dependencies, the middleware and
the full response. Served by uvicorn exactly as `signalyard api` is (same workers, same
options), with a sync route run in the thread pool like the real one. Not an API: the
benchmark's lower bound on CPU per create for this storage design.
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bench.reference_http import created_project, serve
from domain.core.slugs import SlugClaim
from domain.tenancy.hierarchy import Project
from schemas import tenancy as wire
from signalyard import bootstrap
from signalyard.settings import Settings

PATH = "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects"
_state: dict = {}


@asynccontextmanager
async def lifespan(_app: FastAPI):
    settings = Settings.from_env()
    store = bootstrap.build_store(settings, bootstrap.database_url(settings))
    _state.update(
        store=store,
        org_id=uuid.UUID(os.environ["BENCH_ORG_ID"]),
        team_id=uuid.UUID(os.environ["BENCH_TEAM_ID"]),
        ws_id=uuid.UUID(os.environ["BENCH_WS_ID"]),
    )
    try:
        yield
    finally:
        store.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post(PATH, status_code=201)
def create_project(org: str, team: str, ws: str, body: wire.ProjectCreate) -> JSONResponse:
    meta = {
        "actor": "bench",
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "tenant_id": str(_state["org_id"]),
    }
    slug = body.slug or body.name.lower().replace(" ", "-")
    project = Project(
        organization_id=_state["org_id"],
        team_id=_state["team_id"],
        workspace_id=_state["ws_id"],
        name=body.name,
        slug=slug,
        description=body.description,
        settings=body.settings or {},
        meta=meta,
    )
    claim = SlugClaim(
        kind="project", scope_id=str(_state["ws_id"]), slug=slug, owner_id=project.id, meta=meta
    )
    recordings = _state["store"].save(project, claim)
    position = recordings[-1].notification.id
    return created_project(org, team, ws, str(project.id), slug, body, position)


if __name__ == "__main__":
    serve("bench.floor_app:app")
