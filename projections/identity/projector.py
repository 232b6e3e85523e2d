"""IdentityProjection: users and their API tokens (never the secrets)."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor, sql

from domain.identity.token import ApiToken
from domain.identity.user import User
from projections.base import HandlesEachEvent
from projections.entity_rows import BASE_COLUMNS_DDL, EntityTable, lifecycle_changes

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


class IdentityProjection(HandlesEachEvent):
    name = "identity"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        for statement in _DDL:
            cur.execute(
                sql.SQL(statement.replace("{s}", "{schema}")).format(schema=sql.Identifier(schema))
            )

    def handle(self, cur: Cursor, schema: str, event: Any, position: int) -> None:
        s = sql.Identifier(schema)
        if isinstance(event, User.Registered):
            USERS.insert_created(cur, schema, event, position)
        elif isinstance(event, ApiToken.Issued):
            cur.execute(
                sql.SQL(
                    "INSERT INTO {}.tokens VALUES (%s,%s,%s,%s,NULL,%s,%s,%s) "
                    "ON CONFLICT DO NOTHING"
                ).format(s),
                (
                    event.originator_id,
                    event.user_id,
                    event.name,
                    event.expires_at,
                    position,
                    event.timestamp,
                    event.meta.get("actor"),
                ),
            )
        elif isinstance(event, ApiToken.Revoked):
            cur.execute(
                sql.SQL("UPDATE {}.tokens SET revoked_at = %s WHERE guid = %s").format(s),
                (event.revoked_at, event.originator_id),
            )
        else:
            changes = lifecycle_changes(event)
            if changes is not None:
                # A no-op unless the id is a user's: other entities live in other models.
                USERS.apply_change(cur, schema, event, changes)
