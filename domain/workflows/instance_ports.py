"""What the instance use cases need from elsewhere: published template versions (the
templates' own context) and Signalyard's system routes (the routing context)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from domain.core.context import CommandContext
from domain.tenancy.organization import Organization


@dataclass(frozen=True)
class PinnedTemplate:
    template_id: UUID
    version: int
    content: dict[str, Any]


class TemplateVersions(Protocol):
    def published(
        self, ctx: CommandContext, org: Organization, ref: str, version: int | str
    ) -> PinnedTemplate:
        """The template's published version (`latest`: the current one); NotFound or
        InvalidInput naming `template` / `template_version` otherwise."""
        ...

    def pinned(self, template_id: UUID, version: int) -> PinnedTemplate: ...


class SystemRoutes(Protocol):
    def ensure(self, organization_id: UUID) -> None:
        """The organization has Signalyard's workflow routes (installed once)."""
        ...
