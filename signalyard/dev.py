"""`signalyard dev`: Postgres, NATS, Temporal and OpenBao (each embedded unless its URL is
set), the local secret backend's master key (generated once into the data dir), bootstrap,
API, projections, relay, router, workflow worker, callback sender, health checker."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import sys
import time
import urllib.request

from signalyard.console import mask_url
from signalyard.embedded import (
    EmbeddedNats,
    EmbeddedOpenBao,
    EmbeddedPostgres,
    EmbeddedPostgresError,
    EmbeddedService,
    EmbeddedServiceError,
    EmbeddedTemporal,
)
from signalyard.restarts import RestartPolicy
from signalyard.settings import Settings
from signalyard.supervisor import SignalGate, StartupError, Supervisor, supervise


def run_dev(settings: Settings) -> int:
    embedded = EmbeddedPostgres(settings.data_dir) if settings.database_url is None else None
    bus = EmbeddedNats(settings.data_dir) if settings.nats_url is None else None
    temporal = EmbeddedTemporal(settings.data_dir) if settings.temporal_address is None else None
    vault = EmbeddedOpenBao(settings.data_dir) if settings.vault_addr is None else None
    started: list[EmbeddedService] = []  # stopped in reverse order on the way out

    def setup(supervisor: Supervisor, gate: SignalGate) -> None:
        _check_port_free(settings.host, settings.port)
        url = settings.database_url
        if embedded is not None:
            with gate.deferred():  # let pg_ctl finish; a signal is honoured right after
                try:
                    started.append(embedded)
                    url = embedded.start()
                except EmbeddedPostgresError as exc:
                    raise StartupError(f"embedded Postgres did not start: {exc}") from exc
            shown = mask_url(url)  # the password stays in the data dir, not in logs
            print(
                f"signalyard: embedded Postgres at {shown} (data in {embedded.pgdata})",
                flush=True,
            )
        assert url is not None
        resolved = settings.with_overrides(
            database_url=url,
            nats_url=_start(bus, gate, started),
            temporal_address=_start(temporal, gate, started),
            vault_addr=_start(vault, gate, started),
            vault_token=vault.token if vault is not None else None,
        )
        if vault is not None:
            print(
                "signalyard: OpenBao runs in dev mode: its data is lost when it stops", flush=True
            )

        from signalyard.secrets_wiring import ensure_dev_master_key

        ensure_dev_master_key(resolved)  # once, 0600 in the data dir, never printed

        if bus is not None:
            print(f"signalyard: NATS creds of the control plane in {bus.creds_path}", flush=True)

        from signalyard.bootstrap import ensure_webhook_key, prepare

        ensure_webhook_key(resolved)
        token = prepare(resolved)
        if token is not None:
            print(f"Admin API token (shown once): {token}", flush=True)

        env = child_env(resolved)
        dispatcher_env = _dispatcher_env(resolved, env)
        with gate.deferred():  # never leave a half-spawned child behind
            supervisor.spawn("api", [sys.executable, "-m", "signalyard", "api"], env)
            supervisor.spawn(
                "projections", [sys.executable, "-m", "signalyard", "projections", "run"], env
            )
            supervisor.spawn(
                "callbacks", [sys.executable, "-m", "signalyard", "callbacks", "run"], env
            )
            supervisor.spawn("health", [sys.executable, "-m", "signalyard", "health", "run"], env)
            supervisor.spawn("relay", [sys.executable, "-m", "signalyard", "relay"], env)
            supervisor.spawn("router", [sys.executable, "-m", "signalyard", "router"], env)
            supervisor.spawn("worker", [sys.executable, "-m", "signalyard", "worker"], env)
            supervisor.spawn(
                "dispatcher",
                [sys.executable, "-m", "signalyard", "dispatcher", "--runtime", "local"],
                dispatcher_env,
            )
        _wait_healthy(settings, supervisor)
        print(
            f"signalyard: API ready at {_base_url(settings.host, settings.port)} (Ctrl-C to stop)",
            flush=True,
        )

    policy = RestartPolicy(
        max_deaths=settings.restart_limit, window_seconds=settings.restart_window_seconds
    )
    return supervise(setup, cleanup=lambda: _stop_all(started), grace_seconds=10.0, policy=policy)


def _dispatcher_env(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """The local dispatcher acts with a credential of its own, minted at each start and
    handed over in its environment only (never on a command line, never printed)."""
    from signalyard.bootstrap import local_dispatcher_name, mint_dispatcher_credential

    name = local_dispatcher_name(settings, "local")
    kept = settings.data_dir / "dev-dispatcher-credential.id"  # revoked at the next start
    token = mint_dispatcher_credential(settings, name, "signalyard dev", kept)
    return {**env, "SIGNALYARD_DISPATCHER_NAME": name, "SIGNALYARD_DISPATCHER_TOKEN": token}


def _start(
    service: EmbeddedService | None, gate: SignalGate, started: list[EmbeddedService]
) -> str | None:
    """Start an embedded service (None: its external URL is used) and return its URL."""
    if service is None:
        return None
    with gate.deferred():
        started.append(service)
        try:
            url = service.start()
        except EmbeddedServiceError as exc:
            raise StartupError(f"embedded {service.name} did not start: {exc}") from exc
    print(f"signalyard: embedded {service.name} at {url} (data in {service.data_dir})", flush=True)
    return url


def _stop_all(services: list[EmbeddedService]) -> None:
    errors = []
    for service in reversed(services):
        try:
            service.stop()
        except Exception as exc:  # stop the others anyway
            errors.append(exc)
    if errors:
        raise errors[0]


def child_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    # The bootstrap token was used by this process (prepare): children never see it.
    inherited = {k: v for k, v in os.environ.items() if k != "SIGNALYARD_BOOTSTRAP_TOKEN"}
    return {
        **inherited,
        "DATABASE_URL": settings.database_url,
        **({"NATS_URL": settings.nats_url} if settings.nats_url else {}),
        **({"TEMPORAL_ADDRESS": settings.temporal_address} if settings.temporal_address else {}),
        **({"VAULT_ADDR": settings.vault_addr} if settings.vault_addr else {}),
        **({"VAULT_TOKEN": settings.vault_token} if settings.vault_token else {}),
        "SIGNALYARD_HOST": settings.host,
        "SIGNALYARD_PORT": str(settings.port),
        "SIGNALYARD_DATA_DIR": str(settings.data_dir.expanduser().absolute()),
        "PYTHONUNBUFFERED": "1",  # child logs interleave in order with ours
    }


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _probe_host(host: str) -> str:
    # A wildcard bind address is not something to connect to.
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _check_port_free(host: str, port: int) -> None:
    # Otherwise the health check could be answered by whatever already listens there.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        if sock.connect_ex((_probe_host(host), port)) == 0:
            raise StartupError(f"{host}:{port} is already in use; pick another with --port")


def _wait_healthy(settings: Settings, supervisor: Supervisor) -> None:
    url = _base_url(_probe_host(settings.host), settings.port) + "/healthz"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for us
    deadline = time.monotonic() + settings.dev_start_timeout_seconds
    while time.monotonic() < deadline:
        supervisor.check()
        with contextlib.suppress(OSError, http.client.HTTPException):
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        supervisor.wait(0.25)
    raise StartupError(
        f"the API did not answer {url} with 200 within {settings.dev_start_timeout_seconds:g} s"
    )
