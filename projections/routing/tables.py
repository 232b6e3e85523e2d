"""Tables of the routing read model (schema rm_routing, or its rebuild shadow): routes,
their versions, and what became of each routed event (deliveries)."""

from __future__ import annotations

from psycopg import Cursor

from projections.engine.entity_rows import BASE_COLUMNS_DDL, EntityTable, OneTableIndex, run_ddl

ROUTES = EntityTable(
    "event_routes",
    ("organization_id", "system"),
    # changed_position: the last event of the route, so the router notices any change cheaply.
    mutable_only=(
        "current_version",
        "latest_version",
        "content_hash",
        "definition",
        "changed_position",
    ),
)
INDEX = OneTableIndex(ROUTES)

_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {{s}}.event_routes ({BASE_COLUMNS_DDL},
        organization_id uuid NOT NULL, system boolean NOT NULL DEFAULT false,
        current_version integer NOT NULL DEFAULT 0, latest_version integer NOT NULL DEFAULT 0,
        content_hash text, definition jsonb, changed_position bigint NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS {s}.event_route_versions (route_id uuid NOT NULL,
        organization_id uuid NOT NULL, version_number integer NOT NULL,
        content_hash text NOT NULL, created_at timestamptz NOT NULL, created_by text,
        created_position bigint NOT NULL, content jsonb NOT NULL,
        PRIMARY KEY (route_id, version_number))""",
    """CREATE TABLE IF NOT EXISTS {s}.route_deliveries (guid uuid PRIMARY KEY,
        organization_id uuid NOT NULL, route_id uuid NOT NULL, route_version integer NOT NULL,
        event_id text NOT NULL, event_type text, event_position bigint, target text,
        outcome text NOT NULL, reason text, attempt integer NOT NULL,
        redrive_requested boolean NOT NULL DEFAULT false, version bigint NOT NULL,
        created_position bigint NOT NULL, created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL, updated_by text)""",
    "CREATE INDEX IF NOT EXISTS routes_org ON {s}.event_routes (organization_id, created_position)",
    "CREATE INDEX IF NOT EXISTS routes_slug ON {s}.event_routes (organization_id, slug)",
    """CREATE INDEX IF NOT EXISTS deliveries_route
        ON {s}.route_deliveries (route_id, created_position)""",
    """CREATE INDEX IF NOT EXISTS deliveries_dead
        ON {s}.route_deliveries (organization_id, created_position)
        WHERE outcome = 'dead_lettered'""",
]


def create_tables(cur: Cursor, schema: str) -> None:
    run_ddl(cur, schema, _DDL)
