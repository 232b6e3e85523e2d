"""What a stage is given: its inputs and its brief, from the instance's context and earlier
stages' outputs (`context.<path>`, `stages.<name>.output.<path>`)."""

from __future__ import annotations

import re
from typing import Any

from domain.core.errors import InvalidInput

_PLACEHOLDER = re.compile(r"\{((?:context|stages)\.[A-Za-z0-9_.-]+)\}")
_MISSING = object()


def _walk(value: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return _MISSING
    return value


def lookup(path: str, context: dict[str, Any], results: dict[str, dict[str, Any]]) -> Any:
    """The value at `path`; InvalidInput naming the path when nothing is there."""
    parts = path.split(".")
    if parts[0] == "context":
        value = _walk(context, parts[1:])
    elif parts[0] == "stages" and len(parts) >= 3 and parts[2] == "output":
        value = _walk((results.get(parts[1]) or {}).get("output") or {}, parts[3:])
    else:
        raise InvalidInput(f"{path!r} is neither context.<path> nor stages.<name>.output.<path>")
    if value is _MISSING:
        raise InvalidInput(f"nothing at {path!r}", field=path)
    return value


def stage_inputs(
    stage: dict[str, Any], context: dict[str, Any], results: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return {
        key: lookup(path, context, results) for key, path in (stage.get("inputs") or {}).items()
    }


def render_brief(brief: str, context: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    def value(match: re.Match[str]) -> str:
        found = lookup(match.group(1), context, results)
        return found if isinstance(found, str) else _json(found)

    return _PLACEHOLDER.sub(value, brief)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def ordered_stages(content: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(content.get("stages") or [], key=lambda s: s["order"])


def stage_named(content: dict[str, Any], name: str) -> dict[str, Any]:
    for stage in content.get("stages") or []:
        if stage["name"] == name:
            return dict(stage)
    raise InvalidInput(f"the template has no stage {name!r}", field="stage")
