"""`signalyard dev` under a steady write load heals when one of its processes is killed:
the tree stays up, the process comes back, and every confirmed write is in the read models
exactly once."""

from __future__ import annotations

import time

import httpx
import psutil
import pytest
from support.dev_tree import DevProcess, dev_environment
from support.stack import free_port
from support.write_load import WriteLoad, names_in_read_model

pytestmark = pytest.mark.slow

TOKEN = "syd_heal_test_token_0123456789abcdef"
THREADS = 4


def _until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_killed_api_worker_and_projections_come_back_without_losing_or_doubling_writes(
    service_dir,
):
    port = free_port()
    env = dev_environment(SIGNALYARD_BOOTSTRAP_TOKEN=TOKEN, SIGNALYARD_API_WORKERS="2")
    dev = DevProcess(service_dir / "state", port, env)
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        dev.wait_ready()
        print(f"ready after {time.monotonic() - started:.1f} s")
        _until(lambda: len(dev.api_workers()) == 2, "both API workers")
        with WriteLoad(base_url, TOKEN, "heal", threads=THREADS) as load:
            load.wait_for_more(20)

            print(f"load running at {time.monotonic() - started:.1f} s")
            victim = dev.api_workers()[0]
            victim.kill()
            # uvicorn's manager replaces the worker; the supervisor's api child stays.
            _until(
                lambda: len(dev.api_workers()) == 2 and victim.pid not in _pids(dev),
                "a new API worker",
            )
            load.wait_for_more(20)

            projections = dev.child("projections")
            assert projections is not None
            projections.kill()
            _until(
                lambda: _pid(dev.child("projections")) not in (None, projections.pid),
                "the projections to be restarted",
            )
            load.wait_for_more(20)

        assert dev.proc.poll() is None, dev.output()
        assert f"projections (pid {projections.pid}) was killed by SIGKILL; restart 1" in (
            dev.output()
        )
        outcome = load.outcome
        assert not outcome.rejected, outcome.rejected
        # A write in flight in the killed worker keeps its Idempotency-Key "in progress"
        # (its outcome is unknown to the API): at most one per client thread.
        assert len(outcome.unresolved) <= THREADS, (outcome.unresolved, outcome.retried)
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
            listed = names_in_read_model(api, "heal-", max(outcome.confirmed.values()))
        assert {n: c for n, c in listed.items() if c > 1} == {}, "duplicates"
        missing = set(outcome.confirmed) - set(listed)
        assert not missing, f"{len(missing)} confirmed writes not in the read model"
        print(
            f"{len(outcome.confirmed)} writes confirmed, unresolved {outcome.unresolved} "
            f"(in the read model: {[n for n in outcome.unresolved if n in listed]}); "
            f"retries: {dict(outcome.retried)}; {time.monotonic() - started:.1f} s"
        )
    finally:
        assert dev.interrupt() == 0, dev.output()


def _pid(proc: psutil.Process | None) -> int | None:
    return None if proc is None else proc.pid


def _pids(dev: DevProcess) -> set[int]:
    return {p.pid for p in psutil.Process(dev.proc.pid).children(recursive=True)}
