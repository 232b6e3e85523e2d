"""Callback signing secrets in a Postgres table, sealed with the SecretBox.

The `SigningSecrets` seam of domain.callbacks: the secrets backend's envelope encryption
(a data key per organization) can take its place without touching the use cases.
"""

from __future__ import annotations

from uuid import UUID

import psycopg
from psycopg import sql

from workers.adapters.secret_box import SecretBox

TABLE = "callback_signing_secrets"


def ddl(schema: str) -> sql.Composed:
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (organization_id uuid NOT NULL, key_id uuid NOT NULL,"
        " sealed text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (organization_id, key_id))"
    ).format(sql.Identifier(schema, TABLE))


class PostgresSigningSecrets:
    def __init__(self, conninfo: str, schema: str, box: SecretBox) -> None:
        self.conninfo = conninfo
        self.table = sql.Identifier(schema, TABLE)
        self.box = box

    @staticmethod
    def _context(organization_id: UUID, key_id: UUID) -> str:
        return f"callback-signing/{organization_id}/{key_id}"

    def put(self, organization_id: UUID, key_id: UUID, secret: str) -> None:
        sealed = self.box.seal(secret, self._context(organization_id, key_id))
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (organization_id, key_id, sealed) VALUES (%s, %s, %s)"
                ).format(self.table),
                (organization_id, key_id, sealed),
            )

    def get(self, organization_id: UUID, key_id: UUID) -> str | None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            row = conn.execute(
                sql.SQL("SELECT sealed FROM {} WHERE organization_id = %s AND key_id = %s").format(
                    self.table
                ),
                (organization_id, key_id),
            ).fetchone()
        return (
            None if row is None else self.box.open(row[0], self._context(organization_id, key_id))
        )
