"""The FastAPI apps: command (writes), query (reads), or both on one server."""

from __future__ import annotations

import functools

from fastapi import FastAPI

from api import contract, problems
from api.deps import caller_of
from api.middleware import BodyAndIdempotencyMiddleware, RequestIdMiddleware
from api.routes import (
    config_queries,
    configs,
    hierarchy_commands,
    hierarchy_queries,
    identity,
    members,
    my_orgs,
    scope_members,
    skill_queries,
    skills,
    tools,
)
from api.services import Services

COMMAND_ROUTERS = (hierarchy_commands.router, skills.router, configs.router)
QUERY_ROUTERS = (hierarchy_queries.router, skill_queries.router, config_queries.router)
MIXED_ROUTERS = (
    members.router,
    scope_members.router,
    my_orgs.router,
    identity.router,
    tools.router,
)
# Skill uploads may carry a whole bundle, base64 inside JSON at worst (4/3, plus escaping).
UPLOAD_OVERHEAD = 64 * 1024


def create_app(services: Services, *, unavailable: tuple[type[Exception], ...] = ()) -> FastAPI:
    app = FastAPI(
        title="Signalyard",
        version="0.1.0",
        summary="Event-sourced control plane for AI-agent tasks and workflows",
        openapi_url="/openapi.json",
    )
    app.state.services = services
    problems.install(app)
    problems.install_unavailable(app, *unavailable)
    routers = (*COMMAND_ROUTERS, *QUERY_ROUTERS, *MIXED_ROUTERS)
    for router in routers:
        app.include_router(router)
    contract.install(app, routers)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves HTTP."""
        return {"status": "ok"}

    app.add_middleware(
        BodyAndIdempotencyMiddleware,
        store=services.idempotency,
        max_body_bytes=services.max_body_bytes,
        upload_paths=skills.UPLOAD_PATHS,
        max_upload_bytes=2 * services.catalog.max_bundle_bytes + UPLOAD_OVERHEAD,
        authenticate=functools.partial(caller_of, services),
    )
    app.add_middleware(RequestIdMiddleware)
    return app
