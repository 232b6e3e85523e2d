"""The dispatcher-facing use cases: a platform admin mints, lists and revokes dispatcher
credentials; a dispatcher, authenticated by one, registers and acts on tasks (claim, start,
succeed, fail, time out, confirm a cancel) as itself.

Every command reads the credential in its own session, so its write commits only while
the credential is unrevoked (a revocation that commits first refuses it). A dispatcher
acts only on the attempts it claimed; the attempt number fences late reports (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from domain.callbacks.addresses import CallbackPolicy
from domain.callbacks.callback_url import validate_callback_url
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from domain.core.values import validate_name
from domain.infra.dispatcher_credential import (
    DispatcherCredential,
    credential_id_for,
    new_dispatcher_secret,
)
from domain.infra.dispatcher_instance import dispatcher_id_of
from domain.infra.dispatchers import Dispatchers
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.status import LIVE
from domain.tasks.task import Task

MAX_DISPATCHER_NAME = 200
INVALID = "invalid or revoked dispatcher credential"


@dataclass(frozen=True)
class DispatcherPrincipal:
    credential_id: UUID
    dispatcher_name: str

    @property
    def token_id(self) -> UUID:  # what idempotency keys belong to
        return self.credential_id

    @property
    def dispatcher_id(self) -> UUID:
        return dispatcher_id_of(self.dispatcher_name)

    def context(self, correlation_id: str | None = None) -> CommandContext:
        """The dispatcher as the actor. It is platform infrastructure (it takes every org's
        tasks), so it passes the task's role check; it is only ever handed to the task
        commands below, each limited to the attempts it claimed."""
        return CommandContext(
            actor_id=self.dispatcher_id,
            correlation_id=correlation_id or str(uuid4()),
            is_platform_admin=True,
        )


@dataclass(frozen=True)
class NewDispatcherCredential:
    result: CommandResult
    secret: str  # shown once to the caller, never stored


def _dispatcher_name(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_DISPATCHER_NAME:
        raise InvalidInput("dispatcher_name must be 1-200 characters", field="dispatcher_name")
    return value.strip()


@with_read_sessions
class DispatchService:
    def __init__(self, store: EventStore, policy: CallbackPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or CallbackPolicy()  # where push offers may be sent
        self.lifecycle = TaskLifecycle(store)
        self.dispatchers = Dispatchers(store)

    # -- credentials (platform admins) -------------------------------------------------
    def issue(
        self, ctx: CommandContext, dispatcher_name: str, name: str, secret: str | None = None
    ) -> NewDispatcherCredential:
        self._admin(ctx)
        dispatcher = _dispatcher_name(dispatcher_name)
        secret = secret or new_dispatcher_secret()
        credential = DispatcherCredential(
            id=credential_id_for(secret),
            dispatcher_name=dispatcher,
            name=validate_name(name),
            meta=ctx.meta(None),
        )
        result = CommandResult.of(credential, self.store.record(credential))
        return NewDispatcherCredential(result, secret)

    def revoke(self, ctx: CommandContext, credential_id: UUID) -> CommandResult:
        self._admin(ctx)
        credential = self.store.find(credential_id, DispatcherCredential)
        if credential is None:
            raise NotFound("dispatcher credential not found")
        credential.revoke(meta=ctx.meta(None))
        return CommandResult.of(credential, self.store.record(credential))

    @reads_only
    def authenticate(self, secret: str) -> DispatcherPrincipal:
        credential = self.store.find(credential_id_for(secret), DispatcherCredential)
        if credential is None or not credential.is_valid:
            raise Unauthenticated(INVALID)
        return DispatcherPrincipal(credential.id, credential.dispatcher_name)

    # -- the dispatcher's own commands -------------------------------------------------
    def register(
        self,
        who: DispatcherPrincipal,
        runtime: str,
        bus_config: dict[str, Any],
        dispatch_mode: str = "pull",
        endpoint_url: str | None = None,
        correlation_id: str | None = None,
    ) -> UUID:
        ctx = self._checked(who, correlation_id)
        if endpoint_url is not None:  # offers are POSTed there: the SSRF guard's rules
            endpoint_url = validate_callback_url(endpoint_url, self.policy, "endpoint_url")
        return self.dispatchers.register(
            who.dispatcher_name, runtime, bus_config, dispatch_mode, endpoint_url, ctx=ctx
        )

    def claim(
        self,
        who: DispatcherPrincipal,
        task_id: UUID,
        attempt: int,
        correlation_id: str | None = None,
    ) -> CommandResult:
        ctx = self._checked(who, correlation_id)
        return self.lifecycle.claim(ctx, task_id, who.dispatcher_name, attempt)

    def report(
        self,
        who: DispatcherPrincipal,
        what: str,
        task_id: UUID,
        attempt: int,
        detail: object = None,
        correlation_id: str | None = None,
    ) -> CommandResult:
        """start, succeed (detail: result), fail (detail: error), time_out, confirm_cancelled."""
        commands: dict[str, Callable[..., CommandResult]] = {
            "start": self.lifecycle.start,
            "succeed": self.lifecycle.succeed,
            "fail": self.lifecycle.fail,
            "time_out": self.lifecycle.time_out,
            "confirm_cancelled": self.lifecycle.confirm_cancelled,
        }
        if what not in commands:
            raise InvalidInput(f"unknown report {what!r}", field="report")
        ctx = self._checked(who, correlation_id)
        task = self.store.find(task_id, Task)
        if task is None:
            raise NotFound("task not found")
        held = task.attempt == attempt and task.status in LIVE
        if held and task.dispatcher_id != who.dispatcher_name:  # else the task says why not
            raise Conflict(f"attempt {attempt} is not held by dispatcher {who.dispatcher_name}")
        extra = (detail if detail is not None else {},) if what in ("succeed", "fail") else ()
        return commands[what](ctx, task_id, attempt, *extra)

    # -- checks ------------------------------------------------------------------------
    def _checked(self, who: DispatcherPrincipal, correlation_id: str | None) -> CommandContext:
        """Read the credential in this command's session: its write then commits only
        while the credential stands."""
        credential = self.store.find(who.credential_id, DispatcherCredential)
        if credential is None or not credential.is_valid:
            raise Unauthenticated(INVALID)
        return who.context(correlation_id)

    @staticmethod
    def _admin(ctx: CommandContext) -> None:
        if not ctx.is_platform_admin:
            raise PermissionDenied("only platform admins manage dispatcher credentials")
