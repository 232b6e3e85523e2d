"""Finding catalog entities inside their organization (or the platform), with the access
check first: outsiders get NotFound, members read, owners and admins write."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.core.aggregate import CoreAggregate
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import InvalidInput, NotFound
from domain.core.slugs import looks_like_uuid, validate_slug
from domain.core.values import validate_description, validate_name
from domain.plumbing.store import EventStore
from domain.tenancy.access import AccessPolicy
from domain.tenancy.entities import set_deleted
from domain.tenancy.organization import Organization
from domain.tenancy.resolver import Resolver
from domain.tenancy.roles import Action

C = TypeVar("C", bound=CoreAggregate)
PLATFORM = ""  # slug scope of platform-wide entities


def validate_category(category: object) -> str:
    if not isinstance(category, str):
        raise InvalidInput("category must be a string", field="category")
    return validate_slug(category, field="category")


BASE_RULES = {"name": validate_name, "description": validate_description, "slug": validate_slug}


class CatalogScope:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.resolve = Resolver(store)
        self.access = AccessPolicy(store)

    def org(self, ctx: CommandContext, action: Action, org_ref: str) -> Organization:
        chain = self.resolve.chain(org_ref)
        self.access.require(ctx, action, chain)
        return chain.org

    def find(
        self,
        kind: type[C],
        slug_kind: str,
        org: Organization | None,
        ref: str,
        *,
        include_deleted: bool = False,
    ) -> C:
        what = slug_kind.replace("-", " ")
        scope = str(org.id) if org else PLATFORM
        guid = looks_like_uuid(ref) or self.store.slugs.owner(slug_kind, scope, ref)
        entity = self.store.find(guid, kind) if guid else None
        owner = org.id if org else None
        if entity is None or getattr(entity, "organization_id", None) != owner:
            raise NotFound(f"{what} {ref!r} not found")
        if entity.is_deleted and not include_deleted:
            raise NotFound(f"{what} {ref!r} not found")
        return entity

    def update(
        self,
        ctx: CommandContext,
        entity: CoreAggregate,
        slug_kind: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        """Apply validated changes; a new slug is claimed and the old one released."""
        entity.check_version(expected_version)
        changes = entity.changes_from(changes)
        if not changes:
            return CommandResult.of(entity, 0)
        tenant: UUID | None = getattr(entity, "organization_id", None)
        scope = str(tenant) if tenant else PLATFORM
        touched: list[Aggregate] = [entity]
        if "slug" in changes:
            touched.append(
                self.store.slugs.claim(ctx, tenant, slug_kind, scope, changes["slug"], entity.id)
            )
            released = self.store.slugs.release(ctx, tenant, slug_kind, scope, entity.slug)
            if released is not None:
                touched.append(released)
        entity.update(changes=changes, meta=ctx.meta(tenant))
        return CommandResult.of(entity, self.store.record(*touched))

    def set_deleted(
        self,
        ctx: CommandContext,
        entity: CoreAggregate,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        return set_deleted(self.store, ctx, entity, deleted, expected_version)


def clean_changes(requested: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for key, value in requested.items():
        rule = rules.get(key)
        if rule is None:
            raise InvalidInput(f"field {key!r} cannot be changed", field=key)
        clean[key] = rule(value)
    return clean
