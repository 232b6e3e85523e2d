"""Watching the bus as it goes by (`signalyard events tail`): an ordered, ephemeral
consumer from the newest event, or from a log position (found by bisecting the stream,
whose messages are in log order)."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import AsyncIterator

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from schemas.cloudevents import CloudEvent
from workers.adapters.bus import BusConfig
from workers.relay.publisher import read_position


async def first_seq_at(js: JetStreamContext, stream: str, position: int) -> int | None:
    """The stream sequence of the first event at or after log `position` (None: none)."""
    state = (await js.stream_info(stream)).state
    low, high = state.first_seq, state.last_seq
    if not state.messages:
        return None
    found = None
    while low <= high:
        middle = (low + high) // 2
        try:
            at = await read_position(js, stream, middle)
        except NotFoundError:  # deleted: look later
            low = middle + 1
            continue
        if at >= position:
            found, high = middle, middle - 1
        else:
            low = middle + 1
    return found


async def watch(
    nc: Client,
    bus: BusConfig,
    *,
    org: str | None = None,
    type_glob: str | None = None,
    since: int | None = None,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[CloudEvent]:
    js = nc.jetstream()
    subject = f"{bus.subject_prefix}.{org}.>" if org else f"{bus.subject_prefix}.>"
    config = ConsumerConfig()
    policy = DeliverPolicy.NEW
    if since is not None:
        start = await first_seq_at(js, bus.stream, since)
        if start is not None:
            policy, config.opt_start_seq = DeliverPolicy.BY_START_SEQUENCE, start
    sub = await js.subscribe(
        subject, stream=bus.stream, ordered_consumer=True, deliver_policy=policy, config=config
    )
    try:
        while stop is None or not stop.is_set():
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                continue
            try:
                event = CloudEvent.model_validate_json(msg.data)
            except ValidationError:
                continue  # not one of ours
            if type_glob and not fnmatch.fnmatchcase(event.type, type_glob):
                continue
            if since is not None and (event.position or 0) < since:
                continue
            yield event
    finally:
        await sub.unsubscribe()
