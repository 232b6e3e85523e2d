"""Resolving a task attempt's secrets: what the dispatcher calls at launch.

Contract of `SecretResolver.resolve_for_attempt(ctx, scope, task_id, attempt, requests,
resolver)`:
- `scope`: the task's org, team and workspace ids; each request names a secret, which is
  looked up nearest first (workspace, then team, then org). A secret with `inherit=False`
  serves only tasks of its own scope; lower scopes look further up. Deleted ones are skipped.
- `request.version`: a version to pin, else the latest. A second resolution of the same
  (secret, task, attempt) returns the version the first one pinned, whatever was rotated
  since: an attempt sees one version of each secret.
- Returns `Resolved` (values in memory, in request order) after the ledger events
  (`SecretAccess.Accessed`, then `.AccessedAgain` on a repeat: task, attempt, secret,
  version, backend, resolver — never the value) are committed; no value leaves without its
  ledger event. Returns `Unavailable` (backend, reason, retry_after) when a backend does not
  answer: the task waits and the dispatcher retries; nothing was recorded.
- Raises NotFound (no such secret for this scope), SecretGone (the path, version or data
  key is gone: the attempt cannot run), InvalidInput (a malformed request, naming the field).
- The caller is trusted (the dispatcher, a system context); who may attach which secret to
  a task is decided when the task is submitted. No HTTP route returns a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import InvalidInput, NotFound
from domain.core.slugs import slugify
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.secrets.errors import BackendUnavailable
from domain.secrets.ledger import SecretAccess
from domain.secrets.ports import SecretLocator
from domain.secrets.scope import SLUG_KIND
from domain.secrets.secret import Secret, validate_secret_name
from domain.secrets.service import SecretService

Delivery = Literal["env", "file"]


@dataclass(frozen=True)
class AttemptScope:
    organization_id: UUID
    team_id: UUID | None = None
    workspace_id: UUID | None = None


@dataclass(frozen=True)
class SecretRequest:
    name: str
    version: int | None = None
    delivery: Delivery = "env"
    target: str = ""  # the env var, or the file path in the working directory


@dataclass(frozen=True)
class ResolvedSecret:
    request: SecretRequest
    secret_id: UUID
    version: int
    backend: str
    value: bytes = field(repr=False)


@dataclass(frozen=True)
class Resolved:
    secrets: list[ResolvedSecret]
    position: int  # of the ledger events


@dataclass(frozen=True)
class Unavailable:
    backend: str
    reason: str
    retry_after: int


@dataclass(frozen=True)
class _Planned:
    request: SecretRequest
    secret: Secret
    version: int
    access: SecretAccess | None  # the attempt's earlier access, if any


class SecretResolver:
    def __init__(self, store: EventStore, secrets: SecretService) -> None:
        self.store = store
        self.secrets = secrets

    def resolve_for_attempt(
        self,
        ctx: CommandContext,
        scope: AttemptScope,
        task_id: UUID,
        attempt: int,
        requests: Sequence[SecretRequest],
        resolver: str,
    ) -> Resolved | Unavailable:
        for index, request in enumerate(requests):
            _check(request, index)
        plans: list[_Planned] = run_in_session(
            self.store,
            ctx,
            lambda: [self._plan(scope, task_id, attempt, r) for r in requests],
            may_write=False,
        )
        resolved = []
        try:
            for plan in plans:
                secret = plan.secret
                at = SecretLocator(
                    secret.organization_id, secret.id, plan.version, secret.path_or_arn
                )
                value = self.secrets.backend(secret.backend).get(at, secret.stored(plan.version))
                resolved.append(
                    ResolvedSecret(plan.request, secret.id, plan.version, secret.backend, value)
                )
        except BackendUnavailable as exc:
            return Unavailable(exc.backend, exc.message, exc.retry_after)
        position = run_in_session(
            self.store, ctx, lambda: self._record(ctx, scope, task_id, attempt, plans, resolver)
        )
        return Resolved(resolved, position)

    def _plan(
        self, scope: AttemptScope, task_id: UUID, attempt: int, request: SecretRequest
    ) -> _Planned:
        secret = self.nearest(scope, request.name)
        access = self.store.find(SecretAccess.create_id(secret.id, task_id, attempt), SecretAccess)
        version = access.version if access else request.version or secret.latest_version
        secret.stored(version)  # NotFound naming the version if there is none
        return _Planned(request, secret, version, access)

    def nearest(self, scope: AttemptScope, name: str) -> Secret:
        return nearest_secret(self.store, scope, name)

    def _record(
        self,
        ctx: CommandContext,
        scope: AttemptScope,
        task_id: UUID,
        attempt: int,
        plans: list[_Planned],
        resolver: str,
    ) -> int:
        meta = ctx.meta(scope.organization_id)
        touched: dict[UUID, SecretAccess] = {}
        for plan in plans:
            access_id = SecretAccess.create_id(plan.secret.id, task_id, attempt)
            if access_id in touched:
                continue  # the same secret asked twice (two targets): one ledger entry
            known = self.store.find(access_id, SecretAccess)
            if known is not None:
                known.access_again(resolver=resolver, meta=meta)
                touched[access_id] = known
                continue
            touched[access_id] = SecretAccess(
                secret_id=plan.secret.id,
                task_id=task_id,
                attempt=attempt,
                organization_id=scope.organization_id,
                version=plan.version,
                backend=plan.secret.backend,
                resolver=resolver,
                delivery=plan.request.delivery,
                target=plan.request.target,
                meta=meta,
            )
        return self.store.record(*touched.values()) if touched else 0


def nearest_secret(store: EventStore, scope: AttemptScope, name: str) -> Secret:
    """The secret a task of this scope gets by that name: workspace, then team, then org."""
    levels = [s for s in (scope.workspace_id, scope.team_id, scope.organization_id) if s]
    slug = slugify(name)
    for depth, level in enumerate(levels):
        guid = store.slugs.owner(SLUG_KIND, level, slug)
        secret = store.find(guid, Secret) if guid else None
        if secret is None or secret.is_deleted:
            continue
        if secret.organization_id != scope.organization_id:
            continue
        if depth > 0 and not secret.inherit:
            continue  # kept to its own scope
        return secret
    raise NotFound(f"secret {name!r} not found for this task's scope", field="name")


def _check(request: SecretRequest, index: int) -> None:
    where = f"secrets[{index}]"
    validate_secret_name(request.name)
    if request.version is not None and (
        not isinstance(request.version, int) or request.version < 1
    ):
        raise InvalidInput("version must be a positive integer", field=f"{where}.version")
    if request.delivery not in ("env", "file"):
        raise InvalidInput("delivery must be env or file", field=f"{where}.delivery")
    if not isinstance(request.target, str) or len(request.target) > 255:
        raise InvalidInput("target must be a string of at most 255", field=f"{where}.target")
