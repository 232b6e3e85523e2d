"""An agent definition's version: what runs (image, command) and its resources, with the
ceilings a task's overrides may reach. Quantities keep their text (what runtimes take)."""

from __future__ import annotations

import re
from typing import Any

from domain.core.errors import InvalidInput
from domain.infra.quantities import cpu_millis, memory_bytes

_TOKEN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
SPEC_FIELDS = (
    "tier",
    "runtime",
    "image",
    "default_cpu",
    "default_memory",
    "max_cpu",
    "max_memory",
    "cmd_override",
)
MAX_ARGS, MAX_ARG = 64, 1000
# An OCI image reference: [registry/]path[:tag][@digest], lowercase path components.
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)


def validate_image(image: object, field: str = "agent_image") -> str:
    if not isinstance(image, str) or not 1 <= len(image) <= 500 or not _IMAGE.match(image):
        raise InvalidInput(f"{field} must be an image reference like 'org/agent:1.2'", field=field)
    return image


def _token(spec: dict[str, Any], field: str, default: str) -> str:
    value = spec.get(field, default)
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise InvalidInput(f"{field} must be a lowercase token", field=field)
    return value


def _command(value: object) -> list[str] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_ARGS
        or not all(isinstance(a, str) and 0 < len(a) <= MAX_ARG for a in value)
    ):
        raise InvalidInput(
            f"cmd_override must be a list of 1-{MAX_ARGS} non-empty strings", field="cmd_override"
        )
    return list(value)


def validate_spec(spec: object) -> dict[str, Any]:
    """The whole spec of a version, defaults filled in; ceilings default to the defaults."""
    if not isinstance(spec, dict):
        raise InvalidInput("an agent definition's spec must be a JSON object", field="spec")
    unknown = sorted(set(spec) - set(SPEC_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    clean: dict[str, Any] = {
        "tier": _token(spec, "tier", "standard"),
        "runtime": _token(spec, "runtime", "default"),
        "image": validate_image(spec.get("image"), "image"),
        "default_cpu": spec.get("default_cpu", "1"),
        "default_memory": spec.get("default_memory", "1Gi"),
        "cmd_override": _command(spec.get("cmd_override")),
    }
    clean["max_cpu"] = spec.get("max_cpu", clean["default_cpu"])
    clean["max_memory"] = spec.get("max_memory", clean["default_memory"])
    for kind, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        default = parse(clean[f"default_{kind}"], f"default_{kind}")
        ceiling = parse(clean[f"max_{kind}"], f"max_{kind}")
        if default > ceiling:
            raise InvalidInput(f"default_{kind} is above max_{kind}", field=f"default_{kind}")
    return clean


def resources_for(spec: dict[str, Any] | None, overrides: object) -> dict[str, str]:
    """A task's cpu and memory: the definition's defaults, or overrides within its ceilings."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict) or set(overrides) - {"cpu", "memory"}:
        raise InvalidInput("resources may set cpu and memory only", field="resources")
    chosen: dict[str, str] = {}
    for kind, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        field = f"resources.{kind}"
        wanted = overrides.get(kind)
        if wanted is None:
            if spec is not None:
                chosen[kind] = spec[f"default_{kind}"]
            continue
        amount = parse(wanted, field)
        if spec is None:
            raise InvalidInput(f"{field} needs an agent definition to bound it", field=field)
        if amount > parse(spec[f"max_{kind}"], f"max_{kind}"):
            raise InvalidInput(
                f"{field} {wanted} is above the agent definition's limit {spec[f'max_{kind}']}",
                field=field,
            )
        chosen[kind] = wanted
    return chosen
