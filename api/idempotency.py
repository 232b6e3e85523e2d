"""Idempotency-Key on POST: the same key and body replays the first response; the same
key with another body is a 422; a request still running under the key is a 409.

The rows live in the write side's `command_outcomes` table, which the event store's append
updates in the same transaction as a request's events: a row says `committed` exactly when
the request's write did, whatever happened to the process or the connection afterwards.
Each reservation is an *attempt*; only the current attempt may commit. A row left `pending`
by a request that died or lost its database answer is taken over by a retry once its lease
has run out — the store then refuses the old attempt's write if it ever arrives — and a row
left `committed` without a response answers the retry with what committed, never running
the request again.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

REPLAYED_HEADERS = ("content-type", "location", "etag", "x-signalyard-position")
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_TTL_SECONDS = 24 * 3600.0
SWEEP_EVERY = 1000  # reservations between two sweeps of expired keys
# A key older than the TTL (interval parameter) is forgotten unless its request may still run.
_EXPIRED = "created_at < now() - %s::interval AND (state <> 'pending' OR lease_until < now())"


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    state: str  # pending | committed | done
    status: int | None
    headers: dict[str, str]
    body: bytes
    position: int | None = None
    retry_after: int = 1  # seconds until the lease runs out
    lease_expired: bool = False


@dataclass(frozen=True)
class Reserved:
    attempt: str


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    request = method.encode() + b" " + path.encode() + b"?" + query + b"\n" + body
    return hashlib.sha256(request).hexdigest()


def credential_of(authorization: str | None) -> str:
    # Keys are scoped per credential; only a hash of it is stored.
    return hashlib.sha256((authorization or "").encode()).hexdigest()


class IdempotencyStore:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        table: sql.Composable,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> None:
        self.pool = pool
        self.table = table
        self.lease = f"{float(lease_seconds)} seconds"
        self.ttl = f"{float(ttl_seconds)} seconds"
        self._begun = 0

    async def begin(self, scope: str, key: str, fp: str) -> Reserved | Stored:
        """Reserve the key for a new attempt, or say what is stored under it."""
        attempt = str(uuid.uuid4())
        self._begun += 1
        async with self.pool.connection() as conn, conn.transaction():
            if self._begun % SWEEP_EVERY == 0:  # now and then, every expired key at once
                await conn.execute(
                    sql.SQL("DELETE FROM {} WHERE " + _EXPIRED).format(self.table), (self.ttl,)
                )
            cur = await conn.execute(
                sql.SQL(
                    "INSERT INTO {} (scope, key, attempt, fingerprint, state, lease_until)"
                    " VALUES (%s, %s, %s, %s, 'pending', now() + %s::interval)"
                    " ON CONFLICT DO NOTHING RETURNING attempt"
                ).format(self.table),
                (scope, key, attempt, fp, self.lease),
            )
            if await cur.fetchone():
                return Reserved(attempt)
            cur = await conn.execute(
                sql.SQL(
                    "SELECT fingerprint, state, status, headers, body, position,"
                    " ceil(extract(epoch FROM lease_until - now()))::int AS wait,"
                    " " + _EXPIRED + " AS expired"
                    " FROM {} WHERE scope = %s AND key = %s FOR UPDATE"
                ).format(self.table),
                (self.ttl, scope, key),
            )
            row = await cur.fetchone()
            if row is None:  # released between the insert and the select
                return Reserved(await self._insert_again(conn, scope, key, fp, attempt))
            fp_, state, status, headers, body, position, wait, expired = _values(row)
            if expired:  # forgotten: the same key is a new request
                await conn.execute(
                    sql.SQL(
                        "UPDATE {} SET attempt = %s, fingerprint = %s, state = 'pending',"
                        " position = NULL, status = NULL, headers = NULL, body = NULL,"
                        " created_at = now(), lease_until = now() + %s::interval"
                        " WHERE scope = %s AND key = %s"
                    ).format(self.table),
                    (attempt, fp, self.lease, scope, key),
                )
                return Reserved(attempt)
            if fp_ == fp and state == "pending" and wait <= 0:
                # Its owner died or lost its answer, and did not commit (the row would say
                # so): a new attempt; the old one's write, if it ever comes, is refused.
                await conn.execute(
                    sql.SQL(
                        "UPDATE {} SET attempt = %s, lease_until = now() + %s::interval"
                        " WHERE scope = %s AND key = %s"
                    ).format(self.table),
                    (attempt, self.lease, scope, key),
                )
                return Reserved(attempt)
        return Stored(
            fp_,
            state,
            status,
            headers or {},
            bytes(body or b""),
            position,
            max(1, wait or 1),
            lease_expired=(wait or 0) <= 0,
        )

    async def _insert_again(self, conn, scope: str, key: str, fp: str, attempt: str) -> str:
        await conn.execute(
            sql.SQL(
                "INSERT INTO {} (scope, key, attempt, fingerprint, state, lease_until)"
                " VALUES (%s, %s, %s, %s, 'pending', now() + %s::interval)"
            ).format(self.table),
            (scope, key, attempt, fp, self.lease),
        )
        return attempt

    async def complete(
        self,
        scope: str,
        key: str,
        attempt: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        await self._run(
            "UPDATE {} SET state = 'done', status = %s, headers = %s, body = %s"
            " WHERE scope = %s AND key = %s AND attempt = %s",
            (status, Jsonb(headers), body, scope, key, attempt),
        )

    async def release(self, scope: str, key: str, attempt: str) -> int | None:
        """Free the key of an attempt that wrote nothing; if it did commit, its position."""
        freed = await self._run(
            "DELETE FROM {} WHERE scope = %s AND key = %s AND attempt = %s"
            " AND state = 'pending' RETURNING key",
            (scope, key, attempt),
        )
        if freed:
            return None
        committed = await self._run(
            "SELECT position FROM {} WHERE scope = %s AND key = %s AND attempt = %s",
            (scope, key, attempt),
        )
        return _values(committed[0])[0] if committed else None

    async def end_lease(self, scope: str, key: str, attempt: str) -> None:
        """The attempt's outcome is unknown to it: a retry may find out (and take over)."""
        await self._run(
            "UPDATE {} SET lease_until = now() WHERE scope = %s AND key = %s AND attempt = %s",
            (scope, key, attempt),
        )

    async def _run(self, statement: str, params: tuple) -> list:
        """One statement on this store's table (`{}`); the rows it returns, if any."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql.SQL(statement).format(self.table), params)
            return await cur.fetchall() if cur.description else []


def _values(row):  # dict rows (the API's pool) or tuples
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
