"""A running Signalyard on a real database, over real HTTP: uvicorn on a free port plus the
projection runners, in threads of the test process."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from signalyard import bootstrap
from signalyard.settings import Settings

ADMIN_TOKEN = "syd_test_admin_token_0123456789abcdef"
# Seals callback signing secrets and infra credentials of test stacks (32 bytes, base64).
TEST_WEBHOOK_KEY = "dGVzdC13ZWJob29rLWtleS0wMTIzNDU2Nzg5YWJjZGU="
# The local secret backend's key-encryption key of every test stack (32 bytes, base64).
TEST_MASTER_KEY = "c2lnbmFseWFyZC10ZXN0LW1hc3Rlci1rZXktMzJieXQ="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    settings: Settings
    base_url: str
    admin_token: str
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _server: uvicorn.Server | None = None

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers={**auth, **headers}, timeout=30)

    def admin(self) -> httpx.Client:
        return self.client(self.admin_token)

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=15)


def bus_settings(nats_bus: Any) -> dict[str, object]:
    """Settings giving a stack the session's embedded NATS (operator mode) and its keys;
    none for an external NATS (NATS_URL and its NATS_* keys come from the environment)."""
    if nats_bus is None:
        return {}
    auth = nats_bus.auth
    return {
        "nats_url": nats_bus.url,
        "nats_creds": auth.creds_path,
        "nats_account_public_key": auth.account_public_key,
        "nats_account_signing_seed": auth.account_signing_seed,
        "nats_operator_seed": auth.operator_seed,
        "nats_system_creds": auth.system_creds_path,
    }


def start_stack(database_url: str, *, projections: bool = True, **overrides: object) -> Stack:
    settings = Settings(
        database_url=database_url,
        bootstrap_token=ADMIN_TOKEN,
        port=free_port(),
        log_level="warning",
        # Skill bundles of a test stack go to a temporary directory, not the work tree.
        blob_dir=Path(tempfile.mkdtemp(prefix="signalyard-blobs-")),
        webhook_secret_key=TEST_WEBHOOK_KEY,
        secrets_master_key=TEST_MASTER_KEY,
    ).with_overrides(**overrides)
    bootstrap.prepare(settings)
    stack = Stack(settings, f"http://127.0.0.1:{settings.port}", ADMIN_TOKEN)
    if projections:
        runner = threading.Thread(
            target=_run_projections,
            args=(settings, stack._stop),
            daemon=True,
            name="test-projections",
        )
        runner.start()
        stack._threads.append(runner)
    config = uvicorn.Config(
        bootstrap.build_api(settings),
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    stack._server = server
    thread = threading.Thread(target=server.run, daemon=True, name="test-uvicorn")
    thread.start()
    stack._threads.append(thread)
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("API server did not start")
        time.sleep(0.02)
    return stack


@contextmanager
def running_stack(database_url: str, **options: object) -> Iterator[Stack]:
    """A stack for the length of the block (see start_stack for the options)."""
    stack = start_stack(database_url, **options)
    try:
        yield stack
    finally:
        stack.stop()


def _run_projections(settings: Settings, stop: threading.Event) -> None:
    from projections.engine.runner import run_projections

    store, event_log = bootstrap._event_log(settings)
    try:
        run_projections(bootstrap.database_url(settings), bootstrap.read_models(), event_log, stop)
    finally:
        store.close()
