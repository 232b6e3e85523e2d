"""Subscribers on the real NATS: the README's example, redelivery with backoff into a dead
letter, idempotence by CloudEvent id, a foreign message dropped; and `events tail`."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import nats
import orjson
import pytest

from signalyard.cli import main
from signalyard.embedded import EmbeddedNats
from workers.adapters.bus import BusConfig, connect
from workers.relay.mapping import Outbound
from workers.relay.publisher import JetStreamPublisher
from workers.subscribers import Subscriber, SubscriberConfig

README = Path(__file__).resolve().parents[2] / "README.md"
ORG_A, ORG_B = str(uuid.uuid4()), str(uuid.uuid4())


def _bus(url: str) -> BusConfig:
    tag = uuid.uuid4().hex[:10]
    return BusConfig(url=url, stream=f"S{tag}", subject_prefix=f"s{tag}")


def _event(bus: BusConfig, org: str, position: int, kind: str = "thing.made", id_=None):
    entity, verb = kind.split(".")
    envelope = {
        "specversion": "1.0",
        "id": id_ or str(uuid.uuid4()),
        "source": f"/orgs/{org}/{entity}s/e{position}",
        "type": f"io.signalyard.{kind}.v1",
        "subject": f"e{position}",
        "time": "2026-01-01T00:00:00+00:00",
        "position": position,
        "orgid": org,
        "data": {"n": position},
    }
    subject = f"{bus.subject_prefix}.{org}.{entity}.{verb}"
    # A second copy of an event is a new message (its own Nats-Msg-Id) with the same id.
    return Outbound(position, subject, str(uuid.uuid4()), orjson.dumps(envelope))


def _publish(bus: BusConfig, events: list[Outbound]) -> None:
    publisher = JetStreamPublisher(bus)
    try:
        publisher.publish(events)
    finally:
        publisher.close()


def _readme_example() -> dict:
    text = README.read_text()
    section = text[text.index("### Subscribing to events") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the documented example
    return namespace


def test_the_readme_example_prints_its_orgs_events_only(nats_server_url, capsys):
    bus = _bus(nats_server_url)
    _publish(bus, [_event(bus, org, n) for n, org in enumerate([ORG_A, ORG_B, ORG_A], 1)])
    example = _readme_example()

    printed: list[str] = []
    documented = example["on_event"]

    async def on_event(event):  # the example's handler, watched
        await documented(event)
        printed.append(event.subject)

    example["on_event"] = on_event  # `subscribe` looks it up in its module's globals

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(example["subscribe"](bus, ORG_A, stop))
        for _ in range(100):
            if len(printed) >= 2:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # time for a wrong third one to arrive
        stop.set()
        await task

    asyncio.run(run())
    assert printed == ["e1", "e3"]
    out = capsys.readouterr().out.splitlines()
    assert out == ["io.signalyard.thing.made.v1 e1", "io.signalyard.thing.made.v1 e3"]


def test_failures_are_retried_with_backoff_then_dead_lettered_and_ids_handled_once(
    nats_server_url,
):
    bus = _bus(nats_server_url)
    twin = str(uuid.uuid4())
    events = [
        _event(bus, ORG_A, 1),
        _event(bus, ORG_A, 2, "thing.broken"),
        _event(bus, ORG_A, 3, id_=twin),
        _event(bus, ORG_A, 4, id_=twin),  # the same CloudEvent again
        _event(bus, ORG_A, 5),
    ]
    _publish(bus, events)
    handled: list[int] = []
    attempts: list[float] = []
    config = SubscriberConfig("retrier", ORG_A, max_deliver=3, backoff=(0.2, 0.5), ack_wait=5)

    async def handler(event):
        if event.type == "io.signalyard.thing.broken.v1":
            attempts.append(asyncio.get_running_loop().time())
            raise RuntimeError("cannot handle this one")
        handled.append(event.position)

    async def run():
        nc = await connect(bus, name="test")
        try:
            stop = asyncio.Event()
            subscriber = Subscriber(nc, bus, config, handler)
            await subscriber.ensure()
            js = nc.jetstream()
            dlq = await js.subscribe(f"{bus.subject_prefix}_dlq.{ORG_A}.retrier")
            task = asyncio.create_task(subscriber.run(stop))
            letter = await dlq.next_msg(timeout=15)
            stop.set()
            await task
            return orjson.loads(letter.data)
        finally:
            await nc.close()

    letter = asyncio.run(run())
    assert handled == [1, 3, 5]
    assert len(attempts) == 3
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.5
    assert letter["reason"] == "RuntimeError: cannot handle this one"
    assert letter["deliveries"] == 3 and letter["consumer"] == "retrier"
    assert orjson.loads(letter["message"])["position"] == 2


def test_a_message_from_another_orgs_subjects_is_dropped(nats_server_url):
    """As if a tenant aimed its pull request's reply at another org's subscriber."""
    bus = _bus(nats_server_url)
    _publish(bus, [_event(bus, ORG_B, 1)])
    handled = []

    async def handler(event):
        handled.append(event)

    async def run():
        nc = await connect(bus, name="test")
        try:
            theirs = Subscriber(nc, bus, SubscriberConfig("b", ORG_B), handler)
            await theirs.ensure()
            sub = await nc.jetstream().pull_subscribe_bind("b", bus.stream)
            (foreign,) = await sub.fetch(1, timeout=5)
            ours = Subscriber(nc, bus, SubscriberConfig("a", ORG_A), handler)
            await ours.handle(foreign)
        finally:
            await nc.close()

    asyncio.run(run())
    assert handled == []


@pytest.fixture
def bus_env(service_dir, monkeypatch):
    """`signalyard` commands on a NATS of their own (the default subjects `signalyard.>`)."""
    with EmbeddedNats(service_dir / "nats") as server:
        monkeypatch.setenv("NATS_URL", server.url)
        monkeypatch.setenv("NATS_STREAM", "TAIL")
        yield BusConfig(url=server.url, stream="TAIL")


def test_events_tail_replays_since_a_position_and_filters(bus_env, capsys):
    bus = bus_env
    kinds = ["skill.created", "skill.updated", "team.created", "skill.deleted", "skill.created"]
    _publish(bus, [_event(bus, ORG_A, n * 10, kind) for n, kind in enumerate(kinds, 1)])
    code = main(
        ["events", "tail", "--since", "25", "--type", "io.signalyard.skill.*", "--count", "2"]
    )
    out = capsys.readouterr().out
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["40", "50"]
    assert "skill.deleted" in lines[0] and f"/orgs/{ORG_A}/skills/e40" in lines[0]

    async def later():  # live: an event published after the tail started
        await asyncio.sleep(1.0)
        nc = await nats.connect(bus.url)
        event = _event(bus, ORG_B, 60, "team.created")
        await nc.jetstream().publish(event.subject, event.body)
        await nc.close()

    async def both():
        publishing = asyncio.create_task(later())
        code = await asyncio.to_thread(main, ["events", "tail", "--org", ORG_B, "--count", "1"])
        await publishing
        return code

    assert asyncio.run(both()) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.split()[0] == "60" and "team.created" in line
