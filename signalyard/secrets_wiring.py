"""Builds the secrets context from settings: the key-encryption key (master key or transit),
the data-key store, and a backend per configured kind (local, vault, aws)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from domain.plumbing.store import EventStore
from domain.secrets.ports import SecretBackend
from domain.secrets.service_set import SecretsContext
from signalyard.embedded import openbao
from signalyard.embedded.base import port_open, read_state
from signalyard.settings import Settings
from workers.adapters.secret_backends.data_keys import DataKeyStore
from workers.adapters.secret_backends.kek import (
    KekRing,
    KeyEncryptionKey,
    MasterKey,
    TransitKey,
    new_master_key,
    parse_master_key,
)
from workers.adapters.secret_backends.local import LocalBackend
from workers.adapters.secret_backends.vault import VaultBackend, vault_client

MASTER_KEY_FILE = "secrets-master.key"


def master_key_file(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser().absolute() / MASTER_KEY_FILE


def ensure_dev_master_key(settings: Settings) -> None:
    """`signalyard dev` without a master key: generate one once, 0600, never printed."""
    path = master_key_file(settings)
    if settings.secrets_master_key or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(new_master_key())


def master_key(settings: Settings) -> str | None:
    if settings.secrets_master_key:
        return settings.secrets_master_key
    path = master_key_file(settings)
    return path.read_text().strip() if path.exists() else None


def _key_files(settings: Settings) -> list[str]:
    """Keys a dev rotation left beside the current one (`.next` while it runs, `.previous`
    after): read, so that a rotation cut short loses nothing."""
    base = master_key_file(settings)
    found = []
    for suffix in (".next", ".previous"):
        path = base.with_name(base.name + suffix)
        if path.exists():
            found.append(path.read_text().strip())
    return found


def vault_endpoint(settings: Settings) -> tuple[str, str | None] | None:
    """VAULT_ADDR (and token) when set, else the embedded OpenBao of the data dir, if running."""
    if settings.vault_addr:
        return settings.vault_addr, settings.vault_token
    state = read_state(Path(settings.data_dir).expanduser().absolute() / openbao.STATE_FILE)
    port, url, token = state.get("port"), state.get("url"), state.get("token")
    if state.get("running") and isinstance(port, int) and isinstance(url, str) and port_open(port):
        return url, token if isinstance(token, str) else None
    return None


def vault_connector(settings: Settings) -> Callable[[], Any] | None:
    endpoint = vault_endpoint(settings)
    if endpoint is None:
        return None
    addr, token = endpoint
    return lambda: vault_client(addr, token, settings.vault_role_id, settings.vault_secret_id)


def kek_ring(settings: Settings) -> KekRing | None:
    given = (settings.secrets_previous_master_keys or "").split(",")
    previous: list[KeyEncryptionKey] = [
        MasterKey(parse_master_key(k)) for k in (*given, *_key_files(settings)) if k.strip()
    ]
    current: KeyEncryptionKey | None = None
    connect = vault_connector(settings)
    if settings.secrets_transit_key and connect is not None:
        transit = TransitKey(connect(), settings.secrets_transit_key)
        transit.ensure()
        current = transit
    elif (key := master_key(settings)) is not None:
        current = MasterKey(parse_master_key(key))
    return KekRing(current, previous) if current is not None else None


def aws_client(settings: Settings) -> Any | None:
    if not settings.secrets_aws_region:
        return None
    import boto3  # optional: only deployments with the aws backend install it

    return boto3.client("secretsmanager", region_name=settings.secrets_aws_region)


def build_data_keys(settings: Settings, url: str) -> tuple[DataKeyStore, ConnectionPool]:
    pool = ConnectionPool(url, min_size=1, max_size=4, open=True)
    return DataKeyStore(pool, kek_ring(settings)), pool


def build_secrets(settings: Settings, url: str, store: EventStore) -> tuple[SecretsContext, Any]:
    """The context, and what to close on shutdown (the data-key pool)."""
    from workers.adapters.secret_backends.aws import AwsBackend

    keys, pool = build_data_keys(settings, url)
    backends: dict[str, SecretBackend] = {}
    if keys.ring is not None:
        backends["local"] = LocalBackend(keys)
    connect = vault_connector(settings)
    if connect is not None:
        backends["vault"] = VaultBackend(
            connect, settings.vault_kv_mount, settings.vault_path_prefix
        )
    client = aws_client(settings)
    if client is not None:
        backends["aws"] = AwsBackend(client)
    context = SecretsContext(store, backends, keys, settings.secrets_max_value_bytes)
    return context, pool


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    tmp.replace(path)


def rotate_master_key(settings: Settings, url: str) -> tuple[int, str]:
    """Re-wrap every org's data key under a new key-encryption key; values stay as they are.

    Transit: the transit key is rotated and each wrapped key re-wrapped by OpenBao/Vault.
    A master key from settings: the operator has set the new one and listed the old one in
    SIGNALYARD_SECRETS_PREVIOUS_MASTER_KEYS. The dev key file: a new key is generated
    (`.next`), the data keys re-wrapped, then the files swapped (the old one kept as
    `.previous`). Returns (data keys re-wrapped, the new KEK's id).
    """
    file_key = not settings.secrets_master_key and not settings.secrets_transit_key
    path = master_key_file(settings)
    upcoming = path.with_name(path.name + ".next")
    if file_key:
        if not path.exists():
            raise SystemExit(f"no master key: set SIGNALYARD_SECRETS_MASTER_KEY ({path} is absent)")
        _write_private(upcoming, new_master_key())
        earlier = [path.read_text().strip(), settings.secrets_previous_master_keys or ""]
        settings = settings.with_overrides(
            secrets_master_key=upcoming.read_text().strip(),
            secrets_previous_master_keys=",".join(k for k in earlier if k),
        )
    keys, pool = build_data_keys(settings, url)
    try:
        ring = keys.ring
        if ring is None:
            raise SystemExit("no key-encryption key is configured")
        if isinstance(ring.current, TransitKey):
            ring.current.rotate()
        done = keys.rewrap_all()
    finally:
        pool.close()
    if file_key:
        _write_private(path.with_name(path.name + ".previous"), path.read_text())
        upcoming.replace(path)
    return done, ring.current.kek_id
