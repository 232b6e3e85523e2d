"""Catalog aggregates and version records as wire bodies, and their canonical paths."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.views import aggregate_row
from domain.catalog.config import Config
from domain.catalog.config_category import ConfigCategory
from domain.catalog.skill import Skill
from domain.catalog.tooldef import ToolDef

VERSIONED = ("organization_id", "category", "current_version", "latest_version", "content_hash")


def org_path(org_id: UUID | None) -> str:
    return f"/v1/orgs/{org_id}" if org_id else "/v1"


def skill_path(skill: Skill) -> str:
    return f"{org_path(skill.organization_id)}/skills/{skill.id}"


def config_path(config: Config) -> str:
    return f"{org_path(config.organization_id)}/configs/{config.id}"


def tool_path(tool: ToolDef) -> str:
    return f"{org_path(tool.organization_id)}/tools/{tool.id}"


def category_path(category: ConfigCategory) -> str:
    return f"{org_path(category.organization_id)}/config-categories/{category.slug}"


def describe_skill(skill: Skill) -> dict[str, Any]:
    row = aggregate_row(skill, *VERSIONED, "storage_ref")
    row["front_matter"] = skill.current["front_matter"]
    return row


def describe_config(config: Config) -> dict[str, Any]:
    return aggregate_row(config, *VERSIONED, "content")


def describe_tool(tool: ToolDef) -> dict[str, Any]:
    return aggregate_row(tool, "organization_id", "input_schema", "handler_ref", "adapter_ref")


def describe_category(category: ConfigCategory) -> dict[str, Any]:
    return aggregate_row(category, "organization_id", "schema")


def version_body(owner_key: str, entity: Skill | Config, record: dict) -> dict[str, Any]:
    return {
        owner_key: entity.id,
        **record,
        "is_current": record["version_number"] == entity.current_version,
    }
