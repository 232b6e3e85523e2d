"""`TemplateVersions` on the templates' aggregate: the version an instance starts on is
pinned by number, so a version published later never changes a running instance."""

from __future__ import annotations

from uuid import UUID

from domain.core.context import CommandContext
from domain.plumbing.store import EventStore
from domain.tenancy.organization import Organization
from domain.workflows.instance_ports import PinnedTemplate
from domain.workflows.template import WorkflowTemplate
from domain.workflows.template_service import WorkflowTemplateService, pin_template


class PublishedTemplates:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.templates = WorkflowTemplateService(store)

    def published(
        self, ctx: CommandContext, org: Organization, ref: str, version: int | str
    ) -> PinnedTemplate:
        template, number, content = pin_template(self.templates, org, ref, version)
        return PinnedTemplate(template.id, number, content)

    def pinned(self, template_id: UUID, version: int) -> PinnedTemplate:
        template = self.store.load(template_id, WorkflowTemplate, "workflow template")
        return PinnedTemplate(template.id, version, template.version_record(version)["content"])
