"""A tenant on the bus, as a customer would be: connected with the `.creds` file the API
issued, pulling its consumer; every error the server sends kept for the test to read."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.client import Client


@dataclass
class Tenant:
    nc: Client
    org_id: str
    errors: list[str] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    def denied(self) -> list[str]:
        return [e for e in self.errors if "permissions violation" in e.lower()]


def creds_path(creds: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".creds", delete=False)
    with handle:
        handle.write(creds)
    Path(handle.name).chmod(0o600)
    return handle.name


async def connect_tenant(url: str, creds_file: str, org_id: str) -> Tenant:
    tenant: Tenant | None = None
    pending: list[str] = []

    async def error_cb(exc: Exception) -> None:
        (tenant.errors if tenant else pending).append(str(exc))

    async def closed_cb() -> None:
        if tenant is not None:
            tenant.disconnected.set()

    nc = await nats.connect(
        url,
        user_credentials=creds_file,
        inbox_prefix=f"_INBOX.{org_id}",
        connect_timeout=2,
        allow_reconnect=False,
        error_cb=error_cb,
        closed_cb=closed_cb,
        disconnected_cb=closed_cb,
    )
    tenant = Tenant(nc, org_id, pending)
    return tenant


async def close(tenant: Tenant) -> None:
    with contextlib.suppress(Exception):
        await tenant.nc.close()
