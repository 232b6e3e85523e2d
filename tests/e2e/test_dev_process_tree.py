"""The README's main command, in substance: `signalyard dev` starts everything, serves the
walkthrough, stops cleanly on Ctrl-C, and the data is still there after a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.counters import wait_until
from support.dev_tree import DevProcess, dev_environment
from support.relay import stream_content
from support.stack import free_port

from signalyard.embedded.base import port_open, read_state
from workers.adapters.bus import BusConfig

pytestmark = pytest.mark.slow


@pytest.fixture
def dev_env() -> dict[str, str]:
    return dev_environment()


def test_dev_serves_the_walkthrough_and_keeps_data_across_restarts(service_dir, dev_env):
    data_dir, port = service_dir / "state", free_port()
    first = DevProcess(data_dir, port, dev_env)
    try:
        first.wait_ready()
        token = first.token()
        assert token and token.startswith("syd_")
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert api.post("/v1/orgs", json={"name": "Acme"}).status_code == 201
        assert api.post("/v1/orgs/acme/teams", json={"name": "Platform"}).status_code == 201
        base = "/v1/orgs/acme/teams/platform/workspaces"
        assert api.post(base, json={"name": "Main"}).status_code == 201
        created = api.post(
            f"{base}/main/projects", json={"name": "Agents", "settings": {"max_parallel": 4}}
        )
        assert created.status_code == 201, created.text
        position = created.headers["X-Signalyard-Position"]
        read = api.get(f"{base}/main/projects/agents", params={"min_position": position})
        assert read.status_code == 200 and read.json()["settings"] == {"max_parallel": 4}
        history = api.get(f"{base}/main/projects/agents/history").json()["items"]
        assert [h["type"] for h in history] == ["Project.Created"]
        # NATS and Temporal run beside Postgres (no NATS_URL / TEMPORAL_ADDRESS here).
        bus = read_state(data_dir / "nats.json")
        workflows = read_state(data_dir / "temporal.json")
        assert bus["running"] and port_open(bus["port"])
        assert workflows["running"] and port_open(workflows["port"])
        assert f"embedded NATS at {bus['url']}" in first.output()
        # The relay runs in the tree: the org's creation reaches the bus.
        creds = data_dir / "nats-auth" / "signalyard.creds"
        wait_until(lambda: _on_the_bus(bus["url"], creds, "organization.created"), 30, "the relay")
        assert f"embedded Temporal at {workflows['url']}" in first.output()
        # The API under dev issues bus credentials with the embedded NATS's keys.
        issued = api.post("/v1/orgs/acme/bus-credentials", json={"name": "feed"})
        assert issued.status_code == 201, issued.text
        assert "BEGIN USER NKEY SEED" in issued.json()["creds"]
        assert str(data_dir / "nats-auth" / "signalyard.creds") in first.output()
        # Secrets: the local backend's key generated into the data dir, OpenBao for vault.
        bao = read_state(data_dir / "openbao.json")
        assert bao["running"] and port_open(bao["port"])
        for body in (
            {"name": "LOCAL", "backend": "local", "value": "dev-local-value"},
            {"name": "VAULTED", "backend": "vault", "value": "v", "path_or_arn": "signalyard/x"},
        ):
            made = api.post("/v1/orgs/acme/secrets", json=body)
            assert made.status_code == 201, made.text
        key_file = data_dir / "secrets-master.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert key_file.read_text().strip() not in first.output(), "the master key was logged"
    finally:
        assert first.interrupt() == 0  # no orphans: the NATS, Temporal and OpenBao servers too
    assert not port_open(bus["port"]) and not port_open(workflows["port"])
    assert not port_open(bao["port"])
    assert (data_dir / "temporal.db").is_file() and (data_dir / "nats" / "jetstream").is_dir()
    password = (data_dir / "postgres.password").read_text().strip()
    assert password and password not in first.output(), "the database password was logged"

    second = DevProcess(data_dir, port, dev_env)
    try:
        second.wait_ready()
        assert second.token() is None, "the admin token must be shown only once"
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        read = api.get("/v1/orgs/acme/teams/platform/workspaces/main/projects/agents")
        assert read.status_code == 200 and read.json()["name"] == "Agents"
    finally:
        assert second.interrupt() == 0


def test_bootstrap_token_from_the_environment_becomes_the_admin_token(service_dir, dev_env):
    port = free_port()
    dev = DevProcess(
        service_dir / "state",
        port,
        {**dev_env, "SIGNALYARD_BOOTSTRAP_TOKEN": "syd_automation_token_0123456789abcdef"},
    )
    try:
        dev.wait_ready()
        assert dev.token() is None
        me = httpx.get(
            f"http://127.0.0.1:{port}/v1/me",
            headers={"Authorization": "Bearer syd_automation_token_0123456789abcdef"},
        )
        assert me.status_code == 200 and me.json()["is_platform_admin"] is True
    finally:
        assert dev.interrupt() == 0


def _on_the_bus(url: str, creds: Path, kind: str) -> bool:
    try:
        held = stream_content(BusConfig(url=url, creds_file=str(creds)))
    except Exception:  # noqa: BLE001 - no stream yet: the relay is starting
        return False
    return any(m.envelope["type"] == f"io.signalyard.{kind}.v1" for m in held)
