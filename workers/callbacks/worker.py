"""Sends due callback deliveries and records each try.

The due list comes from the callbacks read model; each delivery is re-checked against its
aggregate before a send, so a lagging read model never causes a second try. A send and
its record are not one transaction: a sender killed between them sends again after a
restart, with the same `webhook-id` (at-least-once; receivers dedupe on it). While a
delivery is being sent its advisory lock is held, so two senders never send it at once.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from uuid import UUID

import psycopg

from domain.callbacks.delivery import CallbackDelivery
from domain.callbacks.service import CallbackService
from domain.core.errors import DomainError
from projections.callbacks.views import due_deliveries
from projections.engine.base import advisory_key
from workers.adapters.webhooks import TryOutcome, WebhookSender, cloud_event

log = logging.getLogger(__name__)
NO_KEY = "the organization has no callback signing key yet"


def body_of(delivery: CallbackDelivery) -> bytes:
    return cloud_event(
        event_id=str(delivery.id),
        event_type=delivery.event_type,
        source=f"/v1/orgs/{delivery.organization_id}",
        subject=str(delivery.subject_id),
        time=delivery.created_on,
        data=delivery.payload,
    )


class CallbackWorker:
    def __init__(
        self,
        service: CallbackService,
        sender: WebhookSender,
        conninfo: str,
        *,
        poll_seconds: float = 0.5,
        batch: int = 50,
    ) -> None:
        self.service = service
        self.sender = sender
        self.conninfo = conninfo
        self.poll_seconds = poll_seconds
        self.batch = batch

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                sent = self.run_once()
            except Exception:  # noqa: BLE001 - the sender outlives a bad round (db down...)
                log.warning("callback sender: round failed, retrying", exc_info=True)
                sent = 0
            if not sent:
                stop.wait(self.poll_seconds)

    def run_once(self) -> int:
        """Try every due delivery once; how many were tried."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            tried = 0
            for delivery_id in due_deliveries(conn, datetime.now(tz=UTC), self.batch):
                key = advisory_key("callback.delivery", str(delivery_id))
                if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                    continue  # another sender has it
                try:
                    tried += self._try(delivery_id)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            return tried

    def _try(self, delivery_id: UUID) -> int:
        delivery = self.service.delivery(delivery_id)
        if delivery is None or not delivery.is_due(datetime.now(tz=UTC)):
            return 0  # already tried or settled: the read model had not caught up
        secret = self.service.signing_secret(delivery.organization_id)
        if secret is None:
            outcome = TryOutcome(None, NO_KEY)
        else:
            outcome = self.sender.send(delivery.url, str(delivery.id), body_of(delivery), secret)
        try:
            self.service.record_try(delivery_id, outcome.status_code, outcome.error)
        except DomainError:
            log.warning("callback delivery %s: try not recorded", delivery_id, exc_info=True)
        return 1
