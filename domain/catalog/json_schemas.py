"""JSON Schema checks: a schema must itself be valid against its metaschema (draft 2020-12
unless it names another with `$schema`) and refer to nothing outside itself; documents are
checked against schemas."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import exceptions
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from domain.catalog.schema_refs import REGISTRY, check_refs
from domain.core.errors import InvalidInput

MAX_SCHEMA_BYTES = 64 * 1024
MAX_MESSAGE = 300
MAX_ERRORS = 50


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def _validator_class(schema: dict, field: str) -> Any:
    cls = validator_for(schema, default=None)
    if cls is None:
        raise InvalidInput(f"unknown $schema {schema.get('$schema')!r}", field=f"{field}.$schema")
    return cls


def check_schema(schema: object, field: str) -> dict:
    if not isinstance(schema, dict):
        raise InvalidInput("must be a JSON Schema object", field=field)
    if len(json.dumps(schema)) > MAX_SCHEMA_BYTES:
        raise InvalidInput(f"schema must be at most {MAX_SCHEMA_BYTES} bytes", field=field)
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
    check_refs(schema, cls.ID_OF(cls.META_SCHEMA), field)
    return schema


def violations(schema: dict, instance: Any) -> list[dict[str, str]]:
    """Every way `instance` breaks `schema`: [{path (JSON pointer), message}], stable order."""
    cls = validator_for(schema)
    validator = cls(schema, registry=REGISTRY, format_checker=cls.FORMAT_CHECKER)
    try:
        errors = sorted(
            validator.iter_errors(instance),
            key=lambda e: ([str(p) for p in e.absolute_path], e.message),
        )
    except Unresolvable as exc:
        raise InvalidInput(f"the schema has a $ref that cannot be resolved: {exc}") from None
    return [
        {"path": _pointer(e.absolute_path), "message": _short(e.message)}
        for e in errors[:MAX_ERRORS]
    ]


def require_valid(schema: dict, instance: Any, field: str, what: str) -> None:
    found = violations(schema, instance)
    if found:
        first = found[0]
        raise InvalidInput(
            f"{what} does not satisfy its schema: {first['message']}"
            + (f" (at {first['path']})" if first["path"] else ""),
            field=field + first["path"],
            errors=[{"field": field + v["path"], "message": v["message"]} for v in found],
        )
