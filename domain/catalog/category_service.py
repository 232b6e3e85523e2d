"""Use cases of config categories: the JSON Schema of one category of configs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.catalog.config_category import ConfigCategory
from domain.catalog.json_schemas import check_schema
from domain.catalog.scope import CatalogScope, validate_category
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import NotFound, VersionRequired
from domain.core.values import validate_description
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.roles import Action


@with_read_sessions
class CategoryService:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = CatalogScope(store)

    def put(
        self,
        ctx: CommandContext,
        org_ref: str,
        category: str,
        schema: object,
        description: str | None = None,
        expected_version: int | None = None,
    ) -> tuple[CommandResult, bool]:
        """Define the category's schema, or replace it (If-Match to replace)."""
        org = self.scope.org(ctx, Action.CATALOG_WRITE, org_ref)
        category = validate_category(category)
        schema = check_schema(schema, "schema")
        meta = ctx.meta(org.id)
        existing = self.store.find(ConfigCategory.create_id(org.id, category), ConfigCategory)
        if existing is None:
            defined = ConfigCategory(
                id=ConfigCategory.create_id(org.id, category),
                organization_id=org.id,
                name=category,
                slug=category,
                description=validate_description(description),
                schema=schema,
                meta=meta,
            )
            return CommandResult.of(defined, self.store.record(defined)), True
        if expected_version is None:
            raise VersionRequired('the category exists: send If-Match: "<version>" to change it')
        existing.check_version(expected_version)
        if existing.is_deleted:
            existing.restore(meta=meta)
        changes: dict[str, Any] = {"schema": schema}
        if description is not None:
            changes["description"] = validate_description(description)
        changes = existing.changes_from(changes)
        if changes:
            existing.update(changes=changes, meta=meta)
        if not existing.pending_events:
            return CommandResult.of(existing, 0), False
        return CommandResult.of(existing, self.store.record(existing)), False

    def delete(
        self, ctx: CommandContext, org_ref: str, category: str, expected_version: int | None
    ) -> CommandResult:
        """Configs of the category are no longer checked against a schema."""
        org = self.scope.org(ctx, Action.CATALOG_WRITE, org_ref)
        defined = self._find(org.id, category)
        return self.scope.set_deleted(ctx, defined, True, expected_version)

    @reads_only
    def history(
        self, ctx: CommandContext, org_ref: str, category: str
    ) -> tuple[ConfigCategory, list[DomainEventProtocol[UUID]]]:
        org = self.scope.org(ctx, Action.READ, org_ref)
        defined = self._find(org.id, category, include_deleted=True)
        return defined, self.store.history(defined.id)

    def _find(self, org_id: UUID, category: str, include_deleted: bool = False) -> ConfigCategory:
        defined = self.store.find(ConfigCategory.create_id(org_id, category), ConfigCategory)
        if defined is None or (defined.is_deleted and not include_deleted):
            raise NotFound(f"config category {category!r} not found")
        return defined
