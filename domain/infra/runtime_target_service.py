"""Use cases of runtime targets at an org, workspace or project scope.

A scope's default is held by a claim (a SlugClaim of kind `runtime-target-default`, whose
id is derived from the scope), recorded with the target that takes it: two writers making
defaults at once collide on the store's primary key, so one wins without a read-then-write
race; the other is told the scope already has a default (409 naming `is_default`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol

from domain.catalog.scope import clean_changes
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import Conflict, InvalidInput, NotFound
from domain.core.slugs import looks_like_uuid, validate_slug
from domain.core.values import slug_for, validate_description, validate_name
from domain.infra import infra_service_commands
from domain.infra import runtime_target as rules
from domain.infra.infra_service import InfraService
from domain.infra.runtime_target import RuntimeTarget
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.entities import set_deleted
from domain.tenancy.resolver import Chain
from domain.tenancy.roles import Action
from domain.tenancy.scope import TenancyScope

SLUG_KIND = "runtime-target"
DEFAULT_KIND = "runtime-target-default"
DEFAULT = "default"
# A scope is a path: (org,), (org, team, workspace) or (org, team, workspace, project).
Refs = tuple[str, ...]
CHANGE_RULES = {
    "name": validate_name,
    "description": validate_description,
    "slug": validate_slug,
    "backend_type": rules.validate_backend,
    "endpoint": rules.validate_endpoint,
    "namespace": rules.validate_namespace,
    "is_default": rules.validate_is_default,
    "infra_service": lambda value: value,  # None, or a guid resolved by the use case
}


def scope_of(chain: Chain) -> tuple[str, UUID]:
    if chain.project is not None:
        return "project", chain.project.id
    if chain.workspace is not None:
        return "workspace", chain.workspace.id
    return "org", chain.org.id


@with_read_sessions
class RuntimeTargetService:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.scope = TenancyScope(store)

    def _locate(self, ctx: CommandContext, action: Action, refs: Refs) -> Chain:
        org, *below = refs
        return self.scope.locate(ctx, action, org, *below)

    def _claim_default(self, ctx: CommandContext, target: RuntimeTarget) -> Aggregate:
        try:
            return self.store.slugs.claim(
                ctx, target.organization_id, DEFAULT_KIND, target.scope_id, DEFAULT, target.id
            )
        except Conflict:
            raise Conflict(
                f"this {target.scope_type} already has a default runtime target", field="is_default"
            ) from None

    def _release_default(self, ctx: CommandContext, target: RuntimeTarget) -> list[Aggregate]:
        released = self.store.slugs.release(
            ctx, target.organization_id, DEFAULT_KIND, target.scope_id, DEFAULT
        )
        return [released] if released is not None else []

    def create(
        self,
        ctx: CommandContext,
        refs: Refs,
        name: str,
        backend_type: str,
        endpoint: str | None = None,
        namespace: str | None = None,
        is_default: bool = False,
        slug: str | None = None,
        description: str = "",
        infra_service: str | None = None,
    ) -> CommandResult:
        chain = self._locate(ctx, Action.INFRA_WRITE, refs)
        scope_type, scope_id = scope_of(chain)
        name = validate_name(name)
        target = RuntimeTarget(
            organization_id=chain.org.id,
            scope_type=scope_type,
            scope_id=scope_id,
            name=name,
            slug=slug_for(name, slug),
            description=validate_description(description),
            backend_type=rules.validate_backend(backend_type),
            endpoint=rules.validate_endpoint(endpoint),
            namespace=rules.validate_namespace(namespace),
            is_default=rules.validate_is_default(is_default),
            meta=ctx.meta(chain.org.id),
        )
        if infra_service is not None:
            watched = self._service_of(chain.org.id, infra_service)
            target.update(changes={"infra_service": watched}, meta=ctx.meta(chain.org.id))
        touched: list[Aggregate] = [target]
        touched.append(
            self.store.slugs.claim(ctx, chain.org.id, SLUG_KIND, scope_id, target.slug, target.id)
        )
        if target.is_default:
            touched.append(self._claim_default(ctx, target))
        return CommandResult.of(target, self.store.record(*touched))

    def update(
        self,
        ctx: CommandContext,
        refs: Refs,
        ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        target = self.find(ctx, Action.INFRA_WRITE, refs, ref)
        target.check_version(expected_version)
        changes = dict(changes)
        if changes.get("infra_service") is not None:
            watched = self._service_of(target.organization_id, changes["infra_service"])
            changes["infra_service"] = watched
        clean = target.changes_from(clean_changes(changes, CHANGE_RULES))
        if not clean:
            return CommandResult.of(target, 0)
        tenant, scope_id = target.organization_id, target.scope_id
        touched: list[Aggregate] = [target]
        if "slug" in clean:
            slugs = self.store.slugs
            touched.append(slugs.claim(ctx, tenant, SLUG_KIND, scope_id, clean["slug"], target.id))
            released = slugs.release(ctx, tenant, SLUG_KIND, scope_id, target.slug)
            touched += [released] if released is not None else []
        if clean.get("is_default") is True:
            touched.append(self._claim_default(ctx, target))
        elif clean.get("is_default") is False:
            touched += self._release_default(ctx, target)
        target.update(changes=clean, meta=ctx.meta(tenant))
        return CommandResult.of(target, self.store.record(*touched))

    def set_deleted(
        self,
        ctx: CommandContext,
        refs: Refs,
        ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        """A deleted target gives up its scope's default; restored, it is not the default."""
        target = self.find(ctx, Action.INFRA_WRITE, refs, ref, include_deleted=not deleted)
        if deleted and target.is_default:
            target.check_version(expected_version)
            released = self._release_default(ctx, target)
            target.update(changes={"is_default": False}, meta=ctx.meta(target.organization_id))
            target.soft_delete(meta=ctx.meta(target.organization_id))
            return CommandResult.of(target, self.store.record(target, *released))
        return set_deleted(self.store, ctx, target, deleted, expected_version)

    @reads_only
    def history(
        self, ctx: CommandContext, refs: Refs, ref: str
    ) -> tuple[RuntimeTarget, list[DomainEventProtocol[UUID]]]:
        target = self.find(ctx, Action.READ, refs, ref, include_deleted=True)
        return target, self.store.history(target.id)

    @reads_only
    def find(
        self,
        ctx: CommandContext,
        action: Action,
        refs: Refs,
        ref: str,
        include_deleted: bool = False,
    ) -> RuntimeTarget:
        chain = self._locate(ctx, action, refs)
        found = self.in_scope(scope_of(chain)[1], ref)
        if found is None or (found.is_deleted and not include_deleted):
            raise NotFound(f"runtime target {ref!r} not found")
        return found

    def _service_of(self, organization_id: UUID, ref: object) -> str:
        """The guid of an infra service of the target's org, by guid or slug (422 if none)."""
        slug_kind = infra_service_commands.SLUG_KIND
        found = None
        if isinstance(ref, str) and 1 <= len(ref) <= 100:
            guid = looks_like_uuid(ref) or self.store.slugs.owner(
                slug_kind, str(organization_id), ref
            )
            found = self.store.find(guid, InfraService) if guid else None
        if found is None or found.is_deleted or found.organization_id != organization_id:
            raise InvalidInput(
                f"infra service {ref!r} not found in this organization", field="infra_service"
            )
        return str(found.id)

    def in_scope(self, scope_id: UUID, ref: str) -> RuntimeTarget | None:
        """A target of this scope by guid or slug (deleted ones too)."""
        guid = looks_like_uuid(ref) or self.store.slugs.owner(SLUG_KIND, scope_id, ref)
        target = self.store.find(guid, RuntimeTarget) if guid else None
        return target if target is not None and target.scope_id == scope_id else None

    def default_of(self, scope_id: UUID) -> RuntimeTarget | None:
        owner = self.store.slugs.owner(DEFAULT_KIND, scope_id, DEFAULT)
        target = self.store.find(owner, RuntimeTarget) if owner else None
        return target if target is not None and not target.is_deleted else None
