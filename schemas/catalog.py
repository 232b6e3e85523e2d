"""Requests and responses of skills, configs, config categories and tools."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt

from schemas.common import SLUG, Request, Resource

Category = Field(pattern=SLUG, description="lowercase letters, digits and hyphens")


class Base64File(Request):
    base64: str = Field(description="the file's bytes, base64-encoded (for binary assets)")


BundleFiles = dict[str, str | Base64File]
FilesField = Field(
    description='path -> UTF-8 text, or {"base64": "..."}; SKILL.md is required',
    min_length=1,
)


class _Named(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str | None = Field(default=None, max_length=4000)


class SkillFields(_Named):
    """Name and description default to the SKILL.md front matter."""

    category: str = Category


class SkillCreate(SkillFields):
    files: BundleFiles = FilesField


class SkillVersionCreate(Request):
    files: BundleFiles = FilesField


class SkillPatch(_Named):
    category: str | None = Field(default=None, pattern=SLUG)


class Rollback(Request):
    version: StrictInt = Field(ge=1, description="the version to make current again")


class FileEntry(BaseModel):
    path: str
    size: int
    sha256: str
    is_text: bool


class FrontMatter(BaseModel):
    name: str
    description: str


class Skill(Resource):
    organization_id: UUID
    category: str
    current_version: int
    latest_version: int
    content_hash: str | None
    storage_ref: str | None
    front_matter: FrontMatter | None = None
    instructions: str | None = Field(
        default=None, description="the body of SKILL.md of the current version (single reads)"
    )


class _Version(BaseModel):
    version_number: int
    content_hash: str
    is_current: bool
    created_at: datetime
    created_by: str | None


class SkillVersion(_Version):
    skill_id: UUID
    storage_ref: str
    files: list[FileEntry]
    front_matter: FrontMatter


class FileSide(BaseModel):
    sha256: str | None
    size: int | None


class FileChange(BaseModel):
    path: str
    status: Literal["added", "removed", "changed"]
    old: FileSide
    new: FileSide
    is_text: bool
    diff: str | None = Field(description="unified diff (text files only)")


class SkillDiff(BaseModel):
    skill_id: UUID
    from_version: int
    to_version: int
    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int
    files: list[FileChange]


class ConfigCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    category: str = Category
    content: dict[str, Any]


class ConfigVersionCreate(Request):
    content: dict[str, Any]


class ConfigPatch(_Named):
    category: str | None = Field(default=None, pattern=SLUG)


class Config(Resource):
    organization_id: UUID
    category: str
    current_version: int
    latest_version: int
    content_hash: str | None
    content: dict[str, Any] | None


class ConfigVersion(_Version):
    config_id: UUID
    content: dict[str, Any]


class JsonChange(BaseModel):
    op: Literal["add", "remove", "replace"]
    path: str = Field(description="JSON pointer")
    old: Any = None
    new: Any = None


class ConfigDiff(BaseModel):
    config_id: UUID
    from_version: int
    to_version: int
    changes: list[JsonChange]


class ConfigCategoryPut(Request):
    json_schema: dict[str, Any] = Field(alias="schema", description="a JSON Schema")
    description: str | None = Field(default=None, max_length=4000)


class ConfigCategory(Resource):
    organization_id: UUID
    json_schema: dict[str, Any] = Field(alias="schema", serialization_alias="schema")


class ToolCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=SLUG)
    description: str = Field(default="", max_length=4000)
    input_schema: dict[str, Any] = Field(description="JSON Schema of the tool's input")
    handler_ref: str = Field(min_length=1, max_length=500)
    adapter_ref: str | None = Field(default=None, min_length=1, max_length=500)


class ToolPatch(_Named):
    input_schema: dict[str, Any] | None = None
    handler_ref: str | None = Field(default=None, min_length=1, max_length=500)
    adapter_ref: str | None = Field(default=None, min_length=1, max_length=500)


class Tool(Resource):
    organization_id: UUID | None
    input_schema: dict[str, Any]
    handler_ref: str
    adapter_ref: str | None


class ToolValidate(Request):
    input: Any = Field(description="a sample input to check against the tool's input_schema")


class Violation(BaseModel):
    path: str = Field(description="JSON pointer into the input")
    message: str


class ToolValidation(BaseModel):
    valid: bool
    errors: list[Violation]
