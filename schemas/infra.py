"""Requests and responses of agent definitions and runtime targets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.common import SLUG, Request, Resource

Quantity = Field(default=None, min_length=1, max_length=20)


class AgentSpecFields(Request):
    """Defaults: tier standard, runtime default, 1 CPU and 1Gi; limits = the defaults."""

    image: str = Field(min_length=1, max_length=500)
    tier: str | None = Field(default=None, min_length=1, max_length=63)
    runtime: str | None = Field(default=None, min_length=1, max_length=63)
    default_cpu: str | None = Quantity
    default_memory: str | None = Quantity
    max_cpu: str | None = Quantity
    max_memory: str | None = Quantity
    cmd_override: list[str] | None = Field(default=None, min_length=1, max_length=64)


class AgentDefinitionCreate(AgentSpecFields):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    category: str = Field(default="general", pattern=SLUG)


class AgentDefinitionPatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, pattern=SLUG)


class AgentSpec(BaseModel):
    tier: str
    runtime: str
    image: str
    default_cpu: str
    default_memory: str
    max_cpu: str
    max_memory: str
    cmd_override: list[str] | None


class AgentDefinition(Resource):
    organization_id: UUID
    category: str
    current_version: int
    latest_version: int
    content_hash: str | None
    spec: AgentSpec | None


class AgentDefinitionVersion(BaseModel):
    agent_definition_id: UUID
    version_number: int
    content_hash: str
    is_current: bool
    created_at: datetime
    created_by: str | None
    spec: AgentSpec


Backend = Literal["local", "kubernetes"]


class RuntimeTargetCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    backend_type: Backend
    endpoint: str | None = Field(default=None, min_length=1, max_length=2048)
    namespace: str | None = Field(default=None, min_length=1, max_length=63)
    is_default: bool = False
    infra_service: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="an infra service (guid or slug): while unhealthy, tasks here wait",
    )


class RuntimeTargetPatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)
    backend_type: Backend | None = None
    endpoint: str | None = Field(default=None, min_length=1, max_length=2048)
    namespace: str | None = Field(default=None, min_length=1, max_length=63)
    is_default: bool | None = None
    infra_service: str | None = Field(
        default=None, min_length=1, max_length=100, description="null: none watched"
    )


class RuntimeTarget(Resource):
    organization_id: UUID
    scope_type: Literal["org", "workspace", "project"]
    scope_id: UUID
    backend_type: Backend
    endpoint: str | None
    namespace: str | None
    is_default: bool
    infra_service: UUID | None = Field(
        default=None, description="the infra service whose health gates its tasks' starts"
    )
