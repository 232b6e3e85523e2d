"""Use cases of callbacks: schedule an outcome's delivery, record each try, re-drive a
dead letter, send a test ping, and create or rotate the organization's signing secret."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.callbacks.addresses import CallbackPolicy
from domain.callbacks.backoff import RetryPolicy
from domain.callbacks.callback_url import validate_callback_url
from domain.callbacks.delivery import CallbackDelivery
from domain.callbacks.signing_key import CallbackSigningKey, SigningSecrets, new_secret
from domain.core.context import CommandContext, CommandResult, system_context
from domain.core.errors import InvalidInput, NotFound
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.access import AccessPolicy
from domain.tenancy.organization import Organization
from domain.tenancy.resolver import Resolver
from domain.tenancy.roles import Action

PING_TYPE = "io.signalyard.callback.ping.v1"
MAX_OUTCOME = 40


def task_event_type(outcome: str) -> str:
    return f"io.signalyard.task.{outcome}.v1"


def _now() -> datetime:
    return datetime.now(tz=UTC)


@with_read_sessions
class CallbackService:
    def __init__(
        self,
        store: EventStore,
        secrets: SigningSecrets,
        policy: CallbackPolicy,
        retry: RetryPolicy,
    ) -> None:
        self.store = store
        self.secrets = secrets
        self.policy = policy
        self.retry = retry
        self.resolve = Resolver(store)
        self.access = AccessPolicy(store)

    def _org(self, ctx: CommandContext, action: Action, org_ref: str) -> Organization:
        chain = self.resolve.chain(org_ref)
        self.access.require(ctx, action, chain)
        return chain.org

    def schedule(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        subject_id: UUID,
        attempt: int,
        outcome: str,
        url: str,
        payload: dict[str, Any],
        event_type: str | None = None,
    ) -> CommandResult:
        """Deliver an outcome (a task's, say); the same outcome again finds the same delivery."""
        if not outcome or len(outcome) > MAX_OUTCOME or not outcome.replace("_", "").isalnum():
            raise InvalidInput("outcome must be a short word", field="outcome")
        url = validate_callback_url(url, self.policy)
        delivery_id = CallbackDelivery.create_id(subject_id, attempt, outcome)
        existing = self.store.find(delivery_id, CallbackDelivery)
        if existing is not None:
            return CommandResult.of(existing, 0)
        now = _now()
        delivery = CallbackDelivery(
            id=delivery_id,
            organization_id=organization_id,
            subject_id=subject_id,
            attempt=attempt,
            outcome=outcome,
            event_type=event_type or task_event_type(outcome),
            url=url,
            payload=payload,
            max_tries=self.retry.max_tries,
            expires_at=now + timedelta(seconds=self.retry.max_age_seconds),
            due_at=now,
            meta=ctx.meta(organization_id),
        )
        return CommandResult.of(delivery, self.store.record(delivery))

    def ping(self, ctx: CommandContext, org_ref: str, url: str) -> CommandResult:
        """A signed test event to `url`, delivered (and retried) like any outcome."""
        org = self._org(ctx, Action.CALLBACKS_MANAGE, org_ref)
        ping_id = uuid.uuid4()
        payload = {"organization_id": str(org.id), "ping_id": str(ping_id)}
        return self.schedule(ctx, org.id, ping_id, 1, "ping", url, payload, PING_TYPE)

    def record_try(
        self,
        delivery_id: UUID,
        status_code: int | None,
        error: str | None,
        at: datetime | None = None,
    ) -> CommandResult:
        """One try's outcome, by the sender; a retry time is drawn with full jitter."""
        delivery = self.store.load(delivery_id, CallbackDelivery, "callback delivery")
        at = at or _now()
        retry_at = at + timedelta(seconds=self.retry.delay(delivery.tries + 1))
        ctx = system_context()
        delivery.record_try(status_code, error, at, retry_at, ctx.meta(delivery.organization_id))
        return CommandResult.of(delivery, self.store.record(delivery))

    def redrive(self, ctx: CommandContext, org_ref: str, delivery_id: UUID) -> CommandResult:
        """A dead letter gets a new round of tries, starting now, with the same webhook-id."""
        org = self._org(ctx, Action.CALLBACKS_MANAGE, org_ref)
        delivery = self._find(org, delivery_id)
        now = _now()
        expires = now + timedelta(seconds=self.retry.max_age_seconds)
        delivery.redrive(due_at=now, expires_at=expires, meta=ctx.meta(org.id))
        return CommandResult.of(delivery, self.store.record(delivery))

    def rotate_signing_secret(self, ctx: CommandContext, org_ref: str) -> tuple[CommandResult, str]:
        """A new signing secret, returned once; later callbacks are signed with it."""
        org = self._org(ctx, Action.CALLBACKS_MANAGE, org_ref)
        key_id, secret = uuid.uuid4(), new_secret()
        # Kept before the event names it: a failed write leaves an unused row, never an
        # event naming a secret that is not there.
        self.secrets.put(org.id, key_id, secret)
        key_ref = CallbackSigningKey.create_id(org.id)
        key = self.store.find(key_ref, CallbackSigningKey)
        meta = ctx.meta(org.id)
        if key is None:
            key = CallbackSigningKey(id=key_ref, organization_id=org.id, key_id=key_id, meta=meta)
        else:
            key.rotate(key_id=key_id, meta=meta)
        return CommandResult.of(key, self.store.record(key)), secret

    @reads_only
    def signing_secret(self, organization_id: UUID) -> str | None:
        """The organization's current secret (for the sender), None before the first."""
        key = self.store.find(CallbackSigningKey.create_id(organization_id), CallbackSigningKey)
        return None if key is None else self.secrets.get(organization_id, key.key_id)

    @reads_only
    def delivery(self, delivery_id: UUID) -> CallbackDelivery | None:
        return self.store.find(delivery_id, CallbackDelivery)

    def _find(self, org: Organization, delivery_id: UUID) -> CallbackDelivery:
        delivery = self.store.find(delivery_id, CallbackDelivery)
        if delivery is None or delivery.organization_id != org.id:
            raise NotFound(f"callback delivery {delivery_id} not found")
        return delivery
