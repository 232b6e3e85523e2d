"""One probe per service type, each bounded by a timeout; a probe raises when unhealthy.

postgres: connect and SELECT 1; nats: connect and flush; temporal: GetSystemInfo over
gRPC; vault: /v1/sys/health (active, standby and DR/performance replicas are healthy);
kubernetes: /version; http: GET answering 2xx. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import psycopg

VAULT_HEALTHY = {200, 429, 472, 473}


class ProbeFailed(Exception):
    pass


def probe_postgres(url: str, timeout: float) -> None:
    with psycopg.connect(url, connect_timeout=max(1, round(timeout)), autocommit=True) as conn:
        conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")
        conn.execute("SELECT 1").fetchone()


def probe_nats(url: str, timeout: float) -> None:
    """A NATS server greets every connection with its INFO line before any authentication:
    that answers whether it is up, also for a server that needs credentials we do not hold
    (the control plane's own, in operator mode)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port or 4222), timeout=timeout) as conn:
        conn.settimeout(timeout)
        greeting = conn.recv(4096)
    if not greeting.startswith(b"INFO "):
        raise ConnectionError(f"not a NATS server: {greeting[:40]!r}")


def probe_temporal(url: str, timeout: float) -> None:
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
    from temporalio.client import Client

    parts = urlsplit(url)

    async def check() -> None:
        client = await Client.connect(
            parts.netloc.rsplit("@", 1)[-1],
            tls=parts.scheme == "temporals",
            connect_timeout=timedelta(seconds=timeout),
            retry_config=None,
        )
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=timeout)
        )

    asyncio.run(asyncio.wait_for(check(), timeout))


def _get(url: str, timeout: float) -> int:
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        return client.get(url).status_code


def probe_vault(url: str, timeout: float) -> None:
    status = _get(url.rstrip("/") + "/v1/sys/health", timeout)
    if status not in VAULT_HEALTHY:
        raise ProbeFailed(f"vault health answered {status}")


def probe_kubernetes(url: str, timeout: float) -> None:
    status = _get(url.rstrip("/") + "/version", timeout)
    if not 200 <= status < 300:
        raise ProbeFailed(f"/version answered {status}")


def probe_http(url: str, timeout: float) -> None:
    status = _get(url, timeout)
    if not 200 <= status < 300:
        raise ProbeFailed(f"answered {status}")


PROBES: dict[str, Callable[[str, float], None]] = {
    "postgres": probe_postgres,
    "nats": probe_nats,
    "temporal": probe_temporal,
    "vault": probe_vault,
    "kubernetes": probe_kubernetes,
    "http": probe_http,
}


def probe(service_type: str, url: str, timeout: float) -> str | None:
    """None when healthy, else why not (never the URL: it may carry credentials)."""
    try:
        PROBES[service_type](url, timeout)
    except TimeoutError:
        return f"no answer within {timeout:g}s"
    except Exception as exc:  # noqa: BLE001 - any failure is an unhealthy probe
        return _describe(exc, url)
    return None


def _describe(exc: Exception, url: str) -> str:
    text = f"{type(exc).__name__}: {exc}"
    password = urlsplit(url).password
    if password:
        text = text.replace(password, "***")
    return text[:500]
