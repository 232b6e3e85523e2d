"""What a task submission must satisfy before anything is stored: each fault names its field."""

from __future__ import annotations

import json
from typing import Any

from domain.core.errors import InvalidInput, TooLarge
from domain.core.urls import validate_url

MAX_BRIEF_BYTES = 256 * 1024
MAX_INPUT_BYTES = 64 * 1024
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
DEFAULT_TIMEOUT_SECONDS = 3600
MAX_PINS = 100


def validate_brief(brief: object) -> bytes:
    if not isinstance(brief, str):
        raise InvalidInput("brief must be text", field="brief")
    data = brief.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BRIEF_BYTES:
        raise TooLarge(f"brief must be at most {MAX_BRIEF_BYTES} bytes", field="brief")
    return data


def validate_input(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("input must be a JSON object", field="input")
    try:
        size = len(json.dumps(value, allow_nan=False, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise InvalidInput("input must be plain JSON", field="input") from None
    if size > MAX_INPUT_BYTES:
        raise InvalidInput(f"input must be at most {MAX_INPUT_BYTES} bytes", field="input")
    return value


def validate_timeout(value: object) -> int:
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < 1
        or value > MAX_TIMEOUT_SECONDS
    ):
        raise InvalidInput(
            f"timeout_seconds must be a whole number from 1 to {MAX_TIMEOUT_SECONDS}",
            field="timeout_seconds",
        )
    return value


def validate_callback_url(url: object) -> str | None:
    return validate_url(url, "callback_url")


def validate_reason(reason: object, default: str) -> str:
    if reason is None:
        return default
    if not isinstance(reason, str) or len(reason) > 500:
        raise InvalidInput("reason must be text of at most 500 characters", field="reason")
    return reason or default
