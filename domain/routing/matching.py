"""Which events a route takes (type and source, exact or glob) and the workflow id it
targets (a template over the event).

Globs: `*` matches any run of characters within one segment (segments are split by `.` in
a type, `/` in a source), `**` matches across segments, `?` one character; nothing else is
special (no character classes), so a literal pattern is an exact match.
Templates: `{a.b.c}` is the value at that dotted path of the CloudEvent (`{data.task_id}`,
`{subject}`); `{{` and `}}` are literal braces. It is a substitution of our own, never
`str.format`, so a template cannot reach attributes or format specs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from domain.core.errors import InvalidInput

MAX_PATTERN = 500
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\}|[{}]")


@lru_cache(maxsize=4096)
def _glob(pattern: str, separator: str) -> re.Pattern[str]:
    out, i = [], 0
    not_sep = f"[^{re.escape(separator)}]"
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append(f"{not_sep}*")
            i += 1
        elif pattern[i] == "?":
            out.append(not_sep)
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def type_matches(pattern: str, event_type: object) -> bool:
    return isinstance(event_type, str) and bool(_glob(pattern, ".").fullmatch(event_type))


def source_matches(pattern: str, source: object) -> bool:
    return isinstance(source, str) and bool(_glob(pattern, "/").fullmatch(source))


def validate_pattern(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATTERN:
        raise InvalidInput(
            f"{field} must be a non-empty string of at most {MAX_PATTERN} characters",
            field=field,
        )
    return value


def validate_template(value: object, field: str = "target_wf_id") -> str:
    value = validate_pattern(value, field)
    for match in _PLACEHOLDER.finditer(value):
        if match.group(0) in ("{", "}"):
            raise InvalidInput(
                f"{field}: a brace must open a {{dotted.path}} placeholder "
                "or be doubled ({{ or }})",
                field=field,
            )
    return value


class MissingKey(LookupError):
    def __init__(self, path: str) -> None:
        super().__init__(f"the event has no value at {path!r}")
        self.path = path


def _lookup(event: Any, path: str) -> Any:
    value = event
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isascii() and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            raise MissingKey(path)
    if value is None or isinstance(value, (dict, list)):
        raise MissingKey(path)  # only a scalar makes a workflow id
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def render_target(template: str, event: dict[str, Any]) -> str:
    """The workflow id for this event; MissingKey names a path the event lacks."""

    def substitute(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        if match.group(1) is None:
            return text
        return str(_lookup(event, match.group(1)))

    return _PLACEHOLDER.sub(substitute, template)
