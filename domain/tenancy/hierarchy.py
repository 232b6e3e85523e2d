"""Team -> Workspace -> Project, each scoped to its parent and tagged with its tenant."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput

MAX_SETTINGS_BYTES = 64 * 1024


def validate_settings(settings: object) -> dict[str, Any]:
    if not isinstance(settings, dict):
        raise InvalidInput("settings must be a JSON object", field="settings")
    if len(json.dumps(settings)) > MAX_SETTINGS_BYTES:
        raise InvalidInput(f"settings must be at most {MAX_SETTINGS_BYTES} bytes", field="settings")
    return settings


class Team(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"name", "description", "slug"})

    @event("Created")
    def __init__(
        self, organization_id: UUID, name: str, slug: str, description: str, meta: Meta
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id


class Workspace(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"name", "description", "slug", "is_active"})

    @event("Created")
    def __init__(
        self,
        organization_id: UUID,
        team_id: UUID,
        name: str,
        slug: str,
        description: str,
        is_active: bool,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.is_active = is_active


class Project(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"name", "description", "slug", "settings"})

    @event("Created")
    def __init__(
        self,
        organization_id: UUID,
        team_id: UUID,
        workspace_id: UUID,
        name: str,
        slug: str,
        description: str,
        settings: dict[str, Any],
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.organization_id = organization_id
        self.team_id = team_id
        self.workspace_id = workspace_id
        self.settings = settings
