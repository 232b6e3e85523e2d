"""Use cases of tool definitions: the platform catalog (platform admins write, everyone
reads) and each organization's own tools (owners and admins write, members read)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.catalog.json_schemas import check_schema, violations
from domain.catalog.scope import BASE_RULES, CatalogScope, clean_changes
from domain.catalog.tooldef import ToolDef, validate_ref
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import PermissionDenied
from domain.core.values import slug_for, validate_description, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action

SLUG_KIND = "tool"
RULES = {
    **BASE_RULES,
    "input_schema": lambda v: check_schema(v, "input_schema"),
    "handler_ref": lambda v: validate_ref(v, "handler_ref"),
    "adapter_ref": lambda v: validate_ref(v, "adapter_ref", required=False),
}


@with_read_sessions
class ToolService:
    """`org_ref=None` means the platform-wide catalog."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = CatalogScope(store)

    def _org(self, ctx: CommandContext, org_ref: str | None, write: bool) -> Organization | None:
        if org_ref is not None:
            return self.scope.org(ctx, Action.CATALOG_WRITE if write else Action.READ, org_ref)
        if write and not ctx.is_platform_admin:
            raise PermissionDenied("only platform admins manage platform tools")
        return None

    def create(
        self,
        ctx: CommandContext,
        org_ref: str | None,
        name: str,
        input_schema: object,
        handler_ref: str,
        adapter_ref: str | None = None,
        slug: str | None = None,
        description: str = "",
    ) -> CommandResult:
        org = self._org(ctx, org_ref, write=True)
        name = validate_name(name)
        slug = slug_for(name, slug)
        tenant = org.id if org else None
        tool = ToolDef(
            organization_id=tenant,
            name=name,
            slug=slug,
            description=validate_description(description),
            input_schema=check_schema(input_schema, "input_schema"),
            handler_ref=validate_ref(handler_ref, "handler_ref"),
            adapter_ref=validate_ref(adapter_ref, "adapter_ref", required=False),
            meta=ctx.meta(tenant),
        )
        scope = str(tenant) if tenant else ""
        claim = self.store.slugs.claim(ctx, tenant, SLUG_KIND, scope, slug, tool.id)
        return CommandResult.of(tool, self.store.record(tool, claim))

    def update(
        self,
        ctx: CommandContext,
        org_ref: str | None,
        tool_ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        tool = self.find(ctx, org_ref, tool_ref, write=True)
        return self.scope.update(
            ctx, tool, SLUG_KIND, clean_changes(changes, RULES), expected_version
        )

    def set_deleted(
        self,
        ctx: CommandContext,
        org_ref: str | None,
        tool_ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        tool = self.find(ctx, org_ref, tool_ref, write=True, include_deleted=not deleted)
        return self.scope.set_deleted(ctx, tool, deleted, expected_version)

    @reads_only
    def history(
        self, ctx: CommandContext, org_ref: str | None, tool_ref: str
    ) -> tuple[ToolDef, list[DomainEventProtocol[UUID]]]:
        tool = self.find(ctx, org_ref, tool_ref, include_deleted=True)
        return tool, self.store.history(tool.id)

    @reads_only
    def validate_input(
        self, ctx: CommandContext, org_ref: str | None, tool_ref: str, sample: Any
    ) -> list[dict[str, str]]:
        """Every way a sample input breaks the tool's input schema (empty when valid)."""
        return violations(self.find(ctx, org_ref, tool_ref).input_schema, sample)

    @reads_only
    def find(
        self,
        ctx: CommandContext,
        org_ref: str | None,
        tool_ref: str,
        *,
        write: bool = False,
        include_deleted: bool = False,
    ) -> ToolDef:
        org = self._org(ctx, org_ref, write)
        return self.scope.find(ToolDef, SLUG_KIND, org, tool_ref, include_deleted=include_deleted)
