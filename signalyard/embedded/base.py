"""What every embedded service is: a server from a wheel, started in a data dir on a free
port, with a URL, a health check and a stop; and the helpers they share."""

from __future__ import annotations

import fcntl
import json
import socket
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Self


class EmbeddedServiceError(RuntimeError):
    pass


class EmbeddedService(ABC):
    """One server process owned by this process, its state under `data_dir`."""

    name: str  # e.g. "Postgres": used in messages
    data_dir: Path

    @abstractmethod
    def start(self) -> str:
        """Start (or adopt nothing, clear leftovers and start) and return the URL."""

    @property
    @abstractmethod
    def url(self) -> str:
        """Where clients reach it; only once started."""

    @abstractmethod
    def healthy(self) -> bool:
        """True when it answers a client request now."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the server; a no-op when it was never started here."""

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def lock_dir(
    data_dir: Path, lock_file: str, what: str, error: type[EmbeddedServiceError]
) -> IO[str]:
    """Hold an exclusive lock on the data dir: one owner per dir, released with the handle."""
    handle = (data_dir / lock_file).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise error(
            f"{data_dir} is in use by another embedded {what} launcher "
            f"(another `signalyard dev`?); stop it or use another data dir"
        ) from None
    return handle


def pick_port(preferred: int | None, attempt: int, error: type[EmbeddedServiceError]) -> int:
    """A free TCP port on 127.0.0.1: the preferred one on the first attempt if free."""
    for candidate in ([preferred] if preferred and attempt == 0 else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As the servers bind theirs: a port whose last connections linger in TIME_WAIT
            # (a restart with clients still connected) is free to them, and so to us; a
            # port someone listens on is not (Linux).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise error("no free TCP port on 127.0.0.1")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def read_state(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)  # a URL in it may carry a password
    tmp.chmod(0o600)
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
