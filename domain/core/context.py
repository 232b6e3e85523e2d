"""Who is acting, and why: carried into every event as its `meta`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

SYSTEM_ACTOR = "system"

# What every event carries as its `meta`: actor, correlation id, causation id, tenant id.
Meta = dict[str, str | None]


@dataclass(frozen=True)
class Credential:
    """The API token a command arrived with, as this process's cache last saw it.

    A command carrying one was authenticated without a read of its own: its first read
    (or, at the latest, its write or its end) also brings the token and the token's user
    up to date and refuses the command if either no longer matches (revoked, expired,
    disabled, admin flag changed). See `EventStore.reading`.
    """

    token_id: UUID
    user_id: UUID
    is_platform_admin: bool


@dataclass(frozen=True)
class CommandContext:
    actor_id: UUID | None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None
    is_platform_admin: bool = False
    credential: Credential | None = field(default=None, compare=False, repr=False)
    # The idempotent request this command runs for (scope, key, attempt): its write
    # commits only while that attempt is the request's current one.
    fence: tuple[str, str, str] | None = field(default=None, compare=False, repr=False)
    # Positions of the writes this command committed (noted by the store): a request that
    # wrote must never be answered as if nothing happened.
    committed: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def actor(self) -> str:
        return str(self.actor_id) if self.actor_id else SYSTEM_ACTOR

    def meta(self, tenant_id: UUID | None) -> Meta:
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
