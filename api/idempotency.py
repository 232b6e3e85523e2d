"""Idempotency-Key on POST: the same key and body replays the first response; the same
key with another body is a 422; a request still running under the key is a 409."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

DDL = [
    "CREATE SCHEMA IF NOT EXISTS api",
    """CREATE TABLE IF NOT EXISTS api.idempotency_keys (
        credential text NOT NULL, key text NOT NULL, fingerprint text NOT NULL,
        state text NOT NULL, status int, headers jsonb, body bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (credential, key))""",
]
REPLAYED_HEADERS = ("content-type", "location", "etag", "x-signalyard-position")


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    state: str
    status: int | None
    headers: dict[str, str]
    body: bytes


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def credential_of(authorization: str | None) -> str:
    # Keys are scoped per credential; only a hash of it is stored.
    return hashlib.sha256((authorization or "").encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    @staticmethod
    async def create_tables(conn: AsyncConnection) -> None:
        for statement in DDL:
            await conn.execute(statement)

    async def begin(self, credential: str, key: str, fp: str) -> Stored | None:
        """Reserve the key; None when reserved now, else what is stored under it."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO api.idempotency_keys (credential, key, fingerprint, state) "
                "VALUES (%s, %s, %s, 'pending') ON CONFLICT DO NOTHING RETURNING key",
                (credential, key, fp),
            )
            if await cur.fetchone():
                return None
            cur = await conn.execute(
                "SELECT fingerprint, state, status, headers, body FROM api.idempotency_keys "
                "WHERE credential = %s AND key = %s",
                (credential, key),
            )
            row = await cur.fetchone()
        if row is None:  # released between our insert and select: treat as fresh
            return await self.begin(credential, key, fp)
        fp_, state, status, headers, body = (
            (row[k] for k in ("fingerprint", "state", "status", "headers", "body"))
            if isinstance(row, dict)
            else row
        )
        return Stored(fp_, state, status, headers or {}, bytes(body or b""))

    async def complete(
        self, credential: str, key: str, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE api.idempotency_keys SET state = 'done', status = %s, headers = %s, "
                "body = %s WHERE credential = %s AND key = %s",
                (status, Jsonb(headers), body, credential, key),
            )

    async def release(self, credential: str, key: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "DELETE FROM api.idempotency_keys WHERE credential = %s AND key = %s",
                (credential, key),
            )
