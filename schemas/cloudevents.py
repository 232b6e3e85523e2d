"""The bus's wire contract: every domain event as a CloudEvent 1.0 in structured JSON.

`type` is `io.signalyard.<entity>.<verb>.v1` (the aggregate and the event class in
snake_case, e.g. `io.signalyard.skill.version_published.v1`), `source` the entity's path
(`/orgs/<org>/skills/<guid>`, `/users/<guid>` for an event of no organization), `subject`
the entity's guid. Extensions (lowercase letters and digits, as CloudEvents requires):
`position` (the event's place in the log), `actor`, `correlationid`, `causationid`,
`orgid`, `entityversion`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TYPE_PREFIX = "io.signalyard."
TYPE_SUFFIX = ".v1"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: str | None = None  # RFC 3339
    datacontenttype: str = "application/json"
    data: dict[str, Any] | None = None
    # Extensions
    position: int | None = None
    actor: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    orgid: str | None = None
    entityversion: int | None = None


def snake_case(name: str) -> str:
    """`VersionPublished` -> `version_published`, `APIToken` -> `api_token`."""
    return _CAMEL.sub("_", name).lower()


def plural(entity: str) -> str:
    if entity.endswith("y") and not entity.endswith(("ay", "ey", "oy", "uy")):
        return entity[:-1] + "ies"
    if entity.endswith(("s", "x", "ch", "sh")):
        return entity + "es"
    return entity + "s"


def event_type(entity: str, verb: str) -> str:
    return f"{TYPE_PREFIX}{entity}.{verb}{TYPE_SUFFIX}"


def event_source(org_id: str | None, entity: str, guid: str) -> str:
    """The entity's path: `/orgs/<org>` for an organization itself, else under its org."""
    if entity == "organization":
        return f"/orgs/{guid}"
    path = f"/{plural(entity)}/{guid}"
    return f"/orgs/{org_id}{path}" if org_id else path
