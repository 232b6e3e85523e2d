"""The definition of an EventRoute (what one version holds) and its rules."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from domain.core.errors import InvalidInput
from domain.routing.matching import validate_pattern, validate_template
from domain.routing.spec import ACTIONS

MAX_TRANSFORM = 16 * 1024
MAX_FILTER = 4 * 1024
MAX_NAME = 200
FIELDS = (
    "event_type",
    "source",
    "target_wf_id",
    "signal_name",
    "transform",
    "filter",
    "action",
    "workflow_type",
    "task_queue",
    "enabled",
)
DEFAULTS: dict[str, Any] = {
    "source": "**",
    "transform": None,
    "filter": None,
    "action": "signal",
    "workflow_type": None,
    "task_queue": None,
    "enabled": True,
}


def _program(value: object, field: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{field} must be a string of at most {limit} characters", field=field)
    return value


def _name(value: object, field: str, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise InvalidInput(
            f"{field} must be a non-empty string of at most {MAX_NAME} characters", field=field
        )
    return value


def validate_definition(requested: dict[str, Any]) -> dict[str, Any]:
    """Every field checked and defaulted; unknown fields are refused."""
    unknown = sorted(set(requested) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    given = {**DEFAULTS, **requested}
    action = given["action"]
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    starts = action == "signal_with_start"
    if not isinstance(given["enabled"], bool):
        raise InvalidInput("enabled must be a boolean", field="enabled")
    return {
        "event_type": validate_pattern(given.get("event_type"), "event_type"),
        "source": validate_pattern(given["source"], "source"),
        "target_wf_id": validate_template(given.get("target_wf_id"), "target_wf_id"),
        "signal_name": _name(given.get("signal_name"), "signal_name", True),
        "transform": _program(given["transform"], "transform", MAX_TRANSFORM),
        "filter": _program(given["filter"], "filter", MAX_FILTER),
        "action": action,
        "workflow_type": _name(given["workflow_type"], "workflow_type", starts),
        "task_queue": _name(given["task_queue"], "task_queue", starts),
        "enabled": given["enabled"],
    }


def definition_hash(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
