"""Requests and responses of workflow templates: the draft as edited, and the published
versions' content (the shape the workflow worker runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.catalog import JsonChange
from schemas.common import SLUG, Request, Resource

STAGE_DRAFTS = (
    "the stages as edited: objects with the fields of a published stage, where"
    " agent_definition, skills and configs name their target by slug or guid"
    ' ("coder", or {"ref": "coder", "version": 2 | "latest"}); checked at publish'
)


class WorkflowTemplateDraft(Request):
    input_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema of an instance's input context"
    )
    default_config: dict[str, Any] = Field(default_factory=dict)
    stages: list[dict[str, Any]] = Field(
        default_factory=list, max_length=50, description=STAGE_DRAFTS
    )


class WorkflowTemplateDraftPatch(Request):
    """A JSON Merge Patch (RFC 7386) of the draft: null removes, `stages` is replaced."""

    input_schema: dict[str, Any] | None = None
    default_config: dict[str, Any] | None = None
    stages: list[dict[str, Any]] | None = Field(default=None, max_length=50)


class WorkflowTemplateCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    category: str = Field(default="general", pattern=SLUG)
    draft: WorkflowTemplateDraft | None = None


class WorkflowTemplatePatch(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, pattern=SLUG)


class Pin(BaseModel):
    guid: UUID
    version: int | Literal["latest"] = Field(description="'latest': resolved at start")


class OnFailure(BaseModel):
    action: Literal["retry", "skip", "abort", "compensate"]
    max_attempts: int
    backoff_seconds: int | float
    compensation_stage: str | None


class Approval(BaseModel):
    roles: list[str]


class EventWait(BaseModel):
    signal: str


class WorkflowStage(BaseModel):
    name: str
    order: int
    stage_type: Literal["agent_task", "approval", "wait_for_event"]
    agent_definition: Pin | None
    agent_image: str | None
    brief: str = Field(description="may hold {context.x} and {stages.<name>.output.y}")
    skills: list[Pin]
    configs: list[Pin]
    secrets: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the stage's task declares these, as a task's `secrets` (never values)",
    )
    inputs: dict[str, str] = Field(
        description="key -> 'context.<path>' or 'stages.<earlier stage>.output.<path>'"
    )
    timeout_seconds: int
    on_failure: OnFailure
    approval: Approval | None
    event: EventWait | None


class WorkflowTemplateContent(BaseModel):
    input_schema: dict[str, Any] | None
    default_config: dict[str, Any]
    stages: list[WorkflowStage] = Field(description="sorted by order")


class WorkflowTemplate(Resource):
    organization_id: UUID
    category: str
    is_published: bool
    current_version: int
    latest_version: int
    content_hash: str | None
    default_config: dict[str, Any] | None = Field(description="the current version's")
    content: WorkflowTemplateContent | None = Field(description="the current version's")
    draft: WorkflowTemplateDraft


class WorkflowTemplateVersion(BaseModel):
    template_id: UUID
    version_number: int
    content_hash: str
    is_current: bool
    created_at: datetime
    created_by: str | None
    content: WorkflowTemplateContent


class WorkflowTemplateDiff(BaseModel):
    template_id: UUID
    from_version: int
    to_version: int
    changes: list[JsonChange]
