"""Use cases of configs: create (version 1), publish, roll back, edit, delete. Content
must satisfy its category's JSON Schema when the organization has defined one."""

from __future__ import annotations

from typing import Any

from domain.catalog.config import Config, content_hash_of, validate_content
from domain.catalog.config_category import ConfigCategory
from domain.catalog.definition_service import DefinitionService
from domain.catalog.json_schemas import require_valid
from domain.catalog.publishing import Published
from domain.catalog.scope import validate_category
from domain.core.context import CommandContext
from domain.core.values import slug_for, validate_name
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.roles import Action


@with_read_sessions
class ConfigService(DefinitionService[Config]):
    kind = Config
    slug_kind = "config"

    @reads_only
    def check_against_category(self, org_id: Any, category: str, content: dict[str, Any]) -> None:
        defined = self.store.find(ConfigCategory.create_id(org_id, category), ConfigCategory)
        if defined is not None and not defined.is_deleted:
            require_valid(defined.schema, content, "content", f"content of category {category!r}")

    def _check_changes(self, config: Config, changes: dict[str, Any]) -> None:
        if changes.get("category", config.category) != config.category:
            # The current content must fit the schema of the category it moves to.
            self.check_against_category(config.organization_id, changes["category"], config.content)

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
        config = self._new(ctx, org, name, slug, description, category)
        return self._create(ctx, org, config, lambda meta: config.publish(content, meta=meta))

    def publish(
        self,
        ctx: CommandContext,
        org_ref: str,
        config_ref: str,
        content: object,
        expected_version: int | None = None,
    ) -> Published:
        config = self.find(ctx, Action.CATALOG_WRITE, org_ref, config_ref)
        config.check_version(expected_version)
        content = validate_content(content)
        self.check_against_category(config.organization_id, config.category, content)
        return self._publish(
            ctx, config, content_hash_of(content), lambda meta: config.publish(content, meta=meta)
        )
