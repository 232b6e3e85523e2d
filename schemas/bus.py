"""Requests and responses of bus credentials (an org's NATS user for reading its events)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.common import Name, Request


class BusCredentialCreate(Request):
    name: str = Name
    expires_at: datetime | None = Field(
        default=None, description="at most the deployment's maximum lifetime; that when unset"
    )


class BusCredential(BaseModel):
    guid: UUID
    organization_id: UUID
    name: str
    public_key: str = Field(description="the NATS user's public nkey")
    subject_scope: str = Field(description="the subjects it reads: signalyard.<org>.>")
    consumer: str = Field(description="its durable pull consumer on the stream")
    stream: str
    expires_at: datetime
    revoked_at: datetime | None = None
    version: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None


class IssuedBusCredential(BusCredential):
    creds: str = Field(
        description="the NATS `.creds` file (user JWT and nkey seed): shown once, never again"
    )
