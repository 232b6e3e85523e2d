"""Who is acting, and why: carried into every event as its `meta`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class CommandContext:
    actor_id: UUID | None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None
    is_platform_admin: bool = False

    @property
    def actor(self) -> str:
        return str(self.actor_id) if self.actor_id else SYSTEM_ACTOR

    def meta(self, tenant_id: UUID | None) -> dict[str, str | None]:
        return {
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "tenant_id": str(tenant_id) if tenant_id else None,
        }


def system_context(correlation_id: str | None = None) -> CommandContext:
    return CommandContext(
        actor_id=None,
        correlation_id=correlation_id or str(uuid.uuid4()),
        is_platform_admin=True,
    )


@dataclass(frozen=True)
class CommandResult:
    """What a use case returns: ids and the log position, never a view."""

    guid: UUID
    version: int
    position: int
    # The aggregate after the command, for the caller to describe what it wrote.
    entity: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, aggregate: Any, position: int) -> CommandResult:
        return cls(aggregate.id, aggregate.version, position, aggregate)
