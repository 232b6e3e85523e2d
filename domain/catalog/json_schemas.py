"""JSON Schema checks: a schema must itself be valid against its metaschema (draft 2020-12
unless it names another with `$schema`), refer to nothing outside itself, and stay within
the limits of `schema_limits`; documents are checked against schemas with RE2 patterns."""

from __future__ import annotations

from typing import Any

from jsonschema import exceptions
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from domain.catalog.schema_limits import check_document_bounds, check_schema_bounds
from domain.catalog.schema_patterns import check_patterns, linear_time
from domain.catalog.schema_refs import REGISTRY, check_refs, subschemas
from domain.core.errors import InvalidInput

MAX_MESSAGE = 300
MAX_ERRORS = 50


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def _validator_class(schema: dict[str, Any], field: str) -> type[Validator]:
    # The stub omits that any `default` (None here: an unknown $schema) is returned as is.
    cls: type[Validator] | None = validator_for(schema, default=None)  # type: ignore[arg-type]
    if cls is None:
        raise InvalidInput(f"unknown $schema {schema.get('$schema')!r}", field=f"{field}.$schema")
    return cls


def check_schema(schema: object, field: str) -> dict[str, Any]:
    if not isinstance(schema, dict):
        raise InvalidInput("must be a JSON Schema object", field=field)
    check_schema_bounds(schema, field)
    if "$schema" not in schema:
        cls = validator_for(schema)
    else:
        cls = _validator_class(schema, field)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        at = _pointer(exc.path)
        raise InvalidInput(
            f"not a valid JSON Schema: {_short(exc.message)}" + (f" (at {at})" if at else ""),
            field=field + at,
        ) from None
    # Every validator class has ID_OF; the stub's Validator protocol leaves it out.
    dialect: str = cls.ID_OF(cls.META_SCHEMA)  # type: ignore[attr-defined]
    check_refs(schema, dialect, field)
    check_patterns([(node, path) for node, path, _ in subschemas(schema, dialect, field)])
    return schema


def violations(schema: dict[str, Any], instance: Any, field: str = "input") -> list[dict[str, str]]:
    """Every way `instance` breaks `schema`: [{path (JSON pointer), message}], stable order."""
    check_document_bounds(instance, field)
    cls = validator_for(schema)
    validator = linear_time(cls)(schema, registry=REGISTRY, format_checker=cls.FORMAT_CHECKER)
    try:
        errors = sorted(
            validator.iter_errors(instance),
            key=lambda e: ([str(p) for p in e.absolute_path], e.message),
        )
    except Unresolvable as exc:
        raise InvalidInput(f"the schema has a $ref that cannot be resolved: {exc}") from None
    except RecursionError:
        raise InvalidInput("the schema refers to itself without end") from None
    return [
        {"path": _pointer(e.absolute_path), "message": _short(e.message)}
        for e in errors[:MAX_ERRORS]
    ]


def require_valid(schema: dict[str, Any], instance: Any, field: str, what: str) -> None:
    found = violations(schema, instance, field)
    if found:
        first = found[0]
        raise InvalidInput(
            f"{what} does not satisfy its schema: {first['message']}"
            + (f" (at {first['path']})" if first["path"] else ""),
            field=field + first["path"],
            errors=[{"field": field + v["path"], "message": v["message"]} for v in found],
        )
