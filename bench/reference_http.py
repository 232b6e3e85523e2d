"""What the benchmark's reference servers (bench/bare_app.py, bench/floor_app.py) share:
the create-project answer in the API's shape, and being served as `signalyard api` is."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import uvicorn
from fastapi.responses import JSONResponse

from schemas import tenancy as wire
from signalyard.settings import Settings


def created_project(
    org: str, team: str, ws: str, guid: str, slug: str, body: wire.ProjectCreate, position: int
) -> JSONResponse:
    """201 with a body of the Project resource's shape and the API's write headers."""
    now = datetime.now(tz=UTC).isoformat()
    payload = {
        "guid": guid,
        "slug": slug,
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
            "X-Signalyard-Position": str(position),
        },
    )


def serve(app_path: str) -> None:
    """Same call as signalyard.bootstrap.run_api (host, port, log level, no access log) with
    as many worker processes as the API gets."""
    uvicorn.run(
        app_path,
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        log_level="warning",
        access_log=False,
        workers=Settings.from_env().api_workers,
    )
