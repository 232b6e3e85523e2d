"""SKILL.md: YAML front matter (`name`, `description`) between `---` lines, then the
instructions the agent is taught."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from domain.catalog.bundle_paths import SKILL_FILE, file_field
from domain.core.errors import InvalidInput

NAME_PATTERN = re.compile(r"^[a-z0-9-]{1,64}$")
MAX_DESCRIPTION = 1024
MAX_FRONT_MATTER = 64 * 1024
FIELD = file_field(SKILL_FILE)


@dataclass(frozen=True)
class SkillDocument:
    name: str
    description: str
    instructions: str

    @property
    def front_matter(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description}


def _invalid(message: str, key: str | None = None) -> InvalidInput:
    return InvalidInput(message, field=f"{FIELD}.{key}" if key else FIELD)


def _split(text: str) -> tuple[str, str]:
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise _invalid("SKILL.md must start with YAML front matter between '---' lines")
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise _invalid("the front matter of SKILL.md is not closed by a '---' line")


def parse_skill_md(text: str) -> SkillDocument:
    raw, body = _split(text)
    if len(raw) > MAX_FRONT_MATTER:
        raise _invalid(f"front matter must be at most {MAX_FRONT_MATTER} characters")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 2})" if where is not None else ""
        raise _invalid(f"front matter is not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise _invalid("front matter must be a YAML mapping with name and description")
    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise _invalid("name must be 1-64 lowercase letters, digits or hyphens", "name")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise _invalid("description must be a non-empty string", "description")
    if len(description) > MAX_DESCRIPTION:
        raise _invalid(f"description must be at most {MAX_DESCRIPTION} characters", "description")
    return SkillDocument(name, description.strip(), body.lstrip("\r\n"))
