"""Use cases of EventRoutes: create (version 1), change (a new version when the
definition changes), roll back, delete, read the history; and trying one on events.

The filter and the transform are compiled by the RouteEvaluator (in its sandbox) before
anything is recorded: a program that does not compile is a 422 naming its field.
"""

from __future__ import annotations

from typing import Any

from domain.catalog.definition_service import DefinitionService
from domain.catalog.publishing import Published
from domain.catalog.scope import BASE_RULES, clean_changes
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import InvalidInput, PermissionDenied
from domain.core.values import slug_for, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.routing.definition import FIELDS, definition_hash, validate_definition
from domain.routing.event_route import EventRoute
from domain.routing.ports import RouteEvaluator
from domain.tenancy.roles import Action


@with_read_sessions
class RouteService(DefinitionService[EventRoute]):
    kind = EventRoute
    slug_kind = "event-route"
    rules = dict(BASE_RULES)
    write_action = Action.ROUTE_WRITE

    def __init__(self, store: EventStore, evaluator: RouteEvaluator) -> None:
        super().__init__(store)
        self.evaluator = evaluator

    def compiles(self, definition: dict[str, Any]) -> dict[str, Any]:
        errors = self.evaluator.check(definition["filter"], definition["transform"])
        if errors:
            field, message = errors[0]
            raise InvalidInput(
                f"{field} does not compile: {message}",
                field=field,
                errors=[{"field": f, "message": m} for f, m in errors],
            )
        return definition

    def create(
        self,
        ctx: CommandContext,
        org_ref: str,
        name: str,
        definition: dict[str, Any],
        slug: str | None = None,
        description: str = "",
        system: bool = False,
    ) -> Published:
        if system and ctx.actor_id is not None:
            raise PermissionDenied("system routes are installed by Signalyard only")
        org = self.scope.org(ctx, Action.ROUTE_WRITE, org_ref)
        name = validate_name(name)
        slug = _not_reserved(slug_for(name, slug))
        definition = self.compiles(validate_definition(definition))
        route = EventRoute(
            organization_id=org.id,
            name=name,
            slug=slug,
            description=description or "",
            system=system,
            meta=ctx.meta(org.id),
        )
        return self._create(ctx, org, route, lambda meta: route.publish(definition, meta=meta))

    def update(
        self,
        ctx: CommandContext,
        org_ref: str,
        ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        """Name, slug and description change in place; any field of the definition
        publishes a new version (unless it equals the current one)."""
        route = self.find(ctx, self.write_action, org_ref, ref)
        route.check_version(expected_version)
        asked = {k: v for k, v in changes.items() if k in FIELDS}
        if "slug" in changes:
            _not_reserved(changes["slug"])
        core = route.changes_from(
            clean_changes({k: v for k, v in changes.items() if k not in FIELDS}, self.rules)
        )
        if asked:
            definition = validate_definition({**route.definition, **asked})
            if definition_hash(definition) != route.content_hash:
                route.publish(self.compiles(definition), meta=ctx.meta(route.organization_id))
        if core:
            return self.scope.update(ctx, route, self.slug_kind, core, None)
        if not route.pending_events:
            return CommandResult.of(route, 0)
        return CommandResult.of(route, self.store.record(route))

    @reads_only
    def find(
        self,
        ctx: CommandContext,
        action: Action,
        org_ref: str,
        ref: str,
        include_deleted: bool = False,
    ) -> EventRoute:
        route: EventRoute = super().find(ctx, action, org_ref, ref, include_deleted)
        if action is self.write_action and route.system and ctx.actor_id is not None:
            raise PermissionDenied("a system route is managed by Signalyard and cannot be changed")
        return route


# `…/event-routes/dead-letters` lists dead letters: no route may be addressed by that slug.
RESERVED_SLUGS = frozenset({"dead-letters"})


def _not_reserved(slug: str) -> str:
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"slug {slug!r} is reserved", field="slug")
    return slug
