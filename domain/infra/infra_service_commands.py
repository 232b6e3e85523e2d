"""Use cases of infra services: owners and admins register and change them, members read;
the health checker records changes of health (as the system)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.catalog.scope import CatalogScope
from domain.core.context import CommandContext, CommandResult, system_context
from domain.core.errors import InvalidInput
from domain.core.slugs import validate_slug
from domain.core.values import slug_for, validate_description, validate_name
from domain.infra.connection_url import (
    Sealer,
    masked,
    validate_connection_url,
    validate_service_type,
)
from domain.infra.infra_service import (
    InfraService,
    sealing_context,
    validate_interval,
    validate_timeout,
)
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.organization import Organization
from domain.tenancy.roles import Action

SLUG_KIND = "infra-service"
RULES: dict[str, Callable[[Any], Any]] = {
    "name": validate_name,
    "description": validate_description,
    "slug": validate_slug,
    "check_interval_seconds": validate_interval,
    "timeout_seconds": validate_timeout,
}


@with_read_sessions
class InfraServices:
    def __init__(self, store: EventStore, sealer: Sealer) -> None:
        self.store = store
        self.sealer = sealer
        self.scope = CatalogScope(store)

    def _org(self, ctx: CommandContext, org_ref: str, write: bool) -> Organization:
        return self.scope.org(ctx, Action.INFRA_WRITE if write else Action.READ, org_ref)

    def create(
        self,
        ctx: CommandContext,
        org_ref: str,
        name: str,
        service_type: str,
        connection_url: str,
        check_interval_seconds: int = 30,
        timeout_seconds: float = 5.0,
        slug: str | None = None,
        description: str = "",
    ) -> CommandResult:
        org = self._org(ctx, org_ref, write=True)
        name = validate_name(name)
        slug = slug_for(name, slug)
        service_type = validate_service_type(service_type)
        url = validate_connection_url(connection_url, service_type)
        service_id = uuid.uuid4()
        service = InfraService(
            id=service_id,
            organization_id=org.id,
            name=name,
            slug=slug,
            description=validate_description(description),
            service_type=service_type,
            connection_url=masked(url),
            sealed_url=self.sealer.seal(url, sealing_context(org.id, service_id)),
            check_interval_seconds=validate_interval(check_interval_seconds),
            timeout_seconds=validate_timeout(timeout_seconds),
            meta=ctx.meta(org.id),
        )
        claim = self.store.slugs.claim(ctx, org.id, SLUG_KIND, str(org.id), slug, service.id)
        return CommandResult.of(service, self.store.record(service, claim))

    def update(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        service = self.find(ctx, org_ref, ref, write=True)
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "connection_url":
                url = validate_connection_url(value, service.service_type)
                if url == self._open(service):
                    continue
                context = sealing_context(service.organization_id, service.id)
                clean.update(connection_url=masked(url), sealed_url=self.sealer.seal(url, context))
            elif key in RULES:
                clean[key] = RULES[key](value)
            else:
                raise InvalidInput(f"field {key!r} cannot be changed", field=key)
        return self.scope.update(ctx, service, SLUG_KIND, clean, expected_version)

    def set_deleted(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        service = self.find(ctx, org_ref, ref, write=True, include_deleted=not deleted)
        return self.scope.set_deleted(ctx, service, deleted, expected_version)

    def record_health(
        self, service_id: UUID, healthy: bool, consecutive_fails: int, reason: str
    ) -> CommandResult | None:
        """A change of health, by the checker; None when it is no change (already so)."""
        service = self.store.load(service_id, InfraService, "infra service")
        meta = system_context().meta(service.organization_id)
        at = datetime.now(tz=UTC)
        if not service.change_health(healthy, consecutive_fails, reason, at, meta):
            return None
        return CommandResult.of(service, self.store.record(service))

    @reads_only
    def probe_target(self, service_id: UUID) -> tuple[InfraService, str] | None:
        """The service and its full URL, for the checker (None once gone or deleted)."""
        service = self.store.find(service_id, InfraService)
        if service is None or service.is_deleted:
            return None
        return service, self._open(service)

    @reads_only
    def find(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        *,
        write: bool = False,
        include_deleted: bool = False,
    ) -> InfraService:
        org = self._org(ctx, org_ref, write)
        return self.scope.find(InfraService, SLUG_KIND, org, ref, include_deleted=include_deleted)

    def _open(self, service: InfraService) -> str:
        context = sealing_context(service.organization_id, service.id)
        return self.sealer.open(service.sealed_url, context)
