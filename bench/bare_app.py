"""The HTTP limit: a bare FastAPI endpoint on the create-project path that parses the same
body with the same pydantic model and answers 201 with a body of the same shape, served
by uvicorn exactly as `signalyard api` serves the real app (same workers, same options)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bench.reference_http import created_project, serve
from schemas import tenancy as wire

app = FastAPI()
PATH = "/v1/orgs/{org}/teams/{team}/workspaces/{ws}/projects"


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post(PATH, status_code=201)
async def create_project(org: str, team: str, ws: str, body: wire.ProjectCreate) -> JSONResponse:
    slug = body.slug or body.name.lower().replace(" ", "-")
    return created_project(org, team, ws, str(uuid.uuid4()), slug, body, position=1)


if __name__ == "__main__":
    serve("bench.bare_app:app")
