"""`signalyard relay` killed with SIGKILL at random points while events are written: once a
relay has caught up, the stream holds every event exactly once, in log order."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.counters import wait_until
from support.relay import (
    Writer,
    assert_exactly_once_in_log_order,
    event_store,
    relay_position,
    stream_content,
)

from projections.engine.log import EventLog
from signalyard.embedded import EmbeddedNats

pytestmark = pytest.mark.slow

TESTS_DIR = Path(__file__).resolve().parents[1]


def _relay(db_url: str, nats_url: str, log_path: Path) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SIGNALYARD_", "NATS_"))},
        "DATABASE_URL": db_url,
        "NATS_URL": nats_url,
        "SIGNALYARD_LOG_LEVEL": "warning",
        # The test's own aggregate (support.relay.Tally) must decode in the relay.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
    }
    with log_path.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "signalyard", "relay"], env=env, stdout=out, stderr=out
        )


def test_relay_killed_at_random_points_publishes_every_event_exactly_once(
    fresh_db_url, service_dir
):
    store = event_store(fresh_db_url)
    log = EventLog(store)
    chance = random.Random()
    seed = chance.randrange(1 << 30)
    chance.seed(seed)
    print(f"seed {seed}")
    relay_log = service_dir / "relay.log"
    try:
        with EmbeddedNats(service_dir / "nats") as server:
            relay = _relay(fresh_db_url, server.url, relay_log)
            killed_at: list[int] = []
            with Writer(store, rounds=60, entities=10, bumps=9, pause=0.2) as writer:
                while writer.thread.is_alive() or len(killed_at) < 6:
                    # Once this relay is publishing, at a random point of its run.
                    resumed = relay_position(fresh_db_url)
                    wait_until(
                        lambda since=resumed: relay_position(fresh_db_url) > since, 60, "progress"
                    )
                    time.sleep(chance.uniform(0, 0.4))
                    relay.kill()  # SIGKILL
                    relay.wait(10)
                    killed_at.append(relay_position(fresh_db_url))
                    relay = _relay(fresh_db_url, server.url, relay_log)
            print(f"killed at positions {killed_at}, head {log.head()}")
            assert len(killed_at) >= 6
            try:
                wait_until(lambda: relay_position(fresh_db_url) >= log.head(), 90, "catch-up")
            finally:
                relay.kill()
                relay.wait(10)
            held = stream_content(server.url, "SIGNALYARD")
        assert len(held) >= 6000
        assert_exactly_once_in_log_order(held, log)
    except BaseException:
        print(relay_log.read_text()[-4000:])
        raise
    finally:
        store.close()
