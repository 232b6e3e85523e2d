"""The FastAPI apps: command (writes), query (reads), or both on one server."""

from __future__ import annotations

import functools

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from api import contract, problems
from api.deps import caller_of
from api.middleware import BodyAndIdempotencyMiddleware, RequestIdMiddleware
from api.roles import Role
from api.routes import (
    agent,
    agent_definition_queries,
    agent_definitions,
    agent_reports,
    bus_credentials,
    callbacks,
    config_queries,
    configs,
    dispatch,
    dispatcher_credentials,
    event_route_queries,
    event_routes,
    hierarchy_commands,
    hierarchy_queries,
    identity,
    infra_services,
    members,
    my_orgs,
    route_trials,
    runtime_targets,
    scope_members,
    secret_queries,
    secrets,
    skill_queries,
    skills,
    task_logs,
    task_queries,
    tasks,
    tools,
    workflow_instance_queries,
    workflow_instances,
    workflow_templates,
    workflow_templates_queries,
)
from api.services import Services

COMMAND_ROUTERS = (
    hierarchy_commands.router,
    skills.router,
    configs.router,
    event_routes.router,
    route_trials.router,
    tasks.router,
    agent_definitions.router,
    secrets.router,
    workflow_instances.router,
    workflow_templates.router,
)
QUERY_ROUTERS = (
    hierarchy_queries.router,
    skill_queries.router,
    config_queries.router,
    event_route_queries.router,
    task_queries.router,
    task_logs.router,
    agent_definition_queries.router,
    secret_queries.router,
    workflow_instance_queries.router,
    workflow_templates_queries.router,
)
MIXED_ROUTERS = (
    members.router,
    scope_members.router,
    my_orgs.router,
    identity.router,
    tools.router,
    callbacks.router,
    infra_services.router,
    runtime_targets.router,
    bus_credentials.router,
    agent.router,
    agent_reports.router,
    dispatcher_credentials.router,
    dispatch.router,
)
ALL_ROUTERS = (*COMMAND_ROUTERS, *QUERY_ROUTERS, *MIXED_ROUTERS)
READS = frozenset({"GET", "HEAD"})
# Skill uploads may carry a whole bundle, base64 inside JSON at worst (4/3, plus escaping).
UPLOAD_OVERHEAD = 64 * 1024


def _only(router: APIRouter, *, reads: bool) -> APIRouter:
    """The router's reads (GET) or writes (every other method): each route already carries
    its router's prefix, tags, dependencies and route class."""
    chosen = APIRouter(route_class=router.route_class)
    chosen.routes = [
        route
        for route in router.routes
        if isinstance(route, APIRoute) and (route.methods <= READS) == reads
    ]
    return chosen


def routers_for(role: Role) -> tuple[APIRouter, ...]:
    """`commands` serves every write, `queries` every read, `all` both (the default)."""
    if role == "all":
        return ALL_ROUTERS
    return tuple(_only(router, reads=role == "queries") for router in ALL_ROUTERS)


def create_app(
    services: Services,
    *,
    unavailable: tuple[type[Exception], ...] = (),
    role: Role = "all",
) -> FastAPI:
    app = FastAPI(
        title="Signalyard",
        version="0.1.0",
        summary="Event-sourced control plane for AI-agent tasks and workflows",
        openapi_url="/openapi.json",
    )
    app.state.services = services
    problems.install(app)
    problems.install_unavailable(app, *unavailable)
    routers = routers_for(role)
    for router in routers:
        app.include_router(router)
    contract.install(app, routers)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves HTTP."""
        return {"status": "ok"}

    app.add_middleware(
        BodyAndIdempotencyMiddleware,
        # A server of reads answers writes 404/405: it must not keep that under their key.
        store=None if role == "queries" else services.idempotency,
        max_body_bytes=services.max_body_bytes,
        upload_paths=skills.UPLOAD_PATHS,
        max_upload_bytes=2 * services.catalog.max_bundle_bytes + UPLOAD_OVERHEAD,
        authenticate=functools.partial(caller_of, services),
    )
    app.add_middleware(RequestIdMiddleware)
    return app
