"""Use cases of skills: create (publishing version 1), publish, roll back, edit, delete."""

from __future__ import annotations

from collections.abc import Mapping

from domain.catalog.blobs import BlobStore
from domain.catalog.bundle import Bundle, read_bundle
from domain.catalog.definition_service import DefinitionService, Publish
from domain.catalog.publishing import Published
from domain.catalog.scope import validate_category
from domain.catalog.skill import Skill
from domain.catalog.versioned import VersionRecord
from domain.core.context import CommandContext, Meta
from domain.core.values import slug_for, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import with_read_sessions
from domain.tenancy.roles import Action


@with_read_sessions
class SkillService(DefinitionService[Skill]):
    kind = Skill
    slug_kind = "skill"

    def __init__(self, store: EventStore, blobs: BlobStore, max_bundle_bytes: int) -> None:
        super().__init__(store)
        self.blobs = blobs
        self.max_bundle_bytes = max_bundle_bytes

    def _bundle(self, files: Mapping[str, object] | None, archive: bytes | None) -> Bundle:
        return read_bundle(files=files, archive=archive, max_bytes=self.max_bundle_bytes)

    def _publisher(self, skill: Skill, bundle: Bundle) -> Publish:
        def publish(meta: Meta) -> VersionRecord:
            # The blob first: an orphan blob is harmless, an event naming a missing one is not.
            storage_ref = self.blobs.put(bundle.to_zip())
            return skill.publish(
                content_hash=bundle.content_hash,
                storage_ref=storage_ref,
                files=bundle.manifest,
                front_matter=bundle.document.front_matter,
                meta=meta,
            )

        return publish

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
        skill = self._new(ctx, org, name, slug, description, category)
        return self._create(ctx, org, skill, self._publisher(skill, bundle))

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
        return self._publish(ctx, skill, bundle.content_hash, self._publisher(skill, bundle))
