"""Regular expressions of user schemas run on RE2, whose time is linear in the input.

Python's `re` backtracks: `^(a+)+$` against forty a's and a `!` takes hours. jsonschema
runs `re` for `pattern`, `patternProperties` and `additionalProperties`; those keywords
are replaced here, and a pattern RE2 cannot compile (backreferences, lookarounds) is
refused when the schema is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

import re2
from jsonschema import validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from domain.core.errors import InvalidInput

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # an invalid pattern is the user's 422, not a server log line


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidInput(
            f"pattern {pattern!r} is not supported ({reason}); patterns run on RE2, which "
            "has no backreferences or lookarounds"
        ) from None


def _matches(pattern: str, text: str) -> bool:
    return compiled(pattern).search(text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, extra: Any, instance: Any, schema: dict[str, Any]
) -> Any:
    if not validator.is_type(instance, "object"):
        return
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = [
        key
        for key in instance
        if key not in known and not any(_matches(pattern, key) for pattern in patterns)
    ]
    if validator.is_type(extra, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra, path=key)
    elif not extra and extras:
        names = ", ".join(repr(key) for key in sorted(extras))
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            regexes = ", ".join(repr(pattern) for pattern in sorted(patterns))
            yield ValidationError(f"{names} {verb} not match any of the regexes: {regexes}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(
                f"Additional properties are not allowed ({names} {verb} unexpected)"
            )


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _unique_items(validator: Any, unique: Any, instance: Any, schema: dict[str, Any]) -> Any:
    # jsonschema compares unhashable items pairwise: quadratic in the array's length.
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(_canonical(item), sort_keys=True)
        if key in seen:
            yield ValidationError(f"{key} appears more than once; items must be unique")
            return
        seen.add(key)


@cache
def linear_time(cls: type[Validator]) -> type[Validator]:
    """The validator class `cls` with every regex keyword running on RE2."""
    replaced = {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
        "uniqueItems": _unique_items,
    }
    ours = {k: v for k, v in replaced.items() if k in cls.VALIDATORS}
    extended: type[Validator] = validators.extend(cls, ours)  # type: ignore[no-untyped-call]  # untyped in types-jsonschema
    return extended


def check_patterns(nodes: list[tuple[dict[str, Any], str]]) -> None:
    """Every pattern compiles on RE2; `unevaluatedProperties` is not mixed with
    `patternProperties`, as jsonschema evaluates that pair with Python's `re`."""
    unevaluated = None
    pattern_properties = False
    for node, path in nodes:
        if isinstance(node.get("pattern"), str):
            _compile_at(node["pattern"], f"{path}.pattern")
        if isinstance(node.get("patternProperties"), dict):
            pattern_properties = True
            for pattern in node["patternProperties"]:
                _compile_at(pattern, f"{path}.patternProperties.{pattern}")
        if "unevaluatedProperties" in node and unevaluated is None:
            unevaluated = f"{path}.unevaluatedProperties"
    if unevaluated and pattern_properties:
        raise InvalidInput(
            "unevaluatedProperties cannot be used in a schema that has patternProperties",
            field=unevaluated,
        )


def _compile_at(pattern: str, field: str) -> None:
    try:
        compiled(pattern)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None
