"""The secrets step of a launch: resolve a claimed attempt's declared secrets (the access
ledger records each: task, attempt, secret, version, backend, resolver) and hand them to
the runtime with the attempt's spec, for that attempt only.

Versions are pinned per attempt: a retry resolves again and gets the latest (or the
version the task declared), and the ledger says which. While a backend does not answer
the attempt waits, claimed: the task's `waiting_reason` says why (one event per change of
reason, not per try) and resolution is tried again with backoff until it answers, the task
is cancelled or its attempt ends (timed out by the server). A secret deleted since the
submission, or a path or version gone from its backend, fails the attempt, saying which.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

from domain.core.context import system_context
from domain.core.errors import Conflict, DomainError
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest, SecretResolver
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.task import Task
from workers.runtimes.spec import LaunchSpec, SecretMaterial

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # the last one repeats


class SecretsNotDelivered(RuntimeError):
    """The attempt cannot have its secrets: the message says which and why (no value)."""


def requests_of(task: Task) -> list[SecretRequest]:
    return [
        SecretRequest(
            name=need["name"],
            version=need.get("version"),
            delivery=need["as"],
            target=need["env_var"] if need["as"] == "env" else need["path"],
        )
        for need in task.secrets
    ]


class AttemptSecrets:
    def __init__(
        self,
        resolver: SecretResolver | None,
        lifecycle: TaskLifecycle,
        dispatcher_name: str,
        backoff: Sequence[float] = BACKOFF_SECONDS,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.resolver = resolver
        self.close = close or (lambda: None)  # what the resolver holds (a data-key pool)
        self.lifecycle = lifecycle
        self.name = dispatcher_name
        self.backoff = tuple(backoff)

    async def add_to(self, spec: LaunchSpec, task: Task) -> LaunchSpec:
        """The spec with the attempt's secrets; waits while a backend is down."""
        if not task.secrets:
            return spec
        if self.resolver is None:
            raise SecretsNotDelivered("this dispatcher has no secret backend configured")
        scope = AttemptScope(task.organization_id, task.team_id, task.workspace_id)
        requests = requests_of(task)
        tries = 0
        while True:
            try:
                outcome = await asyncio.to_thread(
                    self.resolver.resolve_for_attempt,
                    system_context(),
                    scope,
                    task.id,
                    task.attempt,
                    requests,
                    f"dispatcher {self.name}",
                )
            except DomainError as error:  # not found, gone: this attempt cannot run
                raise SecretsNotDelivered(f"secrets not delivered: {error.message}") from None
            if isinstance(outcome, Resolved):
                pinned = ", ".join(f"{r.request.name} v{r.version}" for r in outcome.secrets)
                log.info("task %s attempt %d: secrets resolved: %s", task.id, task.attempt, pinned)
                delivered = tuple(
                    SecretMaterial(r.request.name, r.request.delivery, r.request.target, r.value)
                    for r in outcome.secrets
                )
                return dataclasses.replace(spec, secrets=delivered)
            reason = f"waiting for the {outcome.backend} secret backend: {outcome.reason}"
            if not await self._still_wanted(task, reason):
                raise SecretsNotDelivered(f"stopped waiting for secrets ({reason})")
            await asyncio.sleep(self.backoff[min(tries, len(self.backoff) - 1)])
            tries += 1

    async def _still_wanted(self, task: Task, reason: str) -> bool:
        """Record why it waits (once per reason); False when the attempt is over or a
        cancel was asked for (which is then confirmed)."""
        ctx = system_context()
        try:
            await asyncio.to_thread(self.lifecycle.wait, ctx, task.id, task.attempt, reason)
        except Conflict as exc:  # the attempt ended (timed out, requeued): not ours to run
            log.info("task %s attempt %d: no longer waits: %s", task.id, task.attempt, exc)
            return False
        current: Any = await asyncio.to_thread(self.lifecycle.store.find, task.id, Task)
        if current is not None and current.cancel_requested:
            await asyncio.to_thread(_confirm_cancelled, self.lifecycle, task.id, task.attempt)
            return False
        return True


def _confirm_cancelled(lifecycle: TaskLifecycle, task_id: Any, attempt: int) -> None:
    try:
        lifecycle.confirm_cancelled(system_context(), task_id, attempt)
    except Conflict:
        pass
