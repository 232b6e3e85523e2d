"""Wire shapes of infra services: the connection URL goes in, only its masked form comes out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, StrictInt

from schemas.common import SLUG, Request, Resource

ServiceType = Literal["postgres", "nats", "temporal", "vault", "kubernetes", "http"]
ConnectionUrl = Field(
    min_length=1,
    max_length=2000,
    description="postgres://, nats://, temporal(s)://host:port, or http(s):// for vault, "
    "kubernetes and http; credentials in it are never shown again",
)
Interval = Field(ge=5, le=86_400, description="seconds between probes")
Timeout = Field(ge=0.1, le=60, description="seconds a probe may take")


class InfraServiceCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    service_type: ServiceType
    connection_url: str = ConnectionUrl
    check_interval_seconds: StrictInt = Field(default=30, ge=5, le=86_400)
    timeout_seconds: float = Field(default=5.0, ge=0.1, le=60)


class InfraServicePatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)
    connection_url: str | None = Field(default=None, min_length=1, max_length=2000)
    check_interval_seconds: StrictInt | None = Field(default=None, ge=5, le=86_400)
    timeout_seconds: float | None = Field(default=None, ge=0.1, le=60)


class InfraService(Resource):
    organization_id: UUID
    service_type: ServiceType
    connection_url: str = Field(description="masked: user:***@host")
    check_interval_seconds: int
    timeout_seconds: float
    is_healthy: bool | None = Field(description="None until the first probe settles it")
    consecutive_fails: int
    last_checked_at: datetime | None = None
    last_error: str | None = None
