"""What an agent may do with its attempt token, and nothing else: read its task's brief,
pinned skill bundles and config contents; report progress; append output to its log;
complete or fail — each only while its attempt is the task's current live one.

Progress is an event (`Task.ProgressReported`: it is part of the task's story, shown on the
task and routable like any event), so it is rate-limited per attempt: a report within
`progress_interval` of the last one is refused (`ProgressTooSoon`, with the seconds left)
rather than flooding the log. Heartbeats carry nothing but liveness: they stay out of the
log (the API writes them to a table). Completing and failing go through the lifecycle,
fenced by the attempt number: a late report of an ended attempt is a 409.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.catalog.blobs import BlobStore
from domain.catalog.config import Config
from domain.catalog.skill import Skill
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import Conflict, DomainError, InvalidInput, NotConfigured, NotFound
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tasks.attempt_access import AttemptGrant, AttemptTokens
from domain.tasks.lifecycle import TaskLifecycle
from domain.tasks.logs import AttemptLogs, log_key
from domain.tasks.task import Task

MAX_MESSAGE = 1000


class ProgressTooSoon(DomainError):
    """A progress report came sooner than the interval allows after the last one."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="progress")
        self.retry_after = retry_after


@dataclass(frozen=True)
class PinnedFile:
    name: str  # the catalog entry's slug, as the runtime lays it out
    guid: UUID
    version: int
    content: Any  # a skill's zip (bytes), a config's JSON content


def progress_of(message: object, percent: object) -> dict[str, Any]:
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise InvalidInput(
            f"message must be text of at most {MAX_MESSAGE} characters", field="message"
        )
    if percent is not None and (
        isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100
    ):
        raise InvalidInput("percent must be a number from 0 to 100", field="percent")
    return {"message": message, "percent": percent}


@with_read_sessions
class AgentWork:
    def __init__(
        self,
        store: EventStore,
        blobs: BlobStore,
        logs: AttemptLogs | None = None,
        progress_interval: timedelta = timedelta(seconds=5),
    ) -> None:
        self.store, self.blobs, self.logs = store, blobs, logs
        self.tokens = AttemptTokens(store)
        self.lifecycle = TaskLifecycle(store)
        self.progress_interval = progress_interval

    # -- reads -------------------------------------------------------------------------
    @reads_only
    def authenticate(self, secret: str) -> AttemptGrant:
        grant: AttemptGrant = self.tokens.authenticate(secret)
        return grant

    @reads_only
    def task(self, grant: AttemptGrant) -> Task:
        return self.tokens.live_task(grant)

    @reads_only
    def brief(self, grant: AttemptGrant) -> bytes:
        return self.blobs.get(self.tokens.live_task(grant).brief_key)

    @reads_only
    def skill(self, grant: AttemptGrant, ref: str) -> PinnedFile:
        """The zip of a skill the task pinned (by its slug or guid), at the pinned version."""
        task = self.tokens.live_task(grant)
        skill, version = self._pinned(task.skills, ref, Skill, "skill")
        record = skill.version_record(version)
        archive = self.blobs.get(record["storage_ref"])
        return PinnedFile(skill.slug, skill.id, version, archive)

    @reads_only
    def config(self, grant: AttemptGrant, ref: str) -> PinnedFile:
        """The content of a config the task pinned (by its slug or guid), at that version."""
        task = self.tokens.live_task(grant)
        config, version = self._pinned(task.configs, ref, Config, "config")
        content = config.version_record(version)["content"]
        return PinnedFile(config.slug, config.id, version, content)

    @reads_only
    def pins(self, grant: AttemptGrant) -> dict[str, list[dict[str, Any]]]:
        """The skills and configs the task pinned, named as the runtime lays them out."""
        task = self.tokens.live_task(grant)
        named: dict[str, list[dict[str, Any]]] = {}
        for kind, cls, pins in (("skills", Skill, task.skills), ("configs", Config, task.configs)):
            found = [(pin, self.store.find(UUID(str(pin["guid"])), cls)) for pin in pins]
            named[kind] = [
                {"name": entry.slug, "guid": entry.id, "version": int(pin["version"])}
                for pin, entry in found
                if entry is not None
            ]
        return named

    def _pinned(self, pins: list[dict[str, Any]], ref: str, cls: type, kind: str) -> Any:
        for pin in pins:
            entry = self.store.find(UUID(str(pin["guid"])), cls)
            if entry is not None and ref in (entry.slug, str(entry.id)):
                return entry, int(pin["version"])
        raise NotFound(f"the task pinned no {kind} {ref!r}")

    # -- reports -----------------------------------------------------------------------
    def report_progress(
        self,
        grant: AttemptGrant,
        message: object,
        percent: object = None,
        ctx: CommandContext | None = None,
    ) -> CommandResult:
        progress = progress_of(message, percent)
        task = self.tokens.live_task(grant)
        now = datetime.now(tz=UTC)
        last = (task.progress or {}).get("reported_at")
        if last is not None:
            wait = datetime.fromisoformat(last) + self.progress_interval - now
            if wait > timedelta(0):
                every = self.progress_interval.total_seconds()
                raise ProgressTooSoon(
                    f"at most one progress report every {every:g} s",
                    retry_after=max(1, math.ceil(wait.total_seconds())),
                )
        progress["reported_at"] = now.isoformat()
        return self._as_agent(
            grant,
            ctx,
            lambda ctx: self.lifecycle.report_progress(ctx, grant.task_id, grant.attempt, progress),
        )

    def complete(
        self, grant: AttemptGrant, result: object, ctx: CommandContext | None = None
    ) -> CommandResult:
        return self._as_agent(
            grant,
            ctx,
            lambda ctx: self.lifecycle.succeed(ctx, grant.task_id, grant.attempt, result),
        )

    def fail(
        self,
        grant: AttemptGrant,
        message: object,
        details: object = None,
        ctx: CommandContext | None = None,
    ) -> CommandResult:
        if not isinstance(message, str) or not 1 <= len(message) <= 500:
            raise InvalidInput("message must be 1-500 characters", field="message")
        error: dict[str, Any] = {"message": message, "reported_by": "agent"}
        if details is not None:
            error["details"] = details
        return self._as_agent(
            grant, ctx, lambda ctx: self.lifecycle.fail(ctx, grant.task_id, grant.attempt, error)
        )

    def _as_agent(
        self,
        grant: AttemptGrant,
        ctx: CommandContext | None,
        command: Callable[[Any], CommandResult],
    ) -> CommandResult:
        # The token and the task are read in this session first: an ended attempt is
        # refused here, and its write (if any) commits only while neither has changed.
        self.tokens.live_task(grant)
        return command(ctx or grant.context())

    @reads_only
    def append_output(self, grant: AttemptGrant, chunk: bytes) -> int:
        """Append to the attempt's log (the one `GET …/tasks/{task}/logs` serves); the log's
        size after it."""
        self.tokens.live_task(grant)
        if self.logs is None:
            raise NotConfigured("this API process cannot write attempt logs")
        key = log_key(grant.organization_id, grant.project_id, grant.task_id, grant.attempt)
        if self.logs.is_closed(key):
            raise Conflict("the attempt's log is closed: its process has ended", field="output")
        self.logs.append(key, chunk)
        return self.logs.size(key)
