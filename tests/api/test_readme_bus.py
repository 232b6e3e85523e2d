"""The README's "Subscribe to your org's events" runs as written: creds issued with its
curl, its drain script pulls and acks the org's events from the real NATS and exits."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.api import created
from support.stack import Stack, bus_settings, running_stack
from test_readme_session import CURL_WRAPPER, bash_blocks

from workers.adapters.bus import BusConfig, connect, ensure_stream


@pytest.fixture(scope="module")
def readme_bus_stack(module_db_url: str, nats_bus: Any) -> Iterator[Stack]:
    with running_stack(module_db_url, **bus_settings(nats_bus)) as running:
        yield running


async def _publish(config: BusConfig, org_id: str, kinds: list[str]) -> None:
    nc = await connect(config, name="readme-test")
    try:
        js = nc.jetstream()
        await ensure_stream(js, config)
        for kind in kinds:
            event = {"type": f"io.signalyard.{kind}.v1", "subject": kind, "id": kind}
            await js.publish(f"signalyard.{org_id}.{kind}", json.dumps(event).encode())
    finally:
        await nc.close()


def test_the_readme_subscription_runs_as_written(
    readme_bus_stack: Stack, bus_config: BusConfig, tmp_path: Path
):
    with readme_bus_stack.admin() as admin:
        acme = created(admin.post("/v1/orgs", json={"name": "Acme"}))
        other = created(admin.post("/v1/orgs", json={"name": "Other"}))
    asyncio.run(_publish(bus_config, acme["guid"], ["task.created", "task.started"]))
    asyncio.run(_publish(bus_config, other["guid"], ["task.failed"]))
    script = "\n".join(bash_blocks("Subscribe to your org's events"))
    script, replaced = re.subn(r"^NATS=\S+", f"NATS={bus_config.url}", script, flags=re.M)
    assert replaced == 1
    setup = f"TOKEN={readme_bus_stack.admin_token}\nAPI={readme_bus_stack.base_url}\n"
    log = tmp_path / "curl.log"
    log.touch()
    env = {
        **os.environ,
        "CURL_LOG": str(log),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-c", CURL_WRAPPER + setup + script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (done.stdout, done.stderr, log.read_text())
    assert log.read_text().startswith("201\t"), log.read_text()
    lines = done.stdout.splitlines()
    assert lines == [
        "io.signalyard.task.created.v1 task.created",
        "io.signalyard.task.started.v1 task.started",
    ]
    assert (tmp_path / "acme.creds").stat().st_mode & 0o777 == 0o600
