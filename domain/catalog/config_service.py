"""Use cases of configs: create (version 1), publish, roll back, edit, delete. Content
must satisfy its category's JSON Schema when the organization has defined one."""

from __future__ import annotations

from typing import Any

from domain.catalog.config import Config, content_hash_of, validate_content
from domain.catalog.config_category import ConfigCategory
from domain.catalog.json_schemas import require_valid
from domain.catalog.publishing import Published, existing_version
from domain.catalog.scope import BASE_RULES, CatalogScope, clean_changes, validate_category
from domain.core.context import CommandContext, CommandResult
from domain.core.values import slug_for, validate_description, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action

SLUG_KIND = "config"
RULES = {**BASE_RULES, "category": validate_category}


@with_read_sessions
class ConfigService:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = CatalogScope(store)

    @reads_only
    def check_against_category(self, org_id: Any, category: str, content: dict) -> None:
        defined = self.store.find(ConfigCategory.create_id(org_id, category), ConfigCategory)
        if defined is not None and not defined.is_deleted:
            require_valid(defined.schema, content, "content", f"content of category {category!r}")

    def create(
        self,
        ctx: CommandContext,
        org_ref: str,
        name: str,
        category: str,
        content: object,
        slug: str | None = None,
        description: str = "",
    ) -> Published:
        org = self.scope.org(ctx, Action.CATALOG_WRITE, org_ref)
        name = validate_name(name)
        slug = slug_for(name, slug)
        category = validate_category(category)
        content = validate_content(content)
        self.check_against_category(org.id, category, content)
        meta = ctx.meta(org.id)
        config = Config(
            organization_id=org.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            category=category,
            meta=meta,
        )
        claim = self.store.slugs.claim(ctx, org.id, SLUG_KIND, org.id, slug, config.id)
        version = config.publish(content, meta=meta)
        return Published(CommandResult.of(config, self.store.record(config, claim)), version, True)

    def publish(
        self,
        ctx: CommandContext,
        org_ref: str,
        config_ref: str,
        content: object,
        expected_version: int | None = None,
    ) -> Published:
        org, config = self._find(ctx, Action.CATALOG_WRITE, org_ref, config_ref)
        config.check_version(expected_version)
        content = validate_content(content)
        self.check_against_category(org.id, config.category, content)
        same = existing_version(config, content_hash_of(content))
        if same is not None:
            return same
        version = config.publish(content, meta=ctx.meta(org.id))
        return Published(CommandResult.of(config, self.store.record(config)), version, True)

    def roll_back(
        self,
        ctx: CommandContext,
        org_ref: str,
        config_ref: str,
        to_version: int,
        expected_version: int | None,
    ) -> CommandResult:
        org, config = self._find(ctx, Action.CATALOG_WRITE, org_ref, config_ref)
        config.check_version(expected_version)
        config.roll_back(to_version, meta=ctx.meta(org.id))
        return CommandResult.of(config, self.store.record(config))

    def update(
        self,
        ctx: CommandContext,
        org_ref: str,
        config_ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        org, config = self._find(ctx, Action.CATALOG_WRITE, org_ref, config_ref)
        clean = clean_changes(changes, RULES)
        if clean.get("category", config.category) != config.category:
            # The current content must fit the schema of the category it moves to.
            self.check_against_category(org.id, clean["category"], config.content)
        return self.scope.update(ctx, config, SLUG_KIND, clean, expected_version)

    def set_deleted(
        self,
        ctx: CommandContext,
        org_ref: str,
        config_ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        _, config = self._find(
            ctx, Action.CATALOG_WRITE, org_ref, config_ref, include_deleted=not deleted
        )
        return self.scope.set_deleted(ctx, config, deleted, expected_version)

    @reads_only
    def history(self, ctx: CommandContext, org_ref: str, config_ref: str) -> tuple[Config, list]:
        _, config = self._find(ctx, Action.READ, org_ref, config_ref, include_deleted=True)
        return config, self.store.history(config.id)

    def _find(
        self,
        ctx: CommandContext,
        action: Action,
        org_ref: str,
        config_ref: str,
        include_deleted: bool = False,
    ) -> tuple[Organization, Config]:
        org = self.scope.org(ctx, action, org_ref)
        found = self.scope.find(Config, SLUG_KIND, org, config_ref, include_deleted=include_deleted)
        return org, found
