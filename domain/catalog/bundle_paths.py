"""Rules for the file paths inside a skill bundle.

Paths are relative, `/`-separated and never leave the bundle: whatever later unpacks a
bundle (an agent runtime writing it to disk) can trust them.
"""

from __future__ import annotations

import re

from domain.core.errors import InvalidInput

MAX_PATH = 255
SKILL_FILE = "SKILL.md"
# Agent Skills: these must be readable by the model or runnable as scripts, so UTF-8 text.
TEXT_DIRS = ("scripts/", "references/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def file_field(path: str) -> str:
    return f"files[{path}]"


def check_path(path: object) -> str:
    if not isinstance(path, str) or not path:
        raise InvalidInput("file paths must be non-empty strings", field="files")
    field = file_field(path)
    if len(path) > MAX_PATH:
        raise InvalidInput(f"path is longer than {MAX_PATH} characters", field=field)
    if "\\" in path:
        raise InvalidInput("backslashes are not allowed in bundle paths; use '/'", field=field)
    if path.startswith("/") or _DRIVE.match(path):
        raise InvalidInput("absolute paths are not allowed in a bundle", field=field)
    if _CONTROL.search(path):
        raise InvalidInput("control characters are not allowed in bundle paths", field=field)
    segments = path.split("/")
    if ".." in segments:
        raise InvalidInput("path traversal ('..') is not allowed in a bundle", field=field)
    if any(segment in ("", ".") for segment in segments):
        raise InvalidInput("empty or '.' path segments are not allowed", field=field)
    return path


def check_unique(paths: list[str]) -> None:
    """Exact duplicates (possible in a zip), and names that differ only by case, which
    would overwrite each other when unpacked on a case-insensitive file system."""
    seen: dict[str, str] = {}
    for path in paths:
        key = path.casefold()
        if key in seen:
            raise InvalidInput(
                f"duplicate path (clashes with {seen[key]!r})", field=file_field(path)
            )
        seen[key] = path


def must_be_text(path: str) -> bool:
    return path == SKILL_FILE or path.startswith(TEXT_DIRS)
