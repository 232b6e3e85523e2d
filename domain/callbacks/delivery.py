"""CallbackDelivery: one outcome POSTed to one callback URL, attempt after attempt.

Its id derives from (subject, attempt, outcome): scheduling the same outcome twice finds
the same delivery, so a receiver is never sent two deliveries for one outcome; the id is
also the `webhook-id` of every try, so a receiver dedupes retries and re-sends.
Each try is an event (`Attempted`: status code or error, never a body or a secret); the
time of the next try is decided when the try is recorded, so replays need no clock.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.errors import Conflict

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/callback-deliveries")
MAX_ERROR = 500


class DeliveryStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its next try (first or a retry)
    DELIVERED = "delivered"
    DEAD_LETTERED = "dead_lettered"


class CallbackDelivery(AuditedAggregate):
    @staticmethod
    def create_id(subject_id: UUID, attempt: int, outcome: str) -> UUID:
        return uuid5(_NAMESPACE, f"{subject_id}/{attempt}/{outcome}")

    @event("Scheduled")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - derived from (subject, attempt, outcome)
        organization_id: UUID,
        subject_id: UUID,
        attempt: int,
        outcome: str,
        event_type: str,
        url: str,
        payload: dict[str, Any],
        max_tries: int,
        expires_at: datetime,
        due_at: datetime,
        meta: Meta,
    ) -> None:
        self.organization_id = organization_id
        self.subject_id = subject_id
        self.attempt = attempt
        self.outcome = outcome
        self.event_type = event_type
        self.url = url
        self.payload = payload
        self.max_tries = max_tries
        self.expires_at = expires_at
        self.due_at: datetime | None = due_at
        self.status = DeliveryStatus.SCHEDULED
        self.tries = 0  # in the current round (a redrive starts a new one)
        self.total_tries = 0
        self.rounds = 1
        self.last_status_code: int | None = None
        self.last_error: str | None = None
        self.last_tried_at: datetime | None = None
        self.dead_letter_reason: str | None = None

    @property
    def is_pending(self) -> bool:
        return self.status is DeliveryStatus.SCHEDULED

    def is_due(self, now: datetime) -> bool:
        return self.is_pending and self.due_at is not None and self.due_at <= now

    def record_try(
        self,
        status_code: int | None,
        error: str | None,
        at: datetime,
        retry_at: datetime,
        meta: Meta,
    ) -> None:
        """Note one try; then it is delivered, dead-lettered, or due again at `retry_at`."""
        if not self.is_pending:
            raise Conflict(f"delivery is {self.status}, not scheduled")
        succeeded = status_code is not None and 200 <= status_code < 300
        tries = self.tries + 1
        dead = None
        if not succeeded and tries >= self.max_tries:
            dead = f"no success after {tries} tries"
        elif not succeeded and retry_at > self.expires_at:
            dead = "expired before its next try"
        self._attempted(
            status_code=status_code,
            error=None if succeeded or not error else error[:MAX_ERROR],
            at=at,
            next_due_at=None if succeeded or dead else retry_at,
            meta=meta,
        )
        if succeeded:
            self._delivered(at=at, meta=meta)
        elif dead:
            self._dead_lettered(reason=dead, meta=meta)

    def redrive(self, due_at: datetime, expires_at: datetime, meta: Meta) -> None:
        if self.status is not DeliveryStatus.DEAD_LETTERED:
            raise Conflict(f"only a dead-lettered delivery can be redriven; it is {self.status}")
        self._redriven(due_at=due_at, expires_at=expires_at, meta=meta)

    @event("Attempted")
    def _attempted(
        self,
        status_code: int | None,
        error: str | None,
        at: datetime,
        next_due_at: datetime | None,
        meta: Meta,
    ) -> None:
        self.tries += 1
        self.total_tries += 1
        self.last_status_code = status_code
        self.last_error = error
        self.last_tried_at = at
        self.due_at = next_due_at

    @event("Delivered")
    def _delivered(self, at: datetime, meta: Meta) -> None:
        self.status = DeliveryStatus.DELIVERED
        self.due_at = None

    @event("DeadLettered")
    def _dead_lettered(self, reason: str, meta: Meta) -> None:
        self.status = DeliveryStatus.DEAD_LETTERED
        self.dead_letter_reason = reason
        self.due_at = None

    @event("Redriven")
    def _redriven(self, due_at: datetime, expires_at: datetime, meta: Meta) -> None:
        self.status = DeliveryStatus.SCHEDULED
        self.due_at = due_at
        self.expires_at = expires_at
        self.tries = 0
        self.rounds += 1
        self.dead_letter_reason = None
