"""Wire shapes of callbacks: deliveries, their dead letters, the signing secret."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.common import Request

DeliveryStatus = Literal["scheduled", "delivered", "dead_lettered"]


class CallbackDelivery(BaseModel):
    guid: UUID
    organization_id: UUID
    subject_id: UUID = Field(description="the task (or ping) whose outcome is delivered")
    attempt: int
    outcome: str
    event_type: str
    url: str
    status: DeliveryStatus
    tries: int = Field(description="tries in the current round (a redrive starts a new one)")
    total_tries: int
    rounds: int
    last_status_code: int | None
    last_error: str | None
    last_tried_at: datetime | None
    dead_letter_reason: str | None
    due_at: datetime | None
    expires_at: datetime
    version: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime


class CallbackPing(Request):
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL to send a test to")


class SigningSecret(BaseModel):
    organization_id: UUID
    key_id: UUID
    version: int
    secret: str = Field(description="whsec_…: shown in this response only")
