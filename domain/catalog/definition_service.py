"""What the use cases of versioned definitions share (skills and configs; task and
workflow templates and agent definitions next): find one in its organization, create it
with its first version, publish, roll back, edit, delete, read its history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.catalog.publishing import Published, existing_version
from domain.catalog.scope import BASE_RULES, CatalogScope, clean_changes, validate_category
from domain.catalog.versioned import VersionedAggregate, VersionRecord
from domain.core.context import CommandContext, CommandResult, Meta
from domain.core.values import validate_description
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action

D = TypeVar("D", bound=VersionedAggregate)
# Publishes the next version with the given meta and returns its record.
Publish = Callable[[Meta], VersionRecord]


class DefinitionService(Generic[D]):
    """A subclass names its aggregate and slug kind and is decorated @with_read_sessions."""

    kind: type[D]  # set by each subclass on its class
    slug_kind: ClassVar[str]
    rules: ClassVar[dict[str, Any]] = {**BASE_RULES, "category": validate_category}
    # What changing a definition takes (EventRoutes and agent definitions: org admins only).
    write_action: ClassVar[Action] = Action.CATALOG_WRITE

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = CatalogScope(store)

    def _new(
        self,
        ctx: CommandContext,
        org: Organization,
        name: str,
        slug: str,
        description: str,
        category: str,
    ) -> D:
        """A new definition (name, slug and category validated by the caller)."""
        return self.kind(
            organization_id=org.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            category=category,
            meta=ctx.meta(org.id),
        )

    def _create(
        self, ctx: CommandContext, org: Organization, new: D, publish: Publish
    ) -> Published:
        """Record a new definition, its slug claim and its first version together."""
        claim = self.store.slugs.claim(ctx, org.id, self.slug_kind, org.id, new.slug, new.id)
        version = publish(ctx.meta(org.id))
        return Published(CommandResult.of(new, self.store.record(new, claim)), version, True)

    def _publish(
        self, ctx: CommandContext, definition: D, content_hash: str, publish: Publish
    ) -> Published:
        """A new version, unless one with the same content exists (then that one)."""
        same = existing_version(definition, content_hash)
        if same is not None:
            return same
        version = publish(ctx.meta(definition.organization_id))
        return Published(CommandResult.of(definition, self.store.record(definition)), version, True)

    def _check_changes(self, definition: D, changes: dict[str, Any]) -> None:
        """A subclass's own rule on validated changes, before they are applied."""

    def roll_back(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        to_version: int,
        expected_version: int | None,
    ) -> CommandResult:
        definition = self.find(ctx, self.write_action, org_ref, ref)
        definition.check_version(expected_version)
        definition.roll_back(to_version, meta=ctx.meta(definition.organization_id))
        return CommandResult.of(definition, self.store.record(definition))

    def update(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        definition = self.find(ctx, self.write_action, org_ref, ref)
        clean = clean_changes(changes, self.rules)
        self._check_changes(definition, clean)
        return self.scope.update(ctx, definition, self.slug_kind, clean, expected_version)

    def set_deleted(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        definition = self.find(ctx, self.write_action, org_ref, ref, include_deleted=not deleted)
        return self.scope.set_deleted(ctx, definition, deleted, expected_version)

    @reads_only
    def history(
        self, ctx: CommandContext, org_ref: str, ref: str
    ) -> tuple[D, list[DomainEventProtocol[UUID]]]:
        definition = self.find(ctx, Action.READ, org_ref, ref, include_deleted=True)
        return definition, self.store.history(definition.id)

    @reads_only
    def find(
        self,
        ctx: CommandContext,
        action: Action,
        org_ref: str,
        ref: str,
        include_deleted: bool = False,
    ) -> D:
        org = self.scope.org(ctx, action, org_ref)
        found = self.scope.find(
            self.kind, self.slug_kind, org, ref, include_deleted=include_deleted
        )
        return found
