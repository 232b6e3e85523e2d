"""Tables of the callbacks read model (schema rm_callbacks, or its rebuild shadow)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import run_ddl

_DDL = [
    """CREATE TABLE IF NOT EXISTS {s}.deliveries (
        guid uuid PRIMARY KEY, organization_id uuid NOT NULL, subject_id uuid NOT NULL,
        attempt integer NOT NULL, outcome text NOT NULL, event_type text NOT NULL,
        url text NOT NULL, status text NOT NULL, tries integer NOT NULL DEFAULT 0,
        total_tries integer NOT NULL DEFAULT 0, rounds integer NOT NULL DEFAULT 1,
        last_status_code integer, last_error text, last_tried_at timestamptz,
        dead_letter_reason text, due_at timestamptz, expires_at timestamptz NOT NULL,
        version bigint NOT NULL, created_position bigint NOT NULL,
        created_at timestamptz NOT NULL, created_by text, updated_at timestamptz NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS deliveries_org ON {s}.deliveries"
    " (organization_id, created_position)",
    # The sender's work list: only pending deliveries have a due time.
    "CREATE INDEX IF NOT EXISTS deliveries_due ON {s}.deliveries (due_at) WHERE due_at IS NOT NULL",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
