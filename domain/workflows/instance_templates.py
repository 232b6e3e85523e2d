"""`TemplateVersions` on the templates' aggregate: the version an instance starts on is
pinned by number, so a version published later never changes a running instance."""

from __future__ import annotations

from uuid import UUID

from domain.catalog.scope import CatalogScope
from domain.core.context import CommandContext
from domain.core.errors import InvalidInput, NotFound
from domain.plumbing.store import EventStore
from domain.tenancy.organization import Organization
from domain.workflows.instance_ports import PinnedTemplate
from domain.workflows.template import WorkflowTemplate
from domain.workflows.template_service import SLUG_KIND


class PublishedTemplates:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.catalog = CatalogScope(store)

    def published(
        self, ctx: CommandContext, org: Organization, ref: str, version: int | str
    ) -> PinnedTemplate:
        if not isinstance(ref, str) or not 1 <= len(ref) <= 100:
            raise InvalidInput("template must name a workflow template", field="template")
        try:
            template = self.catalog.find(WorkflowTemplate, SLUG_KIND, org, ref)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="template") from None
        number, content = template.pinned(version)
        return PinnedTemplate(template.id, number, content)

    def pinned(self, template_id: UUID, version: int) -> PinnedTemplate:
        template = self.store.load(template_id, WorkflowTemplate, "workflow template")
        return PinnedTemplate(template.id, version, template.version_record(version)["content"])
