"""Signed callbacks on the wire: a CloudEvent body, signed per Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), POSTed through the SSRF guard.

Redirects are never followed: a 3xx is a failed try (its target could be any address,
and a receiver is expected to answer at the URL it was registered with).
The response body is never read, so a receiver cannot make the sender hold a large one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpcore
from standardwebhooks import Webhook

from domain.callbacks.addresses import CallbackPolicy
from workers.adapters.guarded_network import GuardedBackend, Resolver, system_resolver

USER_AGENT = "Signalyard-Webhooks/1"


@dataclass(frozen=True)
class TryOutcome:
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def cloud_event(
    event_id: str,
    event_type: str,
    source: str,
    subject: str,
    time: datetime,
    data: dict[str, Any],
) -> bytes:
    """The same bytes for every try of one delivery (only the signature's time changes)."""
    envelope = {
        "specversion": "1.0",
        "id": event_id,
        "type": event_type,
        "source": source,
        "subject": subject,
        "time": time.astimezone(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(secret: str, webhook_id: str, body: bytes, at: datetime) -> dict[str, str]:
    at = at.astimezone(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


class WebhookSender:
    def __init__(
        self,
        policy: CallbackPolicy,
        timeout_seconds: float,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.timeout = timeout_seconds
        self.pool = httpcore.ConnectionPool(
            network_backend=GuardedBackend(policy, resolver), max_connections=20, retries=0
        )

    def send(
        self, url: str, webhook_id: str, body: bytes, secret: str, at: datetime | None = None
    ) -> TryOutcome:
        headers = {
            **signed_headers(secret, webhook_id, body, at or datetime.now(tz=UTC)),
            "content-type": "application/cloudevents+json",
            "user-agent": USER_AGENT,
        }
        t = self.timeout
        timeouts = {"connect": t, "read": t, "write": t, "pool": t}
        try:
            with self.pool.stream(
                "POST", url, headers=headers, content=body, extensions={"timeout": timeouts}
            ) as response:
                status = response.status
        except httpcore.TimeoutException as exc:
            return TryOutcome(None, f"timed out: {type(exc).__name__}")
        except (httpcore.ConnectError, httpcore.UnsupportedProtocol) as exc:
            return TryOutcome(None, f"not connected: {exc}")
        except httpcore.NetworkError as exc:
            return TryOutcome(None, f"network error: {type(exc).__name__}")
        except httpcore.ProtocolError as exc:
            return TryOutcome(None, f"protocol error: {type(exc).__name__}")
        if 300 <= status < 400:
            return TryOutcome(status, "redirect not followed")
        return TryOutcome(status, None if 200 <= status < 300 else f"HTTP {status}")

    def close(self) -> None:
        self.pool.close()
