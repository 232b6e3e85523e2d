"""A template's draft as saved: its shape only (an object with input_schema, default_config
and a list of stage objects, within size limits). Everything else is checked at publish,
so a draft may name an agent definition that does not exist yet."""

from __future__ import annotations

from typing import Any

from domain.catalog.config import canonical_json
from domain.core.errors import InvalidInput, TooLarge

DRAFT_FIELDS = ("input_schema", "default_config", "stages")
MAX_DRAFT_BYTES = 512 * 1024
MAX_STAGES = 50


def validate_draft(draft: object) -> dict[str, Any]:
    if not isinstance(draft, dict):
        raise InvalidInput("the draft must be a JSON object", field="draft")
    unknown = sorted(set(draft) - set(DRAFT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    schema = draft.get("input_schema")
    if schema is not None and not isinstance(schema, dict):
        raise InvalidInput(
            "input_schema must be a JSON Schema object or null", field="input_schema"
        )
    config = draft.get("default_config", {})
    if not isinstance(config, dict):
        raise InvalidInput("default_config must be a JSON object", field="default_config")
    stages = draft.get("stages", [])
    if not isinstance(stages, list) or len(stages) > MAX_STAGES:
        raise InvalidInput(f"stages must be a list of at most {MAX_STAGES} stages", field="stages")
    for i, stage in enumerate(stages):
        if not isinstance(stage, dict):
            raise InvalidInput("a stage must be a JSON object", field=f"stages[{i}]")
    clean = {"input_schema": schema, "default_config": config, "stages": stages}
    try:
        size = len(canonical_json(clean))
    except (TypeError, ValueError):
        raise InvalidInput("the draft must be plain JSON", field="draft") from None
    if size > MAX_DRAFT_BYTES:
        raise TooLarge(f"the draft must be at most {MAX_DRAFT_BYTES} bytes", field="draft")
    return clean


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge key by key, null removes, the rest replaces
    (a list, `stages` included, is replaced whole)."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
