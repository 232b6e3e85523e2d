"""One stage of a template, checked field by field and put in its published shape.
Each fault names its field as `stages[<index in the draft>].<field>`; references to agent
definitions, skills and configs are resolved by the caller's `Refs` (see template_refs)."""

from __future__ import annotations

import math
from typing import Any, Protocol

from domain.core.errors import InvalidInput
from domain.core.slugs import validate_slug
from domain.infra.agent_spec import validate_image
from domain.tasks.secret_needs import validate_secret_needs
from domain.tasks.submission import DEFAULT_TIMEOUT_SECONDS, MAX_BRIEF_BYTES, MAX_TIMEOUT_SECONDS

STAGE_TYPES = ("agent_task", "approval", "wait_for_event")
ACTIONS = ("retry", "skip", "abort", "compensate")
# Approving is a decision: the roles that may write, never the read-only ones.
APPROVER_ROLES = ("owner", "admin", "maintainer", "operator")
STAGE_FIELDS = frozenset(
    {
        "name",
        "order",
        "stage_type",
        "agent_definition",
        "agent_image",
        "brief",
        "skills",
        "configs",
        "secrets",
        "inputs",
        "timeout_seconds",
        "on_failure",
        "approval",
        "event",
    }
)
MAX_ORDER = 1_000_000
MAX_ATTEMPTS = 100
MAX_BACKOFF_SECONDS = 24 * 3600
MAX_REFS = 100
MAX_SIGNAL = 200

Pin = dict[str, Any]


class Refs(Protocol):
    def pin(self, kind: str, ref: object, field: str) -> Pin:
        """{guid, version (int or "latest")} of what `ref` names in the organization."""


def _int(value: object, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=field)
    return value


def _only_for(stage: dict[str, Any], at: str, kind: str, fields: tuple[str, ...]) -> None:
    for name in fields:
        if stage.get(name) not in (None, [], ""):
            raise InvalidInput(f"{name} is for {kind} stages only", field=f"{at}.{name}")


def _brief(value: object, field: str, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value.encode("utf-8", "surrogatepass")) > MAX_BRIEF_BYTES:
        raise InvalidInput(f"brief must be text of at most {MAX_BRIEF_BYTES} bytes", field=field)
    if required and not value.strip():
        raise InvalidInput("an agent_task stage needs a brief", field=field)
    return value


def _pins(value: object, kind: str, field: str, refs: Refs) -> list[Pin]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_REFS:
        raise InvalidInput(f"must be a list of at most {MAX_REFS} references", field=field)
    pins = [refs.pin(kind, item, f"{field}[{i}]") for i, item in enumerate(value)]
    seen = set()
    for i, pin in enumerate(pins):
        if pin["guid"] in seen:
            raise InvalidInput("named twice in this stage", field=f"{field}[{i}]")
        seen.add(pin["guid"])
    return pins


def _on_failure(value: object, field: str) -> dict[str, Any]:
    given = {} if value is None else value
    if not isinstance(given, dict):
        raise InvalidInput("on_failure must be an object", field=field)
    unknown = sorted(
        set(given) - {"action", "max_attempts", "backoff_seconds", "compensation_stage"}
    )
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=f"{field}.{unknown[0]}")
    action = given.get("action", "abort")
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field=f"{field}.action")
    attempts = _int(given.get("max_attempts", 1), f"{field}.max_attempts", 1, MAX_ATTEMPTS)
    backoff = given.get("backoff_seconds", 0)
    if (
        not isinstance(backoff, int | float)
        or isinstance(backoff, bool)
        or not math.isfinite(backoff)
        or not 0 <= backoff <= MAX_BACKOFF_SECONDS
    ):
        raise InvalidInput(
            f"backoff_seconds must be a number from 0 to {MAX_BACKOFF_SECONDS}",
            field=f"{field}.backoff_seconds",
        )
    compensation = given.get("compensation_stage")
    at = f"{field}.compensation_stage"
    if action == "compensate":
        if compensation is None:
            raise InvalidInput("action compensate names a compensation_stage", field=at)
        validate_slug(compensation, field=at)  # that it exists is checked with all stages
    elif compensation is not None:
        raise InvalidInput("compensation_stage is for action compensate only", field=at)
    return {
        "action": action,
        "max_attempts": attempts,
        "backoff_seconds": backoff,
        "compensation_stage": compensation,
    }


def _approval(value: object, field: str) -> dict[str, Any]:
    roles = value.get("roles") if isinstance(value, dict) else None
    if not isinstance(value, dict) or set(value) != {"roles"} or not isinstance(roles, list):
        raise InvalidInput("an approval stage needs approval: {roles: [...]}", field=field)
    if not roles or len(set(map(str, roles))) != len(roles):
        raise InvalidInput("roles must be a non-empty list without repeats", field=f"{field}.roles")
    for i, role in enumerate(roles):
        if role not in APPROVER_ROLES:
            raise InvalidInput(
                f"an approver role is one of {', '.join(APPROVER_ROLES)}",
                field=f"{field}.roles[{i}]",
            )
    return {"roles": list(roles)}


def _event(value: object, field: str) -> dict[str, Any]:
    signal = value.get("signal") if isinstance(value, dict) else None
    if not isinstance(value, dict) or set(value) != {"signal"}:
        raise InvalidInput("a wait_for_event stage needs event: {signal: <name>}", field=field)
    if not isinstance(signal, str) or not signal.strip() or len(signal) > MAX_SIGNAL:
        raise InvalidInput(
            f"signal must be a non-empty name of at most {MAX_SIGNAL} characters",
            field=f"{field}.signal",
        )
    return {"signal": signal}


def _secrets(value: object, at: str) -> list[dict[str, Any]]:
    """The secrets the stage's task declares (names and delivery, as a task's `secrets`):
    names resolve from the instance's project when its task is submitted, so only their
    form is checked here."""
    try:
        return [dict(need) for need in validate_secret_needs(value)]
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"{at}.{exc.field or 'secrets'}") from None


def check_stage(stage: dict[str, Any], index: int, refs: Refs) -> dict[str, Any]:
    """Every field of one stage alone; its inputs, placeholders and compensation stage are
    checked against the other stages afterwards (template_content)."""
    at = f"stages[{index}]"
    unknown = sorted(set(stage) - STAGE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=f"{at}.{unknown[0]}")
    name = validate_slug(stage.get("name"), field=f"{at}.name")  # type: ignore[arg-type]
    order = _int(stage.get("order"), f"{at}.order", 0, MAX_ORDER)
    kind = stage.get("stage_type")
    if kind not in STAGE_TYPES:
        raise InvalidInput(
            f"stage_type must be one of {', '.join(STAGE_TYPES)}", field=f"{at}.stage_type"
        )
    is_task = kind == "agent_task"
    if not is_task:
        task_fields = ("agent_definition", "agent_image", "skills", "configs", "secrets")
        _only_for(stage, at, "agent_task", task_fields)
    if kind != "approval" and stage.get("approval") is not None:
        raise InvalidInput("approval is for approval stages only", field=f"{at}.approval")
    if kind != "wait_for_event" and stage.get("event") is not None:
        raise InvalidInput("event is for wait_for_event stages only", field=f"{at}.event")
    if is_task and stage.get("agent_definition") is None:
        raise InvalidInput(
            "an agent_task stage needs an agent_definition", field=f"{at}.agent_definition"
        )
    image = stage.get("agent_image")
    inputs = stage.get("inputs")
    inputs = {} if inputs is None else inputs
    if not isinstance(inputs, dict):
        raise InvalidInput("inputs must be an object of key -> mapping", field=f"{at}.inputs")
    timeout = stage.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
    return {
        "name": name,
        "order": order,
        "stage_type": kind,
        "agent_definition": (
            refs.pin("agent_definition", stage["agent_definition"], f"{at}.agent_definition")
            if is_task
            else None
        ),
        "agent_image": (
            validate_image(image, f"{at}.agent_image") if is_task and image is not None else None
        ),
        "brief": _brief(stage.get("brief"), f"{at}.brief", required=is_task),
        "skills": _pins(stage.get("skills"), "skill", f"{at}.skills", refs),
        "configs": _pins(stage.get("configs"), "config", f"{at}.configs", refs),
        "secrets": _secrets(stage.get("secrets"), at),
        "inputs": dict(inputs),  # keys and mappings: template_content
        "timeout_seconds": _int(timeout, f"{at}.timeout_seconds", 1, MAX_TIMEOUT_SECONDS),
        "on_failure": _on_failure(stage.get("on_failure"), f"{at}.on_failure"),
        "approval": _approval(stage.get("approval"), f"{at}.approval")
        if kind == "approval"
        else None,
        "event": _event(stage.get("event"), f"{at}.event") if kind == "wait_for_event" else None,
    }
