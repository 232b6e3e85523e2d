"""For the relay's tests: a small audited aggregate to write many events fast, the log's
publishable positions, and what a JetStream stream holds, message by message."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass

import nats
import orjson
import psycopg
from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.publication import public_payload
from domain.plumbing.store import EventStore
from projections.engine.log import EventLog
from signalyard.bootstrap import build_store, prepare
from signalyard.settings import Settings


class Tally(AuditedAggregate):
    """One entity of the load: created, then bumped."""

    @event("Opened")
    def __init__(self, organization_id: str, meta: dict) -> None:
        self.organization_id = organization_id
        self.count = 0

    @event("Bumped")
    def bump(self, by: int, meta: dict) -> None:
        self.count += by


ORG = str(uuid.UUID(int=7))
META = {"actor": "tester", "correlation_id": "c", "causation_id": None, "tenant_id": ORG}


def event_store(url: str) -> EventStore:
    """The application's event store in a fresh database, as the processes wire it."""
    settings = Settings(database_url=url, bootstrap_token="syd_relay_test_0123456789abcdefghij")
    prepare(settings)
    return build_store(settings, url)


def write_tallies(store: EventStore, entities: int, bumps: int) -> None:
    """`entities` new tallies with `bumps` bumps each, in one transaction."""
    tallies = [Tally(organization_id=ORG, meta=META) for _ in range(entities)]
    for tally in tallies:
        for n in range(bumps):
            tally.bump(by=n, meta=META)
    store.save(*tallies)


class Writer:
    """Writes rounds of tallies in a thread until stopped (or `rounds` are written)."""

    def __init__(
        self, store: EventStore, rounds: int, entities: int = 10, bumps: int = 9, pause=0.0
    ) -> None:
        self.store, self.rounds, self.entities, self.bumps = store, rounds, entities, bumps
        self.pause = pause
        self.written = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(60)

    def _run(self) -> None:
        for _ in range(self.rounds):
            write_tallies(self.store, self.entities, self.bumps)
            self.written += 1
            time.sleep(self.pause)


def published_positions(log: EventLog) -> list[int]:
    """Positions of the log's events that go on the bus, in log order."""
    positions, after = [], 0
    while batch := log.read(after, 1000):
        positions += [n.id for n in batch if public_payload(log.decode(n)) is not None]
        after = batch[-1].id
    return positions


@dataclass(frozen=True)
class Held:
    seq: int
    subject: str
    msg_id: str
    envelope: dict


async def _stream_content(url: str, stream: str) -> list[Held]:
    nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        last = (await js.stream_info(stream)).state.last_seq
        held = []
        for seq in range(1, last + 1):
            msg = await js.get_msg(stream, seq=seq)
            headers = msg.headers or {}
            held.append(
                Held(seq, msg.subject, headers.get("Nats-Msg-Id", ""), orjson.loads(msg.data))
            )
        return held
    finally:
        await nc.close()


def stream_content(url: str, stream: str) -> list[Held]:
    return asyncio.run(_stream_content(url, stream))


def relay_position(url: str) -> int:
    with psycopg.connect(url) as conn:
        try:
            return conn.execute("SELECT position FROM rm_relay._tracking").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def assert_exactly_once_in_log_order(held: list[Held], log: EventLog) -> None:
    """The stream holds every publishable event of the log once, in log order (and so in
    order per entity), each with its CloudEvent id as Nats-Msg-Id."""
    positions = [h.envelope["position"] for h in held]
    expected = published_positions(log)
    assert len(positions) == len(set(positions)), "an event is in the stream twice"
    assert positions == expected, _first_difference(positions, expected)
    assert all(h.msg_id == h.envelope["id"] for h in held)
    versions: dict[str, int] = {}
    for h in held:
        entity, version = h.envelope["subject"], h.envelope["entityversion"]
        assert version == versions.get(entity, 0) + 1, f"entity {entity} out of order"
        versions[entity] = version


def _first_difference(got: list[int], expected: list[int]) -> str:
    for i, (a, b) in enumerate(zip(got, expected, strict=False)):
        if a != b:
            return f"at index {i}: stream has {a}, log has {b}"
    return f"stream holds {len(got)} events, the log {len(expected)}"
