"""The NATS JetStream bus: how to connect, the one stream every event goes to, and the
subjects events are published on (`<prefix>.<org guid>.<entity>.<verb>`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

logger = logging.getLogger(__name__)

GLOBAL_SEGMENT = "_global"  # subjects of events that belong to no organization (users, tokens)


@dataclass(frozen=True)
class BusConfig:
    url: str
    creds_file: str | None = None
    stream: str = "SIGNALYARD"
    subject_prefix: str = "signalyard"
    max_age_seconds: float = 7 * 24 * 3600
    max_bytes: int = -1
    replicas: int = 1
    duplicate_window_seconds: float = 120.0

    @property
    def subjects(self) -> list[str]:
        return [f"{self.subject_prefix}.>"]


def subject_for(prefix: str, org_id: object | None, entity: str, verb: str) -> str:
    """`signalyard.<org guid>.<entity>.<verb>`; an event of no org goes under `_global`."""
    return f"{prefix}.{org_id or GLOBAL_SEGMENT}.{entity}.{verb}"


async def connect(config: BusConfig, *, name: str, **options: Any) -> Client:
    """A connection that keeps reconnecting (every 2 s, jittered) for as long as it lives:
    a NATS restart pauses its users instead of ending them."""

    made: list[Client] = []

    async def _disconnected() -> None:
        if not (made and made[0].is_closed):  # not our own close()
            logger.warning("%s: disconnected from NATS; reconnecting", name)

    async def _reconnected() -> None:
        logger.info("%s: reconnected to NATS", name)

    async def _error(exc: Exception) -> None:
        logger.warning("%s: NATS error: %s", name, exc)

    settings: dict[str, Any] = {
        "servers": [config.url],
        "name": name,
        "connect_timeout": 2,
        "reconnect_time_wait": 2,
        "max_reconnect_attempts": -1,
        "allow_reconnect": True,
        "disconnected_cb": _disconnected,
        "reconnected_cb": _reconnected,
        "error_cb": _error,
    }
    if config.creds_file:
        settings["user_credentials"] = config.creds_file
    settings.update(options)
    client = await nats.connect(**settings)
    made.append(client)
    return client


def stream_config(config: BusConfig) -> StreamConfig:
    window = config.duplicate_window_seconds
    if config.max_age_seconds:  # the server refuses a window longer than the max age
        window = min(window, config.max_age_seconds)
    return StreamConfig(
        name=config.stream,
        subjects=config.subjects,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        max_age=config.max_age_seconds,
        max_bytes=config.max_bytes,
        num_replicas=config.replicas,
        duplicate_window=window,
    )


def _differs(current: StreamConfig, wanted: StreamConfig) -> list[str]:
    fields = (
        "subjects",
        "retention",
        "discard",
        "max_age",
        "max_bytes",
        "num_replicas",
        "duplicate_window",
    )
    return [f for f in fields if _norm(getattr(current, f)) != _norm(getattr(wanted, f))]


def _norm(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3)  # the server keeps nanoseconds; the client gives seconds
    if isinstance(value, list):
        return sorted(value)
    return value


async def ensure_stream(js: JetStreamContext, config: BusConfig) -> StreamConfig:
    """Create the stream, or update it when its settings differ from `config`; idempotent.
    (The storage type cannot change on a live stream: a mismatch there is left as is.)"""
    wanted = stream_config(config)
    try:
        info = await js.stream_info(config.stream)
    except NotFoundError:
        created = await js.add_stream(wanted)
        logger.info("created stream %s on %s", config.stream, config.subjects)
        return created.config
    changed = _differs(info.config, wanted)
    if not changed:
        return info.config
    logger.info("updating stream %s: %s", config.stream, ", ".join(changed))
    updated = await js.update_stream(wanted)
    return updated.config
