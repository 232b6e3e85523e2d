"""The one way a Signalyard process gets its Temporal client: address, namespace and TLS as
the settings give them; lazily for callers that must start while Temporal is away."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client
from temporalio.service import KeepAliveConfig, RetryConfig


@dataclass(frozen=True)
class TemporalConfig:
    address: str  # host:port of the frontend
    namespace: str = "default"
    tls: bool = False


# The client's own retries stop after 10 s by default; callers that must not lose work
# (the router) retry on their own schedule instead, so a call fails fast here.
FAST_FAIL = RetryConfig(max_elapsed_time_millis=2_000, max_retries=3)


async def connect(
    config: TemporalConfig, *, name: str, retry: RetryConfig | None = None, lazy: bool = False
) -> Client:
    """A client named after its process (its identity in workflow histories). Lazy: the
    first call connects (a Temporal worker cannot use such a client). Either way the channel
    reconnects by itself after a server restart."""
    return await Client.connect(
        config.address,
        namespace=config.namespace,
        tls=config.tls,
        identity=f"{name}@{socket.gethostname()}:{os.getpid()}",
        retry_config=retry,
        keep_alive_config=KeepAliveConfig(interval_millis=10_000, timeout_millis=5_000),
        connect_timeout=timedelta(seconds=5),
        lazy=lazy,
    )
