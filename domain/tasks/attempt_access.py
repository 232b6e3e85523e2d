"""Minting attempt tokens (the dispatcher, at launch) and knowing an agent by its token.

A token is refused with 401 when unknown or expired; a known token whose attempt is over
(the task finished, was cancelled, or runs a newer attempt) is refused with 409 naming the
task's current status or attempt — decided on the task as stored, in the same session as
whatever the request then does, so no write of an ended attempt can commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from domain.core.context import CommandContext, CommandResult
from domain.core.errors import NotFound, StaleAttempt, TransitionRefused, Unauthenticated
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tasks.attempt_tokens import AttemptToken, attempt_token_id_for, new_attempt_secret
from domain.tasks.status import LIVE
from domain.tasks.task import Task

INVALID = "invalid or expired attempt token"
DEFAULT_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class AttemptGrant:
    """An authenticated agent: the attempt its token was minted for."""

    token_id: UUID  # what its idempotency keys belong to, and the actor of its reports
    organization_id: UUID
    project_id: UUID
    task_id: UUID
    attempt: int

    def context(
        self, correlation_id: str | None = None, fence: tuple[str, str, str] | None = None
    ) -> CommandContext:
        """The attempt as the actor. It passes the task's role check (agents hold no role);
        it is only ever handed to the commands of its own task and attempt (agent_work)."""
        return CommandContext(
            actor_id=self.token_id,
            correlation_id=correlation_id or str(uuid4()),
            is_platform_admin=True,
            fence=fence,
        )


@dataclass(frozen=True)
class NewAttemptToken:
    result: CommandResult
    secret: str  # handed to the attempt, never stored
    expires_at: datetime


@with_read_sessions
class AttemptTokens:
    def __init__(self, store: EventStore, grace: timedelta = DEFAULT_GRACE) -> None:
        self.store = store
        self.grace = grace

    def mint(self, ctx: CommandContext, task_id: UUID, attempt: int) -> NewAttemptToken:
        """A token for the task's current live attempt (claimed: its deadline is set)."""
        task = self.store.find(task_id, Task)
        if task is None:
            raise NotFound("task not found")
        check_live(task, attempt)
        deadline = task.deadline_at or datetime.now(tz=UTC) + timedelta(
            seconds=task.timeout_seconds
        )
        secret = new_attempt_secret()
        token = AttemptToken(
            id=attempt_token_id_for(secret),
            organization_id=task.organization_id,
            project_id=task.project_id,
            task_id=task.id,
            attempt=attempt,
            expires_at=deadline + self.grace,
            meta=ctx.meta(task.organization_id),
        )
        result = CommandResult.of(token, self.store.record(token))
        return NewAttemptToken(result, secret, token.expires_at)

    @reads_only
    def authenticate(self, secret: str) -> AttemptGrant:
        """Who the token speaks for (401 if unknown or expired); whether its attempt is
        still live is each request's own check (`live_task`)."""
        return self.grant(attempt_token_id_for(secret))

    def grant(self, token_id: UUID) -> AttemptGrant:
        token = self.store.find(token_id, AttemptToken)
        if token is None or token.is_expired():
            raise Unauthenticated(INVALID)
        return AttemptGrant(
            token.id, token.organization_id, token.project_id, token.task_id, token.attempt
        )

    def live_task(self, grant: AttemptGrant) -> Task:
        """The grant's task, read in the caller's session, if its attempt is still live:
        the token itself is read again too (it may have expired since)."""
        self.grant(grant.token_id)
        task = self.store.find(grant.task_id, Task)
        if task is None:
            raise Unauthenticated(INVALID)
        check_live(task, grant.attempt)
        return task


def check_live(task: Task, attempt: int) -> None:
    """409 naming what the attempt lost to: a newer attempt, or a status past live."""
    if task.attempt != attempt:
        raise StaleAttempt(
            f"attempt {attempt} is not the task's current attempt {task.attempt}",
            current_attempt=task.attempt,
        )
    if task.status not in LIVE:
        raise TransitionRefused(
            f"attempt {attempt} is over: the task is {task.status}", current_status=task.status
        )
