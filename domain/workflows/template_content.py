"""Publishing a draft: every rule checked, references resolved, and the content of the new
version made in the shape instances run (the contract with the workflow worker):

    {"input_schema": <JSON Schema> | null, "default_config": {...},
     "stages": [{name, order, stage_type, agent_definition, agent_image, brief, skills,
                 configs, inputs, timeout_seconds, on_failure, approval, event}, ...]}

stages sorted by order. Each fault is a 422 naming the stage and field, as
`stages[2].inputs.summary` (the index is the stage's place in the draft).
"""

from __future__ import annotations

import re
from typing import Any

from domain.catalog.json_schemas import check_schema
from domain.core.errors import InvalidInput
from domain.workflows.template_draft import validate_draft
from domain.workflows.template_mappings import check_mapping, check_placeholders
from domain.workflows.template_stages import Refs, check_stage

_INPUT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")
MAX_INPUTS = 100


def _unique(stages: list[dict[str, Any]], key: str) -> None:
    seen: dict[Any, int] = {}
    for i, stage in enumerate(stages):
        if stage[key] in seen:
            raise InvalidInput(
                f"{key} {stage[key]!r} is already stage {seen[stage[key]]}'s",
                field=f"stages[{i}].{key}",
            )
        seen[stage[key]] = i


def _check_references(stages: list[dict[str, Any]], input_schema: dict[str, Any] | None) -> None:
    orders = {s["name"]: s["order"] for s in stages}
    for i, stage in enumerate(stages):
        at = f"stages[{i}]"
        earlier = {n: o for n, o in orders.items() if o < stage["order"]}
        inputs = stage["inputs"]
        if len(inputs) > MAX_INPUTS:
            raise InvalidInput(f"at most {MAX_INPUTS} inputs", field=f"{at}.inputs")
        for key, source in inputs.items():
            if not _INPUT_KEY.match(key):
                raise InvalidInput(
                    "an input key is a letter or _ then letters, digits, _ or -",
                    field=f"{at}.inputs.{key}",
                )
            check_mapping(source, f"{at}.inputs.{key}", input_schema, earlier)
        check_placeholders(stage["brief"], f"{at}.brief", input_schema, earlier)
        compensation = stage["on_failure"]["compensation_stage"]
        field = f"{at}.on_failure.compensation_stage"
        if compensation is not None and compensation not in orders:
            raise InvalidInput(f"no stage named {compensation!r}", field=field)
        if compensation == stage["name"]:
            raise InvalidInput("a stage cannot compensate for itself", field=field)


def publishable_content(draft: object, refs: Refs) -> dict[str, Any]:
    clean = validate_draft(draft)
    schema = clean["input_schema"]
    if schema is not None:
        schema = check_schema(schema, "input_schema")
    if not clean["stages"]:
        raise InvalidInput("a template needs at least one stage to be published", field="stages")
    stages = [check_stage(stage, i, refs) for i, stage in enumerate(clean["stages"])]
    _unique(stages, "name")
    _unique(stages, "order")
    _check_references(stages, schema)
    return {
        "input_schema": schema,
        "default_config": clean["default_config"],
        "stages": sorted(stages, key=lambda s: s["order"]),
    }
