"""Revoking bus credentials on a NATS of its own (operator mode, full resolver): revocations
add up, spare the other users, and hold across a restart and a SIGKILL restart."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import psutil
import pytest
from support.bus_tenant import creds_path

from signalyard.embedded import EmbeddedNats
from workers.adapters.bus import BusConfig
from workers.adapters.bus_credentials import BusKeys, NatsBusAuthority


async def _may_connect(url: str, creds: str) -> bool:
    try:
        nc = await nats.connect(
            url, user_credentials=creds, allow_reconnect=False, connect_timeout=2
        )
    except nats.errors.Error as exc:
        assert "Authorization Violation" in str(exc)
        return False
    await nc.close()
    return True


def test_revocations_add_up_and_survive_restarts(service_dir: Path) -> None:
    server = EmbeddedNats(service_dir)
    try:
        server.start()
        auth = server.auth
        config = BusConfig(url=server.url, creds_file=str(auth.creds_path))
        keys = BusKeys(
            auth.account_public_key,
            auth.account_signing_seed,
            auth.operator_seed,
            str(auth.system_creds_path),
        )
        authority = NatsBusAuthority(config, keys)
        org, expires = uuid.uuid4(), datetime.now(tz=UTC) + timedelta(days=1)
        users = [authority.issue(org, uuid.uuid4(), f"u{i}", expires) for i in range(3)]
        files = [creds_path(user.creds) for user in users]

        def allowed() -> list[bool]:
            return [asyncio.run(_may_connect(server.url, f)) for f in files]

        assert allowed() == [True, True, True]
        # Each push names only its own key: what the bus held before stays revoked.
        authority.revoke([users[0].public_key], users[0].consumer)
        authority.revoke([users[1].public_key], users[1].consumer)
        assert allowed() == [False, False, True]

        server.restart()
        assert allowed() == [False, False, True]
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)
        psutil.wait_procs([psutil.Process(server.pid)], timeout=10)
        server.start()
        assert allowed() == [False, False, True]
    finally:
        server.stop()


def test_the_embedded_auth_files_are_private(service_dir: Path) -> None:
    with EmbeddedNats(service_dir) as server:
        auth = server.auth
        assert auth.directory.stat().st_mode & 0o777 == 0o700
        for path in (auth.creds_path, auth.system_creds_path, auth.config_path):
            assert path.stat().st_mode & 0o777 == 0o600, path
        assert (auth.directory / "keys.json").stat().st_mode & 0o777 == 0o600

    with EmbeddedNats(service_dir) as again:  # the same keys after a restart
        assert again.auth == auth

        async def anonymous() -> None:
            await nats.connect(again.url, allow_reconnect=False, connect_timeout=2)

        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            asyncio.run(anonymous())
