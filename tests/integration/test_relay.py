"""The relay against real Postgres and NATS JetStream: every event of the log in the stream
exactly once and in log order, its position moved only after the ack, and a restart (of
the relay or of NATS) neither losing nor doubling anything, however small the dedupe window."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid

import psycopg
import pytest
from support.counters import wait_until
from support.relay import (
    Writer,
    assert_exactly_once_in_log_order,
    event_store,
    relay_position,
    stream_content,
    write_tallies,
)

from projections.engine.log import EventLog
from projections.engine.runner import ProjectionRunner
from schemas.cloudevents import CloudEvent
from signalyard.embedded import EmbeddedNats
from workers.adapters.bus import BusConfig
from workers.relay.follower import RelayFollower
from workers.relay.publisher import JetStreamPublisher


def _bus(url: str, **options) -> BusConfig:
    """A stream and subject prefix of the test's own on the session's NATS."""
    tag = uuid.uuid4().hex[:10]
    return BusConfig(url=url, stream=f"T{tag}", subject_prefix=f"t{tag}", **options)


@pytest.fixture
def store(fresh_db_url):
    built = event_store(fresh_db_url)
    yield built
    built.close()


def _relay(url: str, config: BusConfig, log: EventLog, **options) -> ProjectionRunner:
    publisher = JetStreamPublisher(config, ack_timeout=5)
    runner = ProjectionRunner(url, RelayFollower(publisher), log, **options)
    runner.close = _closing(runner, publisher)  # type: ignore[method-assign]
    return runner


def _closing(runner: ProjectionRunner, publisher: JetStreamPublisher):
    close = runner.close

    def both() -> None:
        close()
        publisher.close()

    return both


def test_every_event_once_in_log_order_and_the_position_follows_the_acks(
    fresh_db_url, nats_server_url, store
):
    config = _bus(nats_server_url)
    log = EventLog(store)
    for _ in range(3):
        write_tallies(store, 20, 9)
    with _relay(fresh_db_url, config, log, batch_size=64) as relay:
        relay.run_until(log.head(), timeout=30)
    held = stream_content(nats_server_url, config.stream)
    assert_exactly_once_in_log_order(held, log)
    assert len(held) == 3 * 20 * 10 + 2  # the admin user and its token, slug claims skipped
    assert relay_position(fresh_db_url) == log.head()
    tally = next(h for h in held if h.envelope["type"] == "io.signalyard.tally.bumped.v1")
    event = CloudEvent.model_validate(tally.envelope)
    assert tally.subject == f"{config.subject_prefix}.{event.orgid}.tally.bumped"
    assert event.source == f"/orgs/{event.orgid}/tallies/{event.subject}"
    assert (event.actor, event.correlationid) == ("tester", "c")
    user = next(h for h in held if h.envelope["type"] == "io.signalyard.user.registered.v1")
    assert user.subject == f"{config.subject_prefix}._global.user.registered"
    assert user.envelope["source"] == f"/users/{user.envelope['subject']}"


def test_a_restart_resumes_after_the_stream_not_the_dedupe_window(
    fresh_db_url, nats_server_url, store
):
    """A relay that died after the ack and before its commit: its tracking is behind what
    the stream holds, and the dedupe window (1 s) is long over when it comes back."""
    config = _bus(nats_server_url, duplicate_window_seconds=1.0)
    log = EventLog(store)
    write_tallies(store, 30, 4)
    with _relay(fresh_db_url, config, log) as relay:
        relay.run_until(log.head(), timeout=30)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute("UPDATE rm_relay._tracking SET position = 0")
    time.sleep(1.5)
    write_tallies(store, 5, 4)
    with _relay(fresh_db_url, config, log) as relay:
        relay.run_until(log.head(), timeout=30)
    assert_exactly_once_in_log_order(stream_content(nats_server_url, config.stream), log)


def test_nats_restarted_mid_run_loses_and_doubles_nothing(fresh_db_url, service_dir, store):
    log = EventLog(store)
    with EmbeddedNats(service_dir / "nats") as server:
        config = _bus(server.url)
        relay = _relay(fresh_db_url, config, log, batch_size=50)
        stop = threading.Event()
        thread = threading.Thread(target=relay.run_forever, args=(stop,), daemon=True)
        thread.start()
        try:
            with Writer(store, rounds=40) as writer:
                wait_until(lambda: relay_position(fresh_db_url) >= 1000, 30, "1000 events")
                server.restart()  # while the relay publishes and the writer writes
            assert writer.written == 40
            wait_until(lambda: relay_position(fresh_db_url) >= log.head(), 60, "the relay")
        finally:
            stop.set()
            thread.join(10)
        held = stream_content(server.url, config.stream)
    assert len(held) > 3000
    assert_exactly_once_in_log_order(held, log)


def test_the_stream_is_made_once_and_updated_when_its_settings_change(nats_server_url):
    import nats

    from workers.adapters.bus import ensure_stream

    config = _bus(nats_server_url, max_age_seconds=3600)

    async def scenario():
        nc = await nats.connect(nats_server_url)
        try:
            js = nc.jetstream()
            first = await ensure_stream(js, config)
            again = await ensure_stream(js, config)
            changed = dataclasses.replace(
                config, max_age_seconds=60.0, duplicate_window_seconds=30.0
            )
            updated = await ensure_stream(js, changed)
            info = await js.stream_info(config.stream)
            await js.delete_stream(config.stream)
            return first, again, updated, info
        finally:
            await nc.close()

    first, again, updated, info = asyncio.run(scenario())
    assert first == again
    assert first.subjects == [f"{config.subject_prefix}.>"]
    assert first.max_age == 3600 and first.duplicate_window == 120
    assert (str(first.storage), str(first.retention)) == ("file", "limits")
    assert updated.max_age == 60 and info.config.max_age == 60
    assert info.config.duplicate_window == 30
