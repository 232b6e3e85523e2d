"""Where a stage's inputs and its brief's placeholders take their values from:
`context.<path>` (the instance's input context) or `stages.<name>.output.<path>` (the
output of a stage that runs EARLIER, by order). A path is dot-separated keys or indexes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.core.errors import InvalidInput

MAX_MAPPING = 500
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# Only `{context.…}` / `{stages.…}` are placeholders: other braces in a brief are its text.
PLACEHOLDER = re.compile(r"\{((?:context|stages)\.[^{}\s]*)\}")


def _path(parts: list[str], field: str, what: str) -> list[str]:
    if not parts or not all(_SEGMENT.match(p) for p in parts):
        raise InvalidInput(f"{what} needs a path of dot-separated keys after it", field=field)
    return parts


def _context_path_declared(schema: Any, path: list[str]) -> str | None:
    """The first key of `path` the input schema cannot hold, or None. Levels that declare
    no `properties`, or allow undeclared ones, accept any key from there on."""
    node = schema
    for key in path:
        if not isinstance(node, dict) or not isinstance(node.get("properties"), dict):
            return None
        properties = node["properties"]
        if key in properties:
            node = properties[key]
            continue
        extra = node.get("additionalProperties", False)
        if extra is False and not node.get("patternProperties"):
            return key
        return None
    return None


def check_mapping(
    source: object,
    field: str,
    input_schema: dict[str, Any] | None,
    earlier: Mapping[str, int],
) -> str:
    """`earlier`: the names of the stages that run before this one (by order)."""
    if not isinstance(source, str) or not 1 <= len(source) <= MAX_MAPPING:
        raise InvalidInput(
            "a mapping must be 'context.<path>' or 'stages.<stage>.output.<path>'", field=field
        )
    head, *rest = source.split(".")
    if head == "context":
        path = _path(rest, field, "context")
        missing = _context_path_declared(input_schema, path) if input_schema else None
        if missing is not None:
            raise InvalidInput(
                f"{source!r}: the input schema declares no property {missing!r}", field=field
            )
        return source
    if head == "stages" and len(rest) >= 2 and rest[1] == "output":
        name = rest[0]
        if name not in earlier:
            raise InvalidInput(
                f"{source!r}: no stage named {name!r} runs before this one", field=field
            )
        _path(rest[2:], field, f"stages.{name}.output")
        return source
    raise InvalidInput(
        "a mapping must be 'context.<path>' or 'stages.<stage>.output.<path>'", field=field
    )


def check_placeholders(
    text: str, field: str, input_schema: dict[str, Any] | None, earlier: Mapping[str, int]
) -> None:
    for match in PLACEHOLDER.finditer(text):
        check_mapping(match.group(1), field, input_schema, earlier)
