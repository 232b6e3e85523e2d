"""Tasks' and infrastructure's use cases in one place for the composition root to build."""

from __future__ import annotations

from domain.catalog.blobs import BlobStore
from domain.core.context import CommandContext, CommandResult
from domain.infra.agent_definition_service import AgentDefinitionService
from domain.infra.runtime_target_service import RuntimeTargetService
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.tasks.lifecycle import Path, TaskLifecycle
from domain.tasks.submit import Submission, SubmitTask


class TaskService:
    def __init__(self, store: EventStore, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs
        self.agent_definitions = AgentDefinitionService(store)
        self.runtime_targets = RuntimeTargetService(store)
        self.lifecycle = TaskLifecycle(store)
        self._submit = SubmitTask(store, blobs, self.agent_definitions, self.runtime_targets)

    def submit(self, ctx: CommandContext, path: Path, asked: Submission) -> CommandResult:
        """One unit of work: every read and the write in one session."""
        return run_in_session(self.store, ctx, lambda: self._submit(ctx, path, asked))
