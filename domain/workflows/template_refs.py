"""What a template's stages name (agent definitions, skills, configs), resolved in its
organization: a slug or guid becomes the guid; a version is a number that exists, or
`latest`, kept as is and resolved when an instance starts."""

from __future__ import annotations

from typing import Any

from domain.catalog.config import Config
from domain.catalog.scope import CatalogScope
from domain.catalog.skill import Skill
from domain.catalog.versioned import VersionedAggregate
from domain.core.errors import InvalidInput, NotFound
from domain.infra.agent_definition import AgentDefinition
from domain.infra.agent_definition_service import SLUG_KIND as AGENT_DEFINITION
from domain.tenancy.organization import Organization

KINDS: dict[str, tuple[type[VersionedAggregate], str]] = {
    "agent_definition": (AgentDefinition, AGENT_DEFINITION),
    "skill": (Skill, "skill"),
    "config": (Config, "config"),
}
REF_FIELDS = {"ref", "guid", "version"}


def _ref_and_version(value: object, field: str) -> tuple[str, object]:
    """A reference is "<slug or guid>", or {ref | guid, version (default latest)}."""
    if isinstance(value, str):
        return value, "latest"
    if isinstance(value, dict) and not set(value) - REF_FIELDS:
        refs = [value[k] for k in ("ref", "guid") if k in value]
        if len(refs) == 1 and isinstance(refs[0], str):
            return refs[0], value.get("version", "latest")
    raise InvalidInput("a reference is a slug or guid, or {ref, version}", field=field)


class OrgRefs:
    """`Refs` of template_stages, for one organization."""

    def __init__(self, scope: CatalogScope, org: Organization) -> None:
        self.scope = scope
        self.org = org

    def pin(self, kind: str, value: object, field: str) -> dict[str, Any]:
        ref, version = _ref_and_version(value, field)
        cls, slug_kind = KINDS[kind]
        what = kind.replace("_", " ")
        if not 1 <= len(ref) <= 100:
            raise InvalidInput(f"{what} {ref!r} not found", field=field)
        try:
            found = self.scope.find(cls, slug_kind, self.org, ref)
        except NotFound:
            raise InvalidInput(f"{what} {ref!r} not found", field=field) from None
        if version != "latest" and (
            not isinstance(version, int)
            or isinstance(version, bool)
            or not 1 <= version <= found.latest_version
        ):
            raise InvalidInput(
                f"{what} {ref!r} has no version {version!r} (a number, or 'latest')",
                field=f"{field}.version",
            )
        return {"guid": str(found.id), "version": version}
