"""IdentityProjection: users and their API tokens (never the secrets)."""

from __future__ import annotations

from psycopg import Cursor, sql

from domain.identity.token import ApiToken
from domain.identity.user import User
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import (
    BASE_COLUMNS_DDL,
    LIFECYCLE_EVENTS,
    EntityTable,
    OneTableIndex,
    lifecycle_changes,
)
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites

USERS = EntityTable(
    "users", ("email", "is_service_account", "is_platform_admin"), mutable_only=("is_active",)
)
_INDEX = OneTableIndex(USERS)

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

TOKEN_ISSUED = "token issued"
TOKEN_REVOKED = "token revoked"


def _target(cls: type) -> object:
    if issubclass(cls, User.Registered):
        return Creates(USERS)
    if issubclass(cls, ApiToken.Issued):
        return TOKEN_ISSUED
    if issubclass(cls, ApiToken.Revoked):
        return TOKEN_REVOKED
    if issubclass(cls, LIFECYCLE_EVENTS):
        return BY_ORIGINATOR  # only users' own: other entities live in other models
    return None


_DISPATCH = EventDispatch(_target)


class IdentityProjection:
    name = "identity"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        for statement in _DDL:
            cur.execute(
                sql.SQL(statement.replace("{s}", "{schema}")).format(schema=sql.Identifier(schema))
            )

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event = each.event
            if isinstance(each.target, Creates):
                rows.create(USERS, event, each.position)
            elif each.target is BY_ORIGINATOR:
                rows.change(USERS, event, lifecycle_changes(event))
            elif each.target is TOKEN_ISSUED:
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {}.tokens VALUES (%s,%s,%s,%s,NULL,%s,%s,%s) "
                        "ON CONFLICT DO NOTHING"
                    ).format(sql.Identifier(schema)),
                    (
                        event.originator_id,
                        event.user_id,
                        event.name,
                        event.expires_at,
                        each.position,
                        event.timestamp,
                        event.meta.get("actor"),
                    ),
                )
            else:
                cur.execute(
                    sql.SQL("UPDATE {}.tokens SET revoked_at = %s WHERE guid = %s").format(
                        sql.Identifier(schema)
                    ),
                    (event.revoked_at, event.originator_id),
                )
        rows.flush(cur)
