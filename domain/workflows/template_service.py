"""Use cases of workflow templates: create (a draft, no version yet), replace or patch the
draft, publish it as the next immutable version, roll back, edit, delete, read the history.
Owners, admins and maintainers change templates (catalog.write); members read them."""

from __future__ import annotations

from typing import Any

from domain.catalog.config import content_hash_of
from domain.catalog.definition_service import DefinitionService
from domain.catalog.publishing import Published
from domain.catalog.scope import validate_category
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import InvalidInput, NotFound
from domain.core.values import slug_for, validate_name
from domain.plumbing.unit_of_work import with_read_sessions
from domain.tenancy.organization import Organization
from domain.workflows.template import WorkflowTemplate
from domain.workflows.template_content import publishable_content
from domain.workflows.template_draft import merge_patch, validate_draft
from domain.workflows.template_refs import OrgRefs

SLUG_KIND = "workflow-template"


@with_read_sessions
class WorkflowTemplateService(DefinitionService[WorkflowTemplate]):
    kind = WorkflowTemplate
    slug_kind = SLUG_KIND

    def create(
        self,
        ctx: CommandContext,
        org_ref: str,
        name: str,
        slug: str | None = None,
        description: str = "",
        category: str = "general",
        draft: object = None,
    ) -> CommandResult:
        org = self.scope.org(ctx, self.write_action, org_ref)
        name = validate_name(name)
        slug = slug_for(name, slug)
        category = validate_category(category)
        clean = validate_draft(draft) if draft is not None else None
        template = self._new(ctx, org, name, slug, description, category)
        if clean is not None:
            template.save_draft(clean, meta=ctx.meta(org.id))
        claim = self.store.slugs.claim(ctx, org.id, self.slug_kind, org.id, slug, template.id)
        return CommandResult.of(template, self.store.record(template, claim))

    def replace_draft(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        draft: object,
        expected_version: int | None,
    ) -> CommandResult:
        template = self.find(ctx, self.write_action, org_ref, ref)
        template.check_version(expected_version)
        return self._save(ctx, template, validate_draft(draft))

    def patch_draft(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        patch: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        """`patch` is a JSON Merge Patch (RFC 7386) of the draft."""
        template = self.find(ctx, self.write_action, org_ref, ref)
        template.check_version(expected_version)
        return self._save(ctx, template, validate_draft(merge_patch(template.draft, patch)))

    def _save(
        self, ctx: CommandContext, template: WorkflowTemplate, draft: dict[str, Any]
    ) -> CommandResult:
        if not template.save_draft(draft, meta=ctx.meta(template.organization_id)):
            return CommandResult.of(template, 0)
        return CommandResult.of(template, self.store.record(template))

    def publish(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        expected_version: int | None = None,
    ) -> Published:
        """The draft as the next version; a draft equal to an existing version (once
        resolved) publishes nothing and returns that version."""
        org = self.scope.org(ctx, self.write_action, org_ref)
        template = self.scope.find(self.kind, self.slug_kind, org, ref)
        template.check_version(expected_version)
        content = publishable_content(template.draft, OrgRefs(self.scope, org))
        return self._publish(
            ctx, template, content_hash_of(content), lambda meta: template.publish(content, meta)
        )


def pin_template(
    service: WorkflowTemplateService, org: Organization, ref: object, version: object = "latest"
) -> tuple[WorkflowTemplate, int, dict[str, Any]]:
    """The template an instance starts from (a guid or slug in `org`), the version it pins
    (`latest`: the current one) and that version's content. Unknown, deleted or unpublished
    -> 422 naming `template` (or `template_version`), as any bad input of a start."""
    if not isinstance(ref, str) or not 1 <= len(ref) <= 100:
        raise InvalidInput("template must be a guid or a slug", field="template")
    try:
        template = service.scope.find(WorkflowTemplate, SLUG_KIND, org, ref)
    except NotFound:
        raise InvalidInput(f"workflow template {ref!r} not found", field="template") from None
    number, content = template.pinned(version)
    return template, number, content
