"""The bus (NATS JetStream): how to reach it, and the stream that carries every event as a
CloudEvent on `signalyard.<org-guid>.<entity>.<verb>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError


@dataclass(frozen=True)
class BusConfig:
    url: str
    creds_file: str | None = None  # operator mode: a `.creds` file (JWT + nkey seed)
    stream: str = "SIGNALYARD"
    subject_prefix: str = "signalyard"
    max_age_seconds: float = 7 * 24 * 3600
    max_bytes: int = -1
    replicas: int = 1
    duplicate_window_seconds: float = 120.0


async def connect(config: BusConfig, *, name: str, **options: Any) -> Client:
    return await nats.connect(config.url, name=name, user_credentials=config.creds_file, **options)


async def ensure_stream(js: JetStreamContext, config: BusConfig) -> None:
    """Create the stream, or bring its settings to the config's (idempotent)."""
    wanted = StreamConfig(
        name=config.stream,
        subjects=[f"{config.subject_prefix}.>"],
        max_age=config.max_age_seconds,
        max_bytes=config.max_bytes,
        num_replicas=config.replicas,
        duplicate_window=config.duplicate_window_seconds,
    )
    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(wanted)
        return
    await js.update_stream(wanted)
