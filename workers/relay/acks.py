"""Pipelined JetStream publishes: send many, then await each one's ack.

nats-py's `publish_async` leaves the future of a refused publish unresolved (its reply
handler raises the server's error instead of setting it), so a refusal would look like a
timeout; this small multiplexer resolves every reply, ack or error, itself.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg


class PublishRefused(RuntimeError):
    """The server answered the publish with an error (e.g. `wrong last sequence`)."""


class AckMux:
    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._prefix = ""
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tokens = itertools.count()

    async def start(self) -> None:
        self._prefix = self._nc.new_inbox()
        await self._nc.subscribe(f"{self._prefix}.*", cb=self._on_reply)

    async def send(
        self, subject: str, body: bytes, headers: dict[str, str]
    ) -> asyncio.Future[dict[str, Any]]:
        token = str(next(self._tokens))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[token] = future
        future.add_done_callback(lambda _f: self._pending.pop(token, None))
        await self._nc.publish(subject, body, reply=f"{self._prefix}.{token}", headers=headers)
        return future

    async def _on_reply(self, msg: Msg) -> None:
        future = self._pending.get(msg.subject.rsplit(".", 1)[-1])
        if future is None or future.done():
            return
        if msg.headers and msg.headers.get("Status") == "503":
            future.set_exception(PublishRefused("no stream answers the subject"))
            return
        try:
            reply = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            future.set_exception(PublishRefused(f"unreadable ack: {msg.data[:200]!r}"))
            return
        if "error" in reply:
            future.set_exception(PublishRefused(str(reply["error"].get("description"))))
        else:
            future.set_result(reply)
