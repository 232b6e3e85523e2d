"""BusProjection: each org's bus credentials (public keys only: the read model never sees
a seed or a JWT, since no event carries one)."""

from __future__ import annotations

from psycopg import Cursor, sql

from domain.bus.credential import BusCredential
from projections.bus import tables
from projections.engine.dispatch import EventDispatch
from projections.engine.log import LogBatch

ISSUED, REVOKED = "issued", "revoked"


def _target(cls: type) -> str | None:
    if issubclass(cls, BusCredential.Issued):
        return ISSUED
    if issubclass(cls, BusCredential.Revoked):
        return REVOKED
    return None


_DISPATCH = EventDispatch(_target)


class BusProjection:
    name = "bus"

    def create_tables(self, cur: Cursor, schema: str) -> None:
        tables.create_tables(cur, schema)

    def apply(self, cur: Cursor, schema: str, batch: LogBatch) -> None:
        table = sql.SQL("{}.bus_credentials").format(sql.Identifier(schema))
        for notification in batch.notifications:
            target = _DISPATCH.of(notification.topic)
            if target is None:
                continue
            event = batch.decode(notification)
            actor = event.meta.get("actor")
            if target is ISSUED:
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {} VALUES (%s,%s,%s,%s,%s,%s,%s,NULL,%s,%s,%s,%s,%s,%s) "
                        "ON CONFLICT DO NOTHING"
                    ).format(table),
                    (
                        event.originator_id,
                        event.organization_id,
                        event.name,
                        event.public_key,
                        event.subject_scope,
                        event.consumer,
                        event.expires_at,
                        event.originator_version,
                        notification.id,
                        event.timestamp,
                        event.timestamp,
                        actor,
                        actor,
                    ),
                )
            else:
                cur.execute(
                    sql.SQL(
                        "UPDATE {} SET revoked_at = %s, version = %s, updated_at = %s, "
                        "updated_by = %s WHERE guid = %s AND version < %s"
                    ).format(table),
                    (
                        event.revoked_at,
                        event.originator_version,
                        event.timestamp,
                        actor,
                        event.originator_id,
                        event.originator_version,
                    ),
                )
