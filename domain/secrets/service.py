"""Use cases of secrets: create (version 1), rotate (a new version), edit, delete, history.

A value goes to its backend between two read sessions: the first checks the caller, the
scope and the name (so a refused request stores nothing anywhere), the second records the
events after checking again. The value is never kept, logged or put in an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.catalog.scope import validate_category
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import Conflict, InvalidInput, TooLarge
from domain.core.slugs import slugify
from domain.core.values import validate_description
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.secrets.ports import SecretBackend, SecretLocator
from domain.secrets.scope import SLUG_KIND, ScopeRefs, SecretScope, scope_id_of
from domain.secrets.secret import (
    Secret,
    validate_backend,
    validate_inherit,
    validate_secret_name,
)
from domain.tenancy.entities import set_deleted
from domain.tenancy.roles import Action

DEFAULT_MAX_VALUE_BYTES = 64 * 1024
_RULES = {
    "description": validate_description,
    "category": validate_category,
    "inherit": validate_inherit,
}


class SecretService:
    def __init__(
        self,
        store: EventStore,
        backends: Mapping[str, SecretBackend],
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    ) -> None:
        self.store = store
        self.backends = backends
        self.max_value_bytes = max_value_bytes
        self.scope = SecretScope(store)

    def backend(self, name: str) -> SecretBackend:
        backend = self.backends.get(validate_backend(name))
        if backend is None:
            raise InvalidInput(f"the {name} backend is not configured here", field="backend")
        return backend

    def _value(self, value: str | None) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise InvalidInput("value must be a non-empty string", field="value")
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("value must be valid UTF-8 text", field="value") from None
        if len(raw) > self.max_value_bytes:
            raise TooLarge(f"value must be at most {self.max_value_bytes} bytes", field="value")
        return raw

    def _session(self, ctx: CommandContext, call: Any, may_write: bool = True) -> Any:
        return run_in_session(self.store, ctx, call, may_write=may_write)

    def create(
        self,
        ctx: CommandContext,
        refs: ScopeRefs,
        name: str,
        backend: str,
        value: str | None = None,
        path_or_arn: str | None = None,
        category: str = "generic",
        description: str = "",
        inherit: bool = True,
    ) -> CommandResult:
        name = validate_secret_name(name)
        chosen = self.backend(backend)
        raw = self._value(value)
        path = chosen.check_path(path_or_arn, raw is not None)
        fields = {
            "name": name,
            "slug": slugify(name),
            "description": validate_description(description),
            "category": validate_category(category),
            "backend": backend,
            "path_or_arn": path,
            "inherit": validate_inherit(inherit),
        }
        planned: Secret = self._session(ctx, lambda: self._new(ctx, refs, fields), False)
        stored = chosen.put(SecretLocator(planned.organization_id, planned.id, 1, path), raw)

        def record() -> CommandResult:
            secret = self._new(ctx, refs, fields)
            claim = self.store.slugs.claim(
                ctx, secret.organization_id, SLUG_KIND, secret.scope_id, secret.slug, secret.id
            )
            secret.add_version(stored, meta=ctx.meta(secret.organization_id))
            return CommandResult.of(secret, self.store.record(secret, claim))

        result: CommandResult = self._session(ctx, record)
        return result

    def _new(self, ctx: CommandContext, refs: ScopeRefs, fields: dict[str, Any]) -> Secret:
        """The secret as it would be created, after the caller, scope and name are checked."""
        chain = self.scope.locate(ctx, Action.SECRET_WRITE, refs)
        scope_id = scope_id_of(chain)
        if self.store.slugs.owner(SLUG_KIND, scope_id, fields["slug"]) is not None:
            raise Conflict(f"a secret named {fields['name']!r} exists in this scope", field="name")
        return Secret(
            organization_id=chain.org.id,
            team_id=chain.team.id if chain.team else None,
            workspace_id=chain.workspace.id if chain.workspace else None,
            meta=ctx.meta(chain.org.id),
            **fields,
        )

    def rotate(
        self,
        ctx: CommandContext,
        refs: ScopeRefs,
        ref: str,
        value: str | None,
        expected_version: int | None = None,
    ) -> CommandResult:
        raw = self._value(value)

        def plan() -> Secret:
            secret = self.scope.find(ctx, Action.SECRET_WRITE, refs, ref)
            secret.check_version(expected_version)
            if raw is None and secret.backend == "local":
                raise InvalidInput("a local secret is rotated with a new value", field="value")
            return secret

        planned: Secret = self._session(ctx, plan, False)
        version = planned.latest_version + 1
        locator = SecretLocator(planned.organization_id, planned.id, version, planned.path_or_arn)
        stored = self.backend(planned.backend).put(locator, raw)

        def record() -> CommandResult:
            secret = plan()
            if secret.latest_version + 1 != version:
                raise Conflict("the secret was rotated meanwhile; rotate again", field="version")
            secret.add_version(stored, meta=ctx.meta(secret.organization_id))
            return CommandResult.of(secret, self.store.record(secret))

        result: CommandResult = self._session(ctx, record)
        return result

    def update(
        self,
        ctx: CommandContext,
        refs: ScopeRefs,
        ref: str,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> CommandResult:
        def run() -> CommandResult:
            secret = self.scope.find(ctx, Action.SECRET_WRITE, refs, ref)
            secret.check_version(expected_version)
            clean = {}
            for key, raw in changes.items():
                if key not in _RULES:
                    raise InvalidInput(f"field {key!r} cannot be changed", field=key)
                clean[key] = _RULES[key](raw)
            clean = secret.changes_from(clean)
            if not clean:
                return CommandResult.of(secret, 0)
            secret.update(changes=clean, meta=ctx.meta(secret.organization_id))
            return CommandResult.of(secret, self.store.record(secret))

        result: CommandResult = self._session(ctx, run)
        return result

    def set_deleted(
        self,
        ctx: CommandContext,
        refs: ScopeRefs,
        ref: str,
        deleted: bool,
        expected_version: int | None,
    ) -> CommandResult:
        def run() -> CommandResult:
            secret = self.scope.find(
                ctx, Action.SECRET_WRITE, refs, ref, include_deleted=not deleted
            )
            return set_deleted(self.store, ctx, secret, deleted, expected_version)

        result: CommandResult = self._session(ctx, run)
        return result

    def find(self, ctx: CommandContext, action: Action, refs: ScopeRefs, ref: str) -> Secret:
        """A secret the caller may act on (`action`), deleted ones included."""
        found: Secret = self._session(
            ctx, lambda: self.scope.find(ctx, action, refs, ref, include_deleted=True), False
        )
        return found

    def history(
        self, ctx: CommandContext, refs: ScopeRefs, ref: str
    ) -> tuple[Secret, list[DomainEventProtocol[UUID]]]:
        secret = self.find(ctx, Action.HISTORY_READ, refs, ref)
        return secret, self.store.history(secret.id)
