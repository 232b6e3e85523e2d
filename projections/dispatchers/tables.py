"""Tables of the dispatchers read model (schema rm_dispatchers, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import run_ddl

_DDL = [
    """CREATE TABLE IF NOT EXISTS {s}.dispatcher_credentials (
        guid uuid PRIMARY KEY, dispatcher_name text NOT NULL, name text NOT NULL,
        revoked_at timestamptz, version integer NOT NULL, created_position bigint NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        created_by text, updated_by text)""",
    "CREATE INDEX IF NOT EXISTS dispatcher_credentials_order ON {s}.dispatcher_credentials "
    "(created_position)",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
