"""Raw ASGI answers the middleware sends itself: problems, replays, 503s."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from api.idempotency import Stored
from api.outcome import committed_reply

Scope = dict[str, Any]
Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    title: str,
    detail: str,
    extra_headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope.get("path"),
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def unavailable(send: Send, scope: Scope) -> None:
    await send_problem(
        send,
        scope,
        503,
        "Service unavailable",
        "the store is busy; retry shortly",
        [(b"retry-after", b"1")],
    )


async def send_reply(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def answer_stored(send: Send, scope: Scope, stored: Stored, fp: str) -> None:
    if stored.fingerprint != fp:
        return await send_problem(
            send,
            scope,
            422,
            "Idempotency key reused",
            "this Idempotency-Key was used with a different request body or path",
        )
    if stored.state == "done":
        headers = {**stored.headers, "idempotent-replayed": "true"}
        return await send_reply(send, stored.status or 200, headers, stored.body)
    if stored.state == "committed" and stored.lease_expired:
        status, headers, body = committed_reply(stored.position)
        return await send_reply(send, status, {**headers, "idempotent-replayed": "true"}, body)
    return await send_problem(
        send,
        scope,
        409,
        "Request in progress",
        "a request with this Idempotency-Key is still being processed",
        [(b"retry-after", str(stored.retry_after).encode())],
    )
