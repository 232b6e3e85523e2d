"""Generic update / delete / undelete of any BaseCoreModel entity, with its slug claim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.core.aggregate import CoreAggregate
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import InvalidInput
from domain.core.slugs import validate_slug
from domain.core.values import validate_description, validate_name
from domain.identity.user import validate_email
from domain.plumbing.store import EventStore
from domain.tenancy.hierarchy import validate_settings
from domain.tenancy.organization import Organization, validate_website
from domain.tenancy.resolver import SLUG_KINDS, slug_scope


def _validate_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be a boolean", field=field)
    return value


# Each field's validator: the value as it came, the value to store.
FIELD_RULES: dict[str, Callable[[Any], Any]] = {
    "name": validate_name,
    "description": validate_description,
    "slug": validate_slug,
    "website": validate_website,
    "settings": validate_settings,
    "email": validate_email,
    "is_active": lambda v: _validate_bool(v, "is_active"),
}


def validated_changes(entity: CoreAggregate, requested: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for key, value in requested.items():
        rule = FIELD_RULES.get(key)
        clean[key] = rule(value) if rule else value
    return entity.changes_from(clean)


def tenant_of(entity: CoreAggregate) -> UUID | None:
    if isinstance(entity, Organization):
        return entity.id
    return getattr(entity, "organization_id", None)


def update_entity(
    store: EventStore,
    ctx: CommandContext,
    entity: CoreAggregate,
    requested: dict[str, Any],
    expected_version: int | None,
) -> CommandResult:
    entity.check_version(expected_version)
    changes = validated_changes(entity, requested)
    if not changes:
        return CommandResult.of(entity, 0)
    tenant = tenant_of(entity)
    touched: list[Aggregate] = [entity]
    if "slug" in changes and type(entity) in SLUG_KINDS:
        kind, scope = SLUG_KINDS[type(entity)], slug_scope(entity)
        touched.append(store.slugs.claim(ctx, tenant, kind, scope, changes["slug"], entity.id))
        released = store.slugs.release(ctx, tenant, kind, scope, entity.slug)
        if released is not None:
            touched.append(released)
    entity.update(changes=changes, meta=ctx.meta(tenant))
    position = store.record(*touched)
    return CommandResult.of(entity, position)


def delete_entity(
    store: EventStore, ctx: CommandContext, entity: CoreAggregate, expected_version: int | None
) -> CommandResult:
    return set_deleted(store, ctx, entity, True, expected_version)


def undelete_entity(
    store: EventStore, ctx: CommandContext, entity: CoreAggregate, expected_version: int | None
) -> CommandResult:
    return set_deleted(store, ctx, entity, False, expected_version)


def set_deleted(
    store: EventStore,
    ctx: CommandContext,
    entity: CoreAggregate,
    deleted: bool,
    expected_version: int | None,
) -> CommandResult:
    """Soft-delete (a tombstone) or restore any entity, tenants' and the platform's."""
    entity.check_version(expected_version)
    meta = ctx.meta(tenant_of(entity))
    if deleted:
        entity.soft_delete(meta=meta)
    else:
        entity.restore(meta=meta)
    return CommandResult.of(entity, store.record(entity))
