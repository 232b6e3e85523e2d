"""Each organization's data key, wrapped by the KEK, in the mutable table
`secrets.org_data_keys` — deliberately not in the event log: an immutable log could never
forget a key, and crypto-shredding is forgetting it. The master key is never stored here.

Unwrapped keys are cached in memory for `cache_seconds` (resolutions would otherwise pay a
query each); `destroy` evicts this process's copy, other processes' copies expire.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from domain.secrets.errors import BackendUnavailable, SecretGone
from workers.adapters.secret_backends.kek import KekRing

SCHEMA = "secrets"
DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.org_data_keys (
        organization_id uuid PRIMARY KEY,
        kek_id text,
        wrapped_key bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        rewrapped_at timestamptz,
        destroyed_at timestamptz)""",
)
DATA_KEY_BYTES = 32


def create_tables(conn: psycopg.Connection) -> None:
    for statement in DDL:
        conn.execute(statement)


class DataKeyStore:
    def __init__(self, pool: ConnectionPool, ring: KekRing | None, cache_seconds: float = 30.0):
        self.pool = pool
        self.ring = ring
        self.cache_seconds = cache_seconds
        self._cache: dict[UUID, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def data_key(self, org_id: UUID, *, create: bool) -> bytes:
        cached = self._cache.get(org_id)
        if cached is not None and time.monotonic() - cached[1] < self.cache_seconds:
            return cached[0]
        try:
            key = self._load(org_id, create)
        except psycopg.OperationalError:
            raise BackendUnavailable(
                "the data key store does not answer", backend="local"
            ) from None
        with self._lock:
            self._cache[org_id] = (key, time.monotonic())
        return key

    def _load(self, org_id: UUID, create: bool) -> bytes:
        if self.ring is None:
            raise BackendUnavailable("no key-encryption key is configured", backend="local")
        with self.pool.connection() as conn:
            row = self._row(conn, org_id)
            if row is None and create:
                kek = self.ring.current
                conn.execute(
                    f"INSERT INTO {SCHEMA}.org_data_keys (organization_id, kek_id, wrapped_key)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (org_id, kek.kek_id, kek.wrap(os.urandom(DATA_KEY_BYTES), org_id)),
                )
                row = self._row(conn, org_id)
        if row is None:
            raise SecretGone("the organization has no data key")
        kek_id, wrapped = row
        if wrapped is None:
            raise SecretGone("the organization's data key was destroyed (purged)")
        return self.ring.unwrap(kek_id, bytes(wrapped), org_id)

    def _row(self, conn: psycopg.Connection, org_id: UUID) -> tuple | None:
        return conn.execute(
            f"SELECT kek_id, wrapped_key FROM {SCHEMA}.org_data_keys WHERE organization_id = %s",
            (org_id,),
        ).fetchone()

    def destroy(self, organization_id: UUID) -> bool:
        """Forget the key for good; a tombstone row keeps a new one from being made."""
        with self._lock:
            self._cache.pop(organization_id, None)
        with self.pool.connection() as conn:
            had = conn.execute(
                f"SELECT wrapped_key IS NOT NULL FROM {SCHEMA}.org_data_keys"
                " WHERE organization_id = %s",
                (organization_id,),
            ).fetchone()
            conn.execute(
                f"INSERT INTO {SCHEMA}.org_data_keys (organization_id, destroyed_at)"
                " VALUES (%s, now()) ON CONFLICT (organization_id) DO UPDATE SET"
                " kek_id = NULL, wrapped_key = NULL, destroyed_at = now()",
                (organization_id,),
            )
            conn.commit()
            # Dead row versions still hold the old bytes until vacuumed.
            with contextlib.suppress(psycopg.Error):
                conn.autocommit = True
                conn.execute(f"VACUUM {SCHEMA}.org_data_keys")
            conn.autocommit = False
        return bool(had and had[0])

    def rewrap_all(self) -> int:
        """Re-wrap every live data key under the current KEK; values are not touched."""
        if self.ring is None:
            raise RuntimeError("no key-encryption key is configured")
        current, done = self.ring.current, 0
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT organization_id, kek_id, wrapped_key FROM {SCHEMA}.org_data_keys"
                " WHERE wrapped_key IS NOT NULL"
            ).fetchall()
            for org_id, kek_id, wrapped in rows:
                rewrap = getattr(current, "rewrap", None)
                if kek_id == current.kek_id and rewrap is None:
                    continue
                if kek_id == current.kek_id and rewrap is not None:
                    new = rewrap(bytes(wrapped))
                else:
                    new = current.wrap(self.ring.unwrap(kek_id, bytes(wrapped), org_id), org_id)
                conn.execute(
                    f"UPDATE {SCHEMA}.org_data_keys SET kek_id = %s, wrapped_key = %s,"
                    " rewrapped_at = now() WHERE organization_id = %s AND kek_id = %s",
                    (current.kek_id, new, org_id, kek_id),
                )
                done += 1
            conn.commit()
        with self._lock:
            self._cache.clear()
        return done
