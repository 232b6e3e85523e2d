"""IdentityProjection: users and their API tokens (never the secrets)."""

from __future__ import annotations

from psycopg import Cursor, sql

from domain.identity.token import ApiToken
from domain.identity.user import User
from projections.engine.dispatch import BY_ORIGINATOR, Creates, EventDispatch, events_to_apply
from projections.engine.entity_rows import LIFECYCLE_EVENTS, OneTableIndex, lifecycle_changes
from projections.engine.log import LogBatch
from projections.engine.row_writes import RowWrites
from projections.identity import tables

_INDEX = OneTableIndex(tables.USERS)

TOKEN_ISSUED = "token issued"
TOKEN_REVOKED = "token revoked"


def _target(cls: type) -> object:
    if issubclass(cls, User.Registered):
        return Creates(tables.USERS)
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
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        rows = RowWrites(schema, _INDEX)
        for each in events_to_apply(cur, schema, batch, _DISPATCH, _INDEX):
            event = each.event
            if isinstance(each.target, Creates):
                rows.create(tables.USERS, event, each.position)
            elif each.target is BY_ORIGINATOR:
                rows.change(tables.USERS, event, lifecycle_changes(event))
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
