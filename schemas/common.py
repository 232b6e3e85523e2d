"""Wire shapes shared by every resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
Name = Field(min_length=1, max_length=200)
Description = Field(default="", max_length=4000)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Resource(BaseModel):
    """BaseCoreModel on the wire: every entity response carries these."""

    guid: UUID
    slug: str
    name: str
    description: str
    version: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None
    deleted_at: datetime | None = None
    deleted_by: str | None = None


T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    items: list[T]
    next_page_token: str | None = None


class HistoryEntry(BaseModel):
    type: str
    version: int
    timestamp: datetime
    actor: str | None
    correlation_id: str | None
    causation_id: str | None
    changed_fields: list[str]
    data: dict[str, Any]


class History(BaseModel):
    guid: UUID
    items: list[HistoryEntry]


class FieldError(BaseModel):
    field: str
    message: str
    type: str | None = Field(default=None, description="the validation error's kind")


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error answer."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="the fields at fault")
    current_version: int | None = Field(default=None, description="412: the current version")
    current_status: str | None = Field(
        default=None, description="409: the status that refused the command"
    )
    current_attempt: int | None = Field(
        default=None, description="409: the live attempt (a report carried an old one)"
    )
