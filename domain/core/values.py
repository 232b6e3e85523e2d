"""Validation of the BaseCoreModel fields shared by every entity."""

from __future__ import annotations

from domain.core.errors import InvalidInput
from domain.core.slugs import slugify, validate_slug

MAX_NAME = 200
MAX_DESCRIPTION = 4000


def validate_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name must be a non-empty string", field=field)
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name must be at most {MAX_NAME} characters", field=field)
    return name.strip()


def validate_description(description: object) -> str:
    if description is None:
        return ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"description must be a string of at most {MAX_DESCRIPTION} characters",
            field="description",
        )
    return description


def slug_for(name: str, slug: str | None) -> str:
    return validate_slug(slug) if slug is not None else slugify(name)
