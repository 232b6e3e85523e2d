"""ConfigCategory: the JSON Schema every config of one category in an organization must
satisfy. Its id derives from (organization, category), so there is one per category."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/config-categories")


class ConfigCategory(CoreAggregate):
    UPDATABLE = frozenset({"description", "schema"})

    @staticmethod
    def create_id(organization_id: UUID, category: str) -> UUID:
        return uuid5(_NAMESPACE, f"{organization_id}/{category}")

    @event("Created")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - derived from (organization, category)
        organization_id: UUID,
        name: str,
        slug: str,
        description: str,
        schema: dict[str, Any],
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.schema = schema

    @property
    def category(self) -> str:
        return self.slug
