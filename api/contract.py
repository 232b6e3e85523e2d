"""The OpenAPI document declares every answer an operation can give: the problem+json
statuses are derived here, from each route's dependencies, not written on every route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from api import deps
from api.dispatcher_auth import get_dispatcher
from api.edge import EdgeRoute
from api.problems import MEDIA_TYPE, problem
from schemas.common import Problem

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
DESCRIPTIONS = {
    400: "A malformed header or parameter (If-Match, Idempotency-Key, page_token)",
    401: "Missing, unknown, expired or revoked bearer token",
    403: "The caller's role does not allow this",
    404: "Unknown, deleted, or not visible to the caller",
    409: "A conflict (slug taken...), or this Idempotency-Key's request is still running",
    412: "If-Match is stale: current_version names the current version",
    413: "The body is over the size limit",
    415: "The body's media type is not one this operation takes",
    422: "Invalid input, the fields at fault named (or an Idempotency-Key reused)",
    428: 'If-Match: "<version>" is required (to change what exists, where optional)',
    503: "The store is busy or the read models are behind: retry after Retry-After",
}
RETRY_AFTER = {"description": "seconds to wait", "schema": {"type": "integer"}}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    409: {"Retry-After": {**RETRY_AFTER, "description": "when the request is still running"}},
    503: {"Retry-After": {**RETRY_AFTER, "required": True}},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "the same key and body replay the first response",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def statuses(route: EdgeRoute) -> set[int]:
    """The problem statuses one route can answer with."""
    calls = set(_calls(route.dependant))
    methods = route.methods or set()
    found = {400, 422, 503}
    if calls & {deps.get_principal, deps.get_context, deps.get_attempt, get_dispatcher}:
        found.add(401)
    if deps.get_context in calls:  # queries answer 404 to what the caller may not see
        found.add(403)
    if "{" in route.path_format:  # path parameters, the route's own or its dependencies'
        found.add(404)
    if methods & WRITES:
        found |= {409, 413}
    if route.body_field is not None or "requestBody" in (route.openapi_extra or {}):
        found.add(415)
    if calls & {deps.required_version, deps.optional_version}:
        found |= {412, 428}  # an optional If-Match is still required to change what exists
    return found


def _problem(status: int) -> dict[str, Any]:
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    answer: dict[str, Any] = {"description": DESCRIPTIONS[status], "content": content}
    if status in HEADERS:
        answer["headers"] = HEADERS[status]
    return answer


def _if_match(required: bool) -> dict[str, Any]:
    return {
        "name": "If-Match",
        "in": "header",
        "required": required,
        "description": "the ETag of the version the change is based on",
        "schema": {"type": "string", "pattern": deps.ETAG.pattern},
    }


def _declare(operation: dict[str, Any], route: EdgeRoute, method: str) -> None:
    params = operation.get("parameters", [])
    bearer = [p for p in params if p["in"] == "header" and p["name"].lower() == "authorization"]
    operation["parameters"] = [
        _if_match(deps.required_version in set(_calls(route.dependant)))
        if p["in"] == "header" and p["name"].lower() == "if-match"
        else p
        for p in params
        if p not in bearer
    ]
    if method == "post":
        operation["parameters"].append(IDEMPOTENCY_KEY)
    if bearer:
        operation["security"] = [{"bearer": []}]
    answers = operation["responses"]
    answers.update({str(status): _problem(status) for status in statuses(route)})
    operation["responses"] = dict(sorted(answers.items()))
    if not operation["parameters"]:
        del operation["parameters"]


def document(app: FastAPI, routers: tuple[APIRouter, ...]) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=app.routes,
    )
    for route in (route for router in routers for route in router.routes):
        if isinstance(route, EdgeRoute):
            for method in route.methods:
                _declare(spec["paths"][route.path_format][method.lower()], route, method.lower())
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return spec


def _literal_length(template: str) -> int:
    return len(re.sub(r"\{[^}]*\}", "", template))


def allowed_methods(routes: list[Any], path: str) -> list[str]:
    """The methods of the path's most specific template, as the document lists them
    (`/tools/x:validate` is `{tool}:validate`, not `{tool}`)."""
    matching = [route for route in routes if route.path_regex.match(path)]
    if not matching:
        return []
    best = max(_literal_length(route.path_format) for route in matching)
    chosen = [r for r in matching if _literal_length(r.path_format) == best]
    return sorted(set().union(*(route.methods for route in chosen)))


def install(app: FastAPI, routers: tuple[APIRouter, ...]) -> None:
    """Serve `document` at /openapi.json, and a 405's Allow from it; `routers` are those
    included without a prefix."""
    routes = [route for router in routers for route in router.routes]

    # Starlette's Allow names only the first route matching the path, one method of several.
    async def not_allowed(request: Request, exc: Exception) -> Response:
        headers = {"Allow": ", ".join(allowed_methods(routes, request.url.path))}
        return problem(request, 405, "Method not allowed", None, headers)

    app.add_exception_handler(405, not_allowed)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, routers)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
