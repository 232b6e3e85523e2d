"""Tables of the identity read model (schema rm_identity, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, run_ddl

USERS = EntityTable(
    "users", ("email", "is_service_account", "is_platform_admin"), mutable_only=("is_active",)
)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.users ({BASE_COLUMNS_DDL}, email text,
        is_service_account boolean NOT NULL, is_platform_admin boolean NOT NULL,
        is_active boolean NOT NULL DEFAULT true)""",
    """CREATE TABLE IF NOT EXISTS {s}.tokens (
        guid uuid PRIMARY KEY, user_id uuid NOT NULL, name text NOT NULL,
        expires_at timestamptz, revoked_at timestamptz, created_position bigint NOT NULL,
        created_at timestamptz NOT NULL, created_by text)""",
    "CREATE INDEX IF NOT EXISTS tokens_user ON {s}.tokens (user_id, created_position)",
    "CREATE INDEX IF NOT EXISTS users_slug ON {s}.users (slug)",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
