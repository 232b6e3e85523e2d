"""Tables of the bus read model (schema rm_bus, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import run_ddl

_DDL = [
    """CREATE TABLE IF NOT EXISTS {s}.bus_credentials (
        guid uuid PRIMARY KEY, organization_id uuid NOT NULL, name text NOT NULL,
        public_key text NOT NULL, subject_scope text NOT NULL, consumer text NOT NULL,
        expires_at timestamptz NOT NULL, revoked_at timestamptz, version integer NOT NULL,
        created_position bigint NOT NULL, created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL, created_by text, updated_by text)""",
    "CREATE INDEX IF NOT EXISTS bus_credentials_org ON {s}.bus_credentials "
    "(organization_id, created_position)",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
