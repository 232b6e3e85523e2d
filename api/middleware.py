"""ASGI middleware: request ids, body size limit, Idempotency-Key replay."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg_pool import PoolTimeout

from api.asgi_replies import answer_stored, send_problem, send_reply, unavailable
from api.idempotency import (
    REPLAYED_HEADERS,
    IdempotencyStore,
    Stored,
    credential_of,
    fingerprint,
)
from api.outcome import OUTCOME_HEADER, SECRET_SHOWN_ONCE, committed_reply, secret_shown_once
from domain.core.errors import Unauthenticated

logger = logging.getLogger("signalyard.api")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# The Authorization header -> the caller (raises Unauthenticated).
Authenticate = Callable[[str | None], Awaitable[Any]]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestIdMiddleware:
    """X-Request-ID in (or a new one) becomes the correlation id and is echoed back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = (_header(scope, b"x-request-id") or "")[:200] or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class BodyAndIdempotencyMiddleware:
    """Buffers request bodies up to the limit (413 beyond) and handles Idempotency-Key."""

    def __init__(
        self,
        app: ASGIApp,
        store: IdempotencyStore | None,
        max_body_bytes: int,
        upload_paths: re.Pattern[str] | None = None,
        max_upload_bytes: int = 0,
        authenticate: Authenticate | None = None,
    ):
        self.app, self.store, self.limit = app, store, max_body_bytes
        # Who is calling, known before a byte of the body is read or anything is replayed.
        self.authenticate = authenticate
        # Paths that take bundle uploads get their own, larger limit.
        self.upload_paths, self.upload_limit = upload_paths, max_upload_bytes

    def _limit_for(self, path: str) -> int:
        if self.upload_paths is not None and self.upload_paths.match(path):
            return max(self.limit, self.upload_limit)
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        principal = None
        if self.authenticate is not None:
            try:
                principal = await self.authenticate(_header(scope, b"authorization"))
            except Unauthenticated as exc:
                return await send_problem(
                    send,
                    scope,
                    401,
                    "Unauthorized",
                    exc.message,
                    [(b"www-authenticate", b"Bearer")],
                )
            except (psycopg.Error, PoolTimeout, PersistenceError) as exc:
                logger.warning("caller not authenticated, store unavailable: %s", exc)
                return await unavailable(send, scope)
            scope.setdefault("state", {})["principal"] = principal
        limit = self._limit_for(scope["path"])
        length = _header(scope, b"content-length")
        if length and length.isdigit() and int(length) > limit:
            return await send_problem(
                send, scope, 413, "Payload too large", f"request body exceeds {limit} bytes"
            )
        body = await _read_body(receive, limit)
        if body is None:
            return await send_problem(
                send, scope, 413, "Payload too large", f"request body exceeds {limit} bytes"
            )
        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        key = _header(scope, b"idempotency-key")
        if key is None or scope["method"] != "POST" or self.store is None:
            return await self.app(scope, replay_receive, send)
        if not 1 <= len(key) <= 255:
            return await send_problem(
                send, scope, 400, "Bad request", "Idempotency-Key must be 1-255 characters"
            )
        owner = str(principal.token_id) if principal is not None else None
        await self._idempotent(scope, replay_receive, send, key, body, owner)

    async def _idempotent(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: str,
        body: bytes,
        owner: str | None,
    ) -> None:
        assert self.store is not None
        # Keys belong to the caller's token (its id: never the raw header, whose spelling
        # varies); without an authenticator, to a hash of the credential.
        owner = owner or credential_of(_header(scope, b"authorization"))
        fp = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        try:
            reservation = await self.store.begin(owner, key, fp)
        except (psycopg.Error, PoolTimeout) as exc:  # nothing ran: retrying is safe
            logger.warning("idempotency key %r not reserved: %s", key, exc)
            return await unavailable(send, scope)
        if isinstance(reservation, Stored):
            return await answer_stored(send, scope, reservation, fp)
        attempt = reservation.attempt
        # The command's write commits only while this attempt is the key's current one.
        scope.setdefault("state", {})["fence"] = (owner, key, attempt)
        # The response is held back until its outcome is stored: a client that sends the
        # same key again as soon as it has the answer must get the replay, not a 409.
        captured: dict[str, Any] = {"status": 500, "headers": {}, "body": [], "unknown": False}
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
                captured["unknown"] = headers.get(OUTCOME_HEADER) == "unknown"
                captured["headers"] = {k: v for k, v in headers.items() if k in REPLAYED_HEADERS}
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            messages.append(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self._after_failure(owner, key, attempt, None)
            raise
        status = captured["status"]
        if captured["unknown"]:
            await self._after_failure(owner, key, attempt, None, unknown=True)
        elif status >= 500:
            committed = await self._after_failure(owner, key, attempt, status)
            if committed is not None:  # it wrote after all: say so, and keep saying it
                status, headers, reply = committed_reply(committed)
                await self._complete(owner, key, attempt, status, headers, reply)
                return await send_reply(send, status, headers, reply)
        elif scope["state"].get(SECRET_SHOWN_ONCE):
            # The response carries a secret: it is shown once and never kept, so a replay
            # says what happened instead of showing it again.
            status_, headers_, reply = secret_shown_once(scope.get("path", ""))
            await self._complete(owner, key, attempt, status_, headers_, reply)
        else:
            await self._complete(
                owner, key, attempt, status, captured["headers"], b"".join(captured["body"])
            )
        for message in messages:
            await send(message)

    async def _complete(
        self, owner: str, key: str, attempt: str, status: int, headers: dict, body: bytes
    ) -> None:
        assert self.store is not None
        try:
            await self.store.complete(owner, key, attempt, status, headers, body)
        except (psycopg.Error, PoolTimeout) as exc:
            # The answer stands: a write it reports is already marked committed with the
            # key, so a retry learns of it without the response being kept.
            logger.warning("response for idempotency key %r not kept: %s", key, exc)

    async def _after_failure(
        self, owner: str, key: str, attempt: str, status: int | None, *, unknown: bool = False
    ) -> int | None:
        """Free the key if the attempt wrote nothing; the position if it committed."""
        assert self.store is not None
        try:
            if unknown:
                await self.store.end_lease(owner, key, attempt)
                return None
            return await self.store.release(owner, key, attempt)
        except Exception:  # noqa: BLE001 - the database is away: the lease runs out
            logger.warning("idempotency key %r left to its lease (database unavailable)", key)
            return None
