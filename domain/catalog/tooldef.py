"""ToolDef: a tool agents may call. Platform tools (no organization) are managed by
platform admins; an organization may define its own."""

from __future__ import annotations

import re
from typing import Any, Literal, overload
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput

MAX_REF = 500
_REF = re.compile(r"^\S+$")


@overload
def validate_ref(value: object, field: str, required: Literal[True] = True) -> str: ...
@overload
def validate_ref(value: object, field: str, required: bool) -> str | None: ...
def validate_ref(value: object, field: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_REF or not _REF.match(value):
        raise InvalidInput(
            f"{field} must be a reference of 1-{MAX_REF} characters without spaces", field=field
        )
    return value


class ToolDef(CoreAggregate):
    UPDATABLE = frozenset(
        {"name", "description", "slug", "input_schema", "handler_ref", "adapter_ref"}
    )

    @event("Created")
    def __init__(
        self,
        organization_id: UUID | None,
        name: str,
        slug: str,
        description: str,
        input_schema: dict[str, Any],
        handler_ref: str,
        adapter_ref: str | None,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.input_schema = input_schema
        self.handler_ref = handler_ref
        self.adapter_ref = adapter_ref
