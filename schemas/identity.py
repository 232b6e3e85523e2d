"""Requests and responses of users and API tokens."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool, StrictInt

from schemas.common import SLUG, Description, Name, Request, Resource


class UserCreate(Request):
    name: str = Name
    slug: str | None = Field(default=None, pattern=SLUG, description="the username")
    email: str | None = Field(default=None, max_length=254)
    description: str = Description
    is_service_account: StrictBool = False
    is_platform_admin: StrictBool = False


class User(Resource):
    email: str | None
    is_service_account: bool
    is_platform_admin: bool
    is_active: bool = True


class TokenCreate(Request):
    name: str = Name
    expires_at: datetime | None = None
    expires_in_days: StrictInt | None = Field(default=None, ge=1, le=3650)


class Token(BaseModel):
    guid: UUID
    user_id: UUID
    name: str
    expires_at: datetime | None
    revoked_at: datetime | None = None
    created_at: datetime
    created_by: str | None


class IssuedToken(Token):
    token: str = Field(description="the secret: shown once, never again")
