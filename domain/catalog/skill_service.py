"""Use cases of skills: create (publishing version 1), publish, roll back, edit, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.catalog.blobs import BlobStore
from domain.catalog.bundle import Bundle, read_bundle
from domain.catalog.publishing import Published, existing_version
from domain.catalog.scope import BASE_RULES, CatalogScope, clean_changes, validate_category
from domain.catalog.skill import Skill
from domain.core.context import CommandContext, CommandResult
from domain.core.values import slug_for, validate_description, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.roles import Action

SLUG_KIND = "skill"
RULES = {**BASE_RULES, "category": validate_category}


@with_read_sessions
class SkillService:
    def __init__(self, store: EventStore, blobs: BlobStore, max_bundle_bytes: int) -> None:
        self.store = store
        self.blobs = blobs
        self.max_bundle_bytes = max_bundle_bytes
        self.scope = CatalogScope(store)

    def _bundle(self, files: Mapping[str, object] | None, archive: bytes | None) -> Bundle:
        return read_bundle(files=files, archive=archive, max_bytes=self.max_bundle_bytes)

    def _publish(self, skill: Skill, bundle: Bundle, meta: dict) -> dict:
        # The blob first: an orphan blob is harmless, an event naming a missing one is not.
        storage_ref = self.blobs.put(bundle.to_zip())
        return skill.publish(
            content_hash=bundle.content_hash,
            storage_ref=storage_ref,
            files=bundle.manifest,
            front_matter=bundle.document.front_matter,
            meta=meta,
        )

    def create(
        self,
        ctx: CommandContext,
        org_ref: str,
        category: str,
        *,
        files: Mapping[str, object] | None = None,
        archive: bytes | None = None,
        name: str | None = None,
        slug: str | None = None,
        description: str | None = None,
    ) -> Published:
        """Name and description default to the bundle's front matter."""
        org = self.scope.org(ctx, Action.CATALOG_WRITE, org_ref)
        category = validate_category(category)
        bundle = self._bundle(files, archive)
        name = validate_name(bundle.document.name if name is None else name)
        slug = slug_for(name, slug)
        if description is None:
            description = bundle.document.description
        meta = ctx.meta(org.id)
        skill = Skill(
            organization_id=org.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            category=category,
            meta=meta,
        )
        claim = self.store.slugs.claim(ctx, org.id, SLUG_KIND, org.id, slug, skill.id)
        version = self._publish(skill, bundle, meta)
        return Published(CommandResult.of(skill, self.store.record(skill, claim)), version, True)

    def publish(
        self,
        ctx: CommandContext,
        org_ref: str,
        skill_ref: str,
        *,
        files: Mapping[str, object] | None = None,
        archive: bytes | None = None,
        expected_version: int | None = None,
    ) -> Published:
        skill = self.find(ctx, Action.CATALOG_WRITE, org_ref, skill_ref)
        skill.check_version(expected_version)
        bundle = self._bundle(files, archive)
        same = existing_version(skill, bundle.content_hash)
        if same is not None:
            return same
        version = self._publish(skill, bundle, ctx.meta(skill.organization_id))
        return Published(CommandResult.of(skill, self.store.record(skill)), version, True)

    def roll_back(
        self,
        ctx: CommandContext,
        org_ref: str,
        skill_ref: str,
        to_version: int,
        expected_version: int | None,
    ) -> CommandResult:
        skill = self.find(ctx, Action.CATALOG_WRITE, org_ref, skill_ref)
        skill.check_version(expected_version)
        skill.roll_back(to_version, meta=ctx.meta(skill.organization_id))
        return CommandResult.of(skill, self.store.record(skill))

    def update(
        self,
        ctx: CommandContext,
        org_ref: str,
        skill_ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        skill = self.find(ctx, Action.CATALOG_WRITE, org_ref, skill_ref)
        return self.scope.update(
            ctx, skill, SLUG_KIND, clean_changes(changes, RULES), expected_version
        )

    def set_deleted(
        self,
        ctx: CommandContext,
        org_ref: str,
        skill_ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        skill = self.find(
            ctx, Action.CATALOG_WRITE, org_ref, skill_ref, include_deleted=not deleted
        )
        return self.scope.set_deleted(ctx, skill, deleted, expected_version)

    @reads_only
    def history(self, ctx: CommandContext, org_ref: str, skill_ref: str) -> tuple[Skill, list]:
        skill = self.find(ctx, Action.READ, org_ref, skill_ref, include_deleted=True)
        return skill, self.store.history(skill.id)

    @reads_only
    def find(
        self,
        ctx: CommandContext,
        action: Action,
        org_ref: str,
        skill_ref: str,
        include_deleted: bool = False,
    ) -> Skill:
        org = self.scope.org(ctx, action, org_ref)
        return self.scope.find(Skill, SLUG_KIND, org, skill_ref, include_deleted=include_deleted)
