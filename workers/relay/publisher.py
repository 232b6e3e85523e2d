"""Publishing batches of events to JetStream from the (synchronous) relay follower.

The NATS client is asyncio; it runs on an event loop in a thread of its own and the
follower hands it whole batches. A batch is pipelined (every message sent before the first
ack is awaited) and its acks are checked in order. Each message carries
`Nats-Expected-Last-Sequence`: the server stores it only right after the one before it, so
the stream can never hold a later event of the log without every earlier one, whatever
fails in between; and exactly once does not rest on the dedupe window (`Nats-Msg-Id` is
set too, as a second guard). After any failure or reconnect the publisher reads again what
the stream last holds, and the follower resumes after that.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import orjson
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from workers.adapters.bus import BusConfig, connect, ensure_stream
from workers.relay.acks import AckMux
from workers.relay.mapping import Outbound

logger = logging.getLogger(__name__)
T = TypeVar("T")


class PublishFailed(RuntimeError):
    """A batch was not wholly stored; the follower's position has not moved."""


class StreamTail:
    """What the stream last holds: its sequence and the log position of that event."""

    def __init__(self, seq: int, position: int) -> None:
        self.seq, self.position = seq, position


async def read_position(js: JetStreamContext, stream: str, seq: int) -> int:
    """The log position of the stream's message `seq` (0 if it carries none)."""
    msg = await js.get_msg(stream, seq=seq)
    try:
        return int(orjson.loads(msg.data or b"{}").get("position") or 0)
    except (ValueError, TypeError, AttributeError):
        logger.warning("stream %s: message %d has no position", stream, seq)
        return 0


async def read_tail(js: JetStreamContext, stream: str) -> StreamTail:
    info = await js.stream_info(stream)
    seq = info.state.last_seq
    if not seq:
        return StreamTail(0, 0)
    try:
        return StreamTail(seq, await read_position(js, stream, seq))
    except NotFoundError:  # expired by max age: the relay's own tracking decides
        return StreamTail(seq, 0)


class JetStreamPublisher:
    def __init__(
        self, config: BusConfig, *, name: str = "signalyard-relay", ack_timeout: float = 10.0
    ) -> None:
        self.config = config
        self.name = name
        self.ack_timeout = ack_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._acks: AckMux | None = None
        self._tail: StreamTail | None = None  # None: read it again before the next batch

    def stream_position(self) -> int:
        """The log position of the last event in the stream (0 when it holds none)."""
        return self._run(self._synced()).position

    def publish(self, messages: Sequence[Outbound]) -> None:
        """Store every message, in order, or raise PublishFailed."""
        if messages:
            self._run(self._publish(messages))

    def close(self) -> None:
        if self._nc is not None:
            try:
                self._run(self._nc.close(), timeout=5)
            except Exception:  # noqa: BLE001 - closing anyway
                logger.debug("closing the NATS connection failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run on the loop and wait; a call that overruns is cancelled there, so no two
        batches are ever in flight at once."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout if timeout is not None else self.ack_timeout * 6)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._tail = None
            raise PublishFailed("NATS did not answer in time") from None

    async def _connected(self) -> JetStreamContext:
        if self._nc is None or self._nc.is_closed:
            self._nc = await connect(self.config, name=self.name, reconnected_cb=self._reconnected)
            self._js = self._nc.jetstream(timeout=self.ack_timeout)
            self._acks = AckMux(self._nc)
            await self._acks.start()
            await ensure_stream(self._js, self.config)
            self._tail = None
        assert self._js is not None
        return self._js

    async def _reconnected(self) -> None:
        logger.info("%s: reconnected to NATS; reading the stream's tail again", self.name)
        self._tail = None

    async def _synced(self) -> StreamTail:
        js = await self._connected()
        if self._tail is None:
            self._tail = await read_tail(js, self.config.stream)
            logger.info(
                "%s: stream %s ends at sequence %d, log position %d",
                self.name,
                self.config.stream,
                self._tail.seq,
                self._tail.position,
            )
        return self._tail

    async def _publish(self, messages: Sequence[Outbound]) -> None:
        tail = await self._synced()
        acks = self._acks
        assert acks is not None
        futures: list[asyncio.Future[dict[str, Any]]] = []
        try:
            for offset, message in enumerate(messages):
                headers = {
                    "Nats-Msg-Id": message.msg_id,
                    "Nats-Expected-Last-Sequence": str(tail.seq + offset),
                }
                futures.append(await acks.send(message.subject, message.body, headers))
            async with asyncio.timeout(self.ack_timeout):
                for message, future in zip(messages, futures, strict=True):
                    ack = await future
                    if ack.get("duplicate"):  # never expected: the tail was read before
                        raise PublishFailed(f"event {message.msg_id} was already in the stream")
                    tail.seq, tail.position = int(ack["seq"]), message.position
        except Exception as exc:
            self._tail = None  # what was stored is read back before the next batch
            for future in futures:
                future.cancel()
            if isinstance(exc, PublishFailed):
                raise
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
