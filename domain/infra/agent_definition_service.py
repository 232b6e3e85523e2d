"""Use cases of agent definitions: create (version 1), publish a new spec, roll back, edit,
delete; and pinning one for a task. Org owners and admins manage them."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.catalog.config import content_hash_of
from domain.catalog.definition_service import DefinitionService
from domain.catalog.publishing import Published
from domain.catalog.scope import validate_category
from domain.core.context import CommandContext
from domain.core.errors import InvalidInput, NotFound
from domain.core.values import slug_for, validate_name
from domain.infra.agent_definition import AgentDefinition
from domain.infra.agent_spec import validate_spec
from domain.plumbing.unit_of_work import with_read_sessions
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action

SLUG_KIND = "agent-definition"


@with_read_sessions
class AgentDefinitionService(DefinitionService[AgentDefinition]):
    kind = AgentDefinition
    slug_kind = SLUG_KIND
    write_action: ClassVar[Action] = Action.INFRA_WRITE

    def create(
        self,
        ctx: CommandContext,
        org_ref: str,
        name: str,
        spec: dict[str, Any],
        slug: str | None = None,
        description: str = "",
        category: str = "general",
    ) -> Published:
        org = self.scope.org(ctx, self.write_action, org_ref)
        name = validate_name(name)
        slug = slug_for(name, slug)
        category = validate_category(category)
        clean = validate_spec(spec)
        definition = self._new(ctx, org, name, slug, description, category)
        return self._create(ctx, org, definition, lambda meta: definition.publish(clean, meta))

    def publish(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        spec: dict[str, Any],
        expected_version: int | None = None,
    ) -> Published:
        definition = self.find(ctx, self.write_action, org_ref, ref)
        definition.check_version(expected_version)
        clean = validate_spec(spec)
        return self._publish(
            ctx, definition, content_hash_of(clean), lambda meta: definition.publish(clean, meta)
        )


def pin_agent_definition(
    service: AgentDefinitionService, org: Organization, ref: object, version: object
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pin ({guid, version}) and spec of the definition a task names, at the version it
    asks for (`latest`: the current one);
    unknown or deleted -> 422 naming the field, as any bad input of a submission."""
    field = "agent_definition"
    if not isinstance(ref, str) or not 1 <= len(ref) <= 100:
        raise InvalidInput("agent_definition must be a guid or a slug", field=field)
    try:
        definition = service.scope.find(AgentDefinition, SLUG_KIND, org, ref)
    except NotFound:
        raise InvalidInput(f"agent definition {ref!r} not found", field=field) from None
    if version in (None, "latest"):
        number = definition.current_version
    elif isinstance(version, int) and not isinstance(version, bool):
        number = version
    else:
        raise InvalidInput("version must be a number or 'latest'", field=f"{field}_version")
    try:
        record = definition.version_record(number)
    except NotFound:
        raise InvalidInput(
            f"agent definition {ref!r} has no version {number}", field=f"{field}_version"
        ) from None
    return {"guid": str(definition.id), "version": number}, record["content"]
