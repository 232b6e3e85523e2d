"""The secrets step of a launch: resolve a claimed attempt's declared secrets (the access
ledger records each: task, attempt, secret, version, backend, resolver) and hand them to
the runtime with the attempt's spec, for that attempt only.

Versions are pinned per attempt: a retry resolves again and gets the latest (or the
version the task declared), and the ledger says which. While a backend does not answer
the attempt waits, claimed, the task's `waiting_reason` saying why (workers/dispatcher/
waiting.py). A secret deleted since the submission, or a path or version gone from its
backend, fails the attempt, saying which (never with a value: none is in scope of an error).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from domain.core.context import system_context
from domain.core.errors import DomainError
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest, SecretResolver
from domain.tasks.task import Task
from workers.dispatcher.waiting import Waiting
from workers.runtimes.spec import LaunchSpec, SecretMaterial

log = logging.getLogger(__name__)


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
    def __init__(self, resolver: SecretResolver | None, waiting: Waiting, resolver_name: str):
        self.resolver = resolver
        self.waiting = waiting
        self.resolver_name = resolver_name

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
                    self.resolver_name,
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
            await self.waiting.pause(task, reason, tries)
            tries += 1
