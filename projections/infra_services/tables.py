"""Tables of the infra services read model (schema rm_infra_services, or its shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, run_ddl

SERVICES = EntityTable(
    "services",
    (
        "organization_id",
        "service_type",
        "connection_url",  # masked: the sealed URL never reaches a read model
        "check_interval_seconds",
        "timeout_seconds",
    ),
    mutable_only=("is_healthy", "consecutive_fails", "health_changed_at", "health_reason"),
)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.services ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, service_type text NOT NULL, connection_url text NOT NULL,
        check_interval_seconds integer NOT NULL, timeout_seconds double precision NOT NULL,
        is_healthy boolean, consecutive_fails integer NOT NULL DEFAULT 0,
        health_changed_at timestamptz, health_reason text)""",
    "CREATE INDEX IF NOT EXISTS services_org ON {s}.services (organization_id, created_position)",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
