"""How big and how deep a user's JSON Schema, and a document checked against one, may be.

Every limit is here, so the API docs and the errors quote the same numbers.
"""

from __future__ import annotations

import json
from typing import Any

from domain.core.errors import InvalidInput, TooLarge

MAX_SCHEMA_BYTES = 64 * 1024
MAX_SCHEMA_DEPTH = 32  # JSON nesting: objects and arrays, the schema itself is level 1
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_DOCUMENT_DEPTH = 32


def depth_of(value: Any, limit: int) -> int:
    """The nesting depth of a JSON value, counting no further than `limit + 1`; iterative,
    so a value nested thousands deep cannot exhaust the stack while it is measured."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if not isinstance(node, dict | list):
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children)
    return deepest


def size_of(value: Any, field: str) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise InvalidInput("must be plain JSON", field=field) from None


def check_schema_bounds(schema: Any, field: str) -> None:
    if depth_of(schema, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH:
        raise InvalidInput(f"schema is nested deeper than {MAX_SCHEMA_DEPTH} levels", field=field)
    if size_of(schema, field) > MAX_SCHEMA_BYTES:
        raise TooLarge(f"schema must be at most {MAX_SCHEMA_BYTES} bytes", field=field)


def check_document_bounds(document: Any, field: str) -> None:
    if depth_of(document, MAX_DOCUMENT_DEPTH) > MAX_DOCUMENT_DEPTH:
        raise InvalidInput(
            f"document is nested deeper than {MAX_DOCUMENT_DEPTH} levels", field=field
        )
    if size_of(document, field) > MAX_DOCUMENT_BYTES:
        raise TooLarge(
            f"document to validate must be at most {MAX_DOCUMENT_BYTES} bytes", field=field
        )
