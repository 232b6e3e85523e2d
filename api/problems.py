"""RFC 9457 problem+json for every error; the field at fault is named."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.outcome import OUTCOME_HEADER, committed_reply
from domain.core import errors
from domain.secrets.errors import BackendUnavailable, SecretGone
from projections.reading.paging import BadPageToken
from projections.reading.viewer import NotVisible

log = logging.getLogger("signalyard.api")
MEDIA_TYPE = "application/problem+json"

_STATUS = {
    errors.InvalidInput: (422, "Invalid input"),
    errors.NotFound: (404, "Not found"),
    errors.Conflict: (409, "Conflict"),
    errors.PermissionDenied: (403, "Forbidden"),
    errors.Unauthenticated: (401, "Unauthorized"),
    errors.TooLarge: (413, "Payload too large"),
    errors.StaleVersion: (412, "Precondition failed"),
    errors.VersionRequired: (428, "Precondition required"),
    errors.Superseded: (409, "Conflict"),
    errors.TransitionRefused: (409, "Conflict"),
    errors.StaleAttempt: (409, "Conflict"),
    errors.NotConfigured: (409, "Not configured"),
    errors.Unavailable: (503, "Service unavailable"),
    SecretGone: (409, "Gone from its backend"),
    BackendUnavailable: (503, "Backend unavailable"),
}


class ApiProblem(Exception):
    """An HTTP-level problem raised by the API layer itself (428, 413, 503...)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.extra = extra


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field_of(loc: tuple, error_type: str = "") -> str:
    if error_type == "json_invalid":  # loc is ("body", <character offset>)
        return "body"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    # A whole body parsed by a route itself (an upload that is not an object) has no loc.
    return ".".join(parts) or (str(loc[-1]) if loc else "body")


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
        status, title = _STATUS.get(type(exc), (400, "Bad request"))
        extra: dict[str, Any] = {}
        if exc.errors:
            extra["errors"] = exc.errors
        elif exc.field:
            extra["errors"] = [{"field": exc.field, "message": exc.message}]
        if isinstance(exc, errors.StaleVersion):
            extra["current_version"] = exc.current_version
        if isinstance(exc, errors.TransitionRefused):
            extra["current_status"] = exc.current_status
        if isinstance(exc, errors.StaleAttempt):
            extra["current_attempt"] = exc.current_attempt
        if isinstance(exc, errors.PermissionDenied):
            log.warning("access denied: %s %s: %s", request.method, request.url.path, exc.message)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, BackendUnavailable):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem(request, status, title, exc.message, headers, **extra)

    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, exc: NotVisible) -> JSONResponse:
        return problem(request, 404, "Not found", str(exc))

    @app.exception_handler(BadPageToken)
    async def bad_token(request: Request, exc: BadPageToken) -> JSONResponse:
        return problem(
            request,
            400,
            "Bad request",
            str(exc),
            errors=[{"field": "page_token", "message": str(exc)}],
        )

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(request, exc.status, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": _field_of(tuple(e["loc"]), e["type"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return problem(request, 422, "Invalid input", detail, errors=details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            request, exc.status_code, str(exc.detail), None, getattr(exc, "headers", None)
        )

    @app.exception_handler(errors.OutcomeUnknown)
    async def outcome_unknown(request: Request, exc: errors.OutcomeUnknown) -> JSONResponse:
        log.error("outcome unknown: %s %s: %s", request.method, request.url.path, exc)
        return problem(
            request,
            503,
            "Outcome unknown",
            "the write reached the database and its answer was lost: it may have committed."
            " Retry with the same Idempotency-Key to learn the outcome; without one, read"
            " before writing again",
            {"Retry-After": "1", OUTCOME_HEADER: "unknown"},
            written=[{"guid": guid, "version": version} for guid, version in exc.keys],
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _committed_or(
            request, problem(request, 500, "Internal server error", "see the server log")
        )


def install_unavailable(app: FastAPI, *exception_types: type[Exception]) -> None:
    """Lock timeouts and lost connections are transient: 503 with Retry-After."""

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("unavailable: %s %s: %s", request.method, request.url.path, exc)
        return _committed_or(
            request,
            problem(
                request,
                503,
                "Service unavailable",
                "the store is busy; retry shortly",
                {"Retry-After": "1"},
            ),
        )

    for exc_type in exception_types:
        app.add_exception_handler(exc_type, unavailable)


def _committed_or(request: Request, failure: Response) -> Response:
    """A request that committed a write is never answered as a failure: it gets what
    committed (the response it would have had could not be made)."""
    committed = request.scope.get("state", {}).get("committed")
    if not committed:
        return failure
    status, headers, body = committed_reply(max(committed))
    return Response(body, status_code=status, headers=headers)
