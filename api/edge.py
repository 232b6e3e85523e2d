"""The route class every router uses: a request body is refused (415, 422) before any
route code runs when it is not JSON or holds a number JSON peers cannot carry; a read on a
connection that died is run again once (ReadRetryRoute)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from api.problems import ApiProblem
from api.read_retry import ReadRetryRoute

# Beyond this, a JavaScript (IEEE double) peer silently rounds the integer.
MAX_SAFE_INTEGER = 2**53 - 1
# Only a body with a 16-digit run, a 3-digit exponent, NaN, Infinity or a surrogate escape
# can hold an unsafe value: one C scan spares every other body a second parse.
_SUSPECT = re.compile(rb"\d{16}|[eE][+-]?\d{3}|NaN|Infinity|\\u[dD][89a-fA-F]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A JSON body above this is parsed off the event loop (other requests go on meanwhile).
OFF_LOOP_BYTES = 64 * 1024
_MESSAGE = (
    "JSON peers cannot carry this value: integers must lie within ±9007199254740991, "
    "numbers must be finite, strings valid Unicode"
)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _unsafe(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) > MAX_SAFE_INTEGER
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return True
    return False


def unsafe_paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Where in a parsed JSON document the values no JSON peer can carry are."""
    if isinstance(value, dict):
        for key, item in value.items():
            if _unsafe(key):
                yield (*path, key.encode("utf-8", "backslashreplace").decode())
            yield from unsafe_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unsafe_paths(item, (*path, index))
    elif _unsafe(value):
        yield path


def check_body(body: bytes) -> Any:
    """Raise a validation error naming every unsafe value of a JSON request body; the
    parsed document if it had to be parsed (else None)."""
    if not _SUSPECT.search(body):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON at all: the body's own validation reports it
    _refuse_unsafe(document)
    return document


def parse_checked(body: bytes) -> Any:
    """The document of a JSON body, unsafe values refused; None if it is not JSON."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    _refuse_unsafe(document)
    return document


def _refuse_unsafe(document: Any) -> None:
    errors = [
        {"type": "json_unsafe_value", "loc": ("body", *path), "msg": _MESSAGE, "input": None}
        for path in unsafe_paths(document)
    ]
    if errors:
        raise RequestValidationError(errors)


class EdgeRoute(ReadRetryRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        json_only = self.body_field is not None  # uploads read their own body

        async def guarded(request: Request) -> Response:
            if request.method in _BODY_METHODS:
                body = await request.body()
                content_type = request.headers.get("content-type", "")
                if body and json_only and not _is_json(content_type):
                    raise ApiProblem(415, "Unsupported media type", "send application/json")
                if body and (not content_type or _is_json(content_type)):
                    if len(body) > OFF_LOOP_BYTES:
                        # Parsed in a worker thread, once: FastAPI reuses it (Request._json).
                        document = await run_in_threadpool(parse_checked, body)
                        if document is not None:
                            request._json = document
                    else:
                        check_body(body)
            return await handler(request)

        return guarded
