"""Requests and responses of secrets. A value is write-only: it is in no response model."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, SecretStr

from schemas.common import SLUG, Request, Resource

Backend = Literal["local", "vault", "aws"]
Value = Field(
    default=None,
    description="the secret value (write-only: never returned, logged or kept in events); "
    "required for local, optional for vault (else the path's current version is pinned), "
    "refused for aws (written in AWS)",
)


class SecretCreate(Request):
    name: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$",
        description="unique in its scope (compared as a slug: A_B and a-b clash)",
    )
    backend: Backend
    value: SecretStr | None = Value
    path_or_arn: str | None = Field(
        default=None, max_length=2048, description="vault: KV path; aws: the secret's ARN"
    )
    category: str = Field(default="generic", pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    inherit: bool = Field(
        default=True, description="false: only tasks of this very scope may use it"
    )


class SecretRotate(Request):
    value: SecretStr | None = Value


class SecretPatch(Request):
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, pattern=SLUG)
    inherit: bool | None = None


class Secret(Resource):
    organization_id: UUID
    team_id: UUID | None
    workspace_id: UUID | None
    category: str
    backend: Backend
    path_or_arn: str
    inherit: bool
    latest_version: int


class SecretVersion(BaseModel):
    secret_id: UUID
    version_number: int
    backend: Backend
    reference: dict[str, str] = Field(
        description="where the version is kept (vault: path and KV version; aws: ARN and "
        "VersionId; local: the cipher) — never the value or its ciphertext"
    )
    created_at: datetime
    created_by: str | None


class SecretAccess(BaseModel):
    secret_id: UUID
    task_id: UUID
    attempt: int
    version_number: int
    backend: Backend
    resolver: str
    delivery: str
    target: str
    accessed_at: datetime
    last_accessed_at: datetime
    times: int = Field(description="resolutions of this attempt (a retry resolves again)")


class OrgPurged(BaseModel):
    organization_id: UUID
    purged: bool
    data_key_destroyed: bool
