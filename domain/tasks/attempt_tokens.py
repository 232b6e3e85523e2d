"""Attempt tokens: what an agent authenticates with. One per attempt, minted by the
dispatcher at launch, scoped to that attempt (org, project, task, attempt number); random,
handed to the agent once, stored only as a hash (the aggregate id derives from it, as for
API tokens, so authenticating is one read by id).

A token never outlives its attempt: it expires at the attempt's deadline plus a grace,
and it is worth nothing once the attempt is no longer the task's current live one
(finished, cancelled, re-queued as a new attempt) — checked against the task on every
request, so there is nothing to revoke and no revocation to race.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta

TOKEN_PREFIX = "sya_"
_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/attempt-tokens")


def new_attempt_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_attempt_secret(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX)


def attempt_token_id_for(secret: str) -> UUID:
    return uuid5(_NAMESPACE, hashlib.sha256(secret.encode()).hexdigest())


class AttemptToken(AuditedAggregate):
    """Create with `id=attempt_token_id_for(secret)`: the secret never enters an event."""

    @event("Issued")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - derived from the secret's hash
        organization_id: UUID,
        project_id: UUID,
        task_id: UUID,
        attempt: int,
        expires_at: datetime,
        meta: Meta,
    ) -> None:
        self.organization_id = organization_id
        self.project_id = project_id
        self.task_id = task_id
        self.attempt = attempt
        self.expires_at = expires_at
        self.created_by = meta.get("actor")

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or datetime.now(tz=UTC))
