"""The HTTP limit: a bare FastAPI endpoint on the create-project path that parses the same
body with the same pydantic model and answers 201 with a body of the same shape, served
by uvicorn exactly as `signalyard api` serves the real app (same workers, same options)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from schemas import tenancy as wire
from signalyard.settings import Settings

app = FastAPI()
PATH = "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects"


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post(PATH, status_code=201)
async def create_project(org: str, team: str, ws: str, body: wire.ProjectCreate) -> JSONResponse:
    now = datetime.now(tz=UTC).isoformat()
    guid = str(uuid.uuid4())
    payload = {
        "guid": guid,
        "slug": body.slug or body.name.lower().replace(" ", "-"),
        "name": body.name,
        "description": body.description,
        "settings": body.settings,
        "version": 1,
        "created_at": now,
        "created_by": "bench",
        "updated_at": now,
        "updated_by": "bench",
        "deleted_at": None,
        "deleted_by": None,
    }
    return JSONResponse(
        payload,
        status_code=201,
        headers={
            "Location": f"/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects/{guid}",
            "ETag": '"1"',
            "X-Signalyard-Position": "1",
        },
    )


if __name__ == "__main__":
    # Same call as signalyard.bootstrap.run_api (host, port, log level, no access log) with
    # as many worker processes as the API gets.
    uvicorn.run(
        "bench.bare_app:app",
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        log_level="warning",
        access_log=False,
        workers=Settings.from_env().api_workers,
    )
