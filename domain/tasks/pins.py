"""Pinning what a task may use to exact versions at submission: `latest` is resolved now,
so a version published later never changes what a past task ran with."""

from __future__ import annotations

from typing import Any, TypeVar

from domain.catalog.scope import CatalogScope
from domain.catalog.skill import Skill
from domain.catalog.tooldef import ToolDef
from domain.catalog.versioned import VersionedAggregate
from domain.core.aggregate import CoreAggregate
from domain.core.errors import InvalidInput, NotFound
from domain.tasks.submission import MAX_PINS
from domain.tenancy.organization import Organization

Pin = dict[str, Any]
C = TypeVar("C", bound=CoreAggregate)


def _entries(value: object, field: str) -> list[tuple[str, object]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_PINS:
        raise InvalidInput(f"{field} must be a list of at most {MAX_PINS} items", field=field)
    entries = []
    for i, item in enumerate(value):
        ref = item.get("ref") if isinstance(item, dict) else None
        if not isinstance(ref, str) or not 1 <= len(ref) <= 100 or set(item) - {"ref", "version"}:
            raise InvalidInput(f"{field}[{i}] must be {{ref, version}}", field=f"{field}.{i}.ref")
        entries.append((ref, item.get("version", "latest")))
    return entries


def _number(version: object, latest: int, field: str) -> int:
    if version == "latest":
        return latest
    if isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= latest:
        return version
    raise InvalidInput(f"version {version!r} does not exist", field=field)


def _find(
    scope: CatalogScope, kind: type[C], slug_kind: str, org: Organization | None, ref: str
) -> C | None:
    try:
        return scope.find(kind, slug_kind, org, ref)
    except NotFound:
        return None


def pin_versioned(
    scope: CatalogScope, org: Organization, kind: type[VersionedAggregate], value: object
) -> list[Pin]:
    field = "skills" if kind is Skill else "configs"
    pins = []
    for i, (ref, version) in enumerate(_entries(value, field)):
        found = _find(scope, kind, kind.KIND, org, ref)
        if found is None:
            raise InvalidInput(f"{kind.KIND} {ref!r} not found", field=f"{field}.{i}.ref")
        latest = found.current_version if version == "latest" else found.latest_version
        pins.append(
            {"guid": str(found.id), "version": _number(version, latest, f"{field}.{i}.version")}
        )
    return pins


def pin_tools(scope: CatalogScope, org: Organization, value: object) -> list[Pin]:
    """Tools are not versioned: a pin names the tool's version (its revision) at submission."""
    pins = []
    for i, (ref, version) in enumerate(_entries(value, "tools")):
        found = _find(scope, ToolDef, "tool", org, ref) or _find(scope, ToolDef, "tool", None, ref)
        if found is None:
            raise InvalidInput(f"tool {ref!r} not found", field=f"tools.{i}.ref")
        pins.append(
            {
                "guid": str(found.id),
                "version": _number(version, found.version, f"tools.{i}.version"),
            }
        )
    return pins
