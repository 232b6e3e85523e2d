"""Settings: the only place that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _at_least(env: dict[str, str], name: str, default: int, minimum: int) -> int:
    value = _int(env, name, default)
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, got {value}")
    return value


EVENT_RECORDERS = ("grouped", "stock")
MIN_TOKEN_LENGTH = 32
MIN_TOKEN_DISTINCT = 12


def _strong_token(env: dict[str, str], name: str) -> str | None:
    """A token chosen by an operator becomes an admin credential: refuse a guessable one."""
    raw = env.get(name) or None
    if raw is not None and (len(raw) < MIN_TOKEN_LENGTH or len(set(raw)) < MIN_TOKEN_DISTINCT):
        raise SystemExit(
            f"{name} is too weak: use at least {MIN_TOKEN_LENGTH} characters with at least"
            f" {MIN_TOKEN_DISTINCT} different ones (e.g. `python3 -c 'import secrets;"
            ' print("syd_" + secrets.token_urlsafe(32))\'`)'
        )
    return raw


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = (env.get(name) or default).strip().lower()
    if raw not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    # External Postgres; when empty the embedded server under data_dir is used.
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".signalyard"))
    host: str = "127.0.0.1"
    port: int = 8000
    # When set, becomes the bootstrap admin's API token (automation).
    bootstrap_token: str | None = None
    # Schema holding the event store tables.
    event_schema: str = "eventstore"
    lock_timeout_seconds: int = 5
    # Event-store append path: "grouped" (signalyard.eventstore: group commit, one table
    # lock per group) or "stock" (the eventsourcing library's Postgres recorder).
    event_recorder: str = "grouped"
    pool_size: int = 8
    max_body_bytes: int = 1_048_576
    # Skill bundle content; unset means data_dir/"blobs" (see blob_path).
    blob_dir: Path | None = None
    # Unpacked size limit of one skill bundle (bigger ones get 413).
    max_bundle_bytes: int = 10 * 1024 * 1024
    read_your_writes_timeout_seconds: float = 5.0
    log_level: str = "info"
    # API worker processes (uvicorn workers sharing the port).
    api_workers: int = 2
    # While events keep coming, a read model starts a batch at most this often.
    projection_batch_interval_ms: int = 50
    # How long an Idempotency-Key stays with a request that has not answered (one that
    # died, or lost its database answer) before a retry with the key takes over.
    idempotency_lease_seconds: int = 30
    # How long a used Idempotency-Key is remembered (then the same key is a new request).
    idempotency_ttl_hours: int = 24
    # `signalyard dev` restarts a child that dies, and stops everything only when one
    # child dies this many times within the window (a crash loop).
    restart_limit: int = 5
    restart_window_seconds: int = 60

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("SIGNALYARD_DATA_DIR") or ".signalyard"),
            host=env.get("SIGNALYARD_HOST") or "127.0.0.1",
            port=_int(env, "SIGNALYARD_PORT", 8000),
            bootstrap_token=_strong_token(env, "SIGNALYARD_BOOTSTRAP_TOKEN"),
            event_schema=env.get("SIGNALYARD_EVENT_SCHEMA") or "eventstore",
            lock_timeout_seconds=_int(env, "SIGNALYARD_LOCK_TIMEOUT", 5),
            event_recorder=_choice(env, "SIGNALYARD_EVENT_RECORDER", EVENT_RECORDERS, "grouped"),
            pool_size=_int(env, "SIGNALYARD_POOL_SIZE", 8),
            max_body_bytes=_int(env, "SIGNALYARD_MAX_BODY_BYTES", 1_048_576),
            blob_dir=Path(env["SIGNALYARD_BLOB_DIR"]) if env.get("SIGNALYARD_BLOB_DIR") else None,
            max_bundle_bytes=_int(env, "SIGNALYARD_MAX_BUNDLE_BYTES", 10 * 1024 * 1024),
            log_level=env.get("SIGNALYARD_LOG_LEVEL") or "info",
            api_workers=_at_least(env, "SIGNALYARD_API_WORKERS", 2, 1),
            projection_batch_interval_ms=_at_least(
                env, "SIGNALYARD_PROJECTION_BATCH_INTERVAL_MS", 50, 0
            ),
            idempotency_lease_seconds=_at_least(env, "SIGNALYARD_IDEMPOTENCY_LEASE", 30, 1),
            idempotency_ttl_hours=_at_least(env, "SIGNALYARD_IDEMPOTENCY_TTL_HOURS", 24, 1),
            restart_limit=_at_least(env, "SIGNALYARD_RESTART_LIMIT", 5, 1),
            restart_window_seconds=_at_least(env, "SIGNALYARD_RESTART_WINDOW_SECONDS", 60, 1),
        )

    @property
    def blob_path(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
