"""Use cases of workflow instances as users drive them: start one from a published template
version, send it a signal, approve or reject its waiting stage, cancel it, retry it from the
stage that failed. Each is recorded on the instance; Signalyard's system routes carry it to
the instance's Temporal workflow (no command handler calls Temporal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from domain.catalog.json_schemas import require_valid
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.core.values import validate_description, validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.tasks.submission import validate_input
from domain.tenancy.roles import Action, Role
from domain.tenancy.scope import TenancyScope
from domain.workflows.instance import (
    WorkflowInstance,
    instance_id_of,
    instance_slug,
    temporal_wf_id,
)
from domain.workflows.instance_inputs import stage_named
from domain.workflows.instance_ports import SystemRoutes, TemplateVersions

Path = tuple[str, str, str, str]  # org, team, workspace, project refs
MAX_COMMENT = 2000
MAX_SIGNAL_NAME = 200


@dataclass
class StartRequest:
    template: str
    template_version: int | str = "latest"
    input_context: dict[str, Any] | None = None
    name: str | None = None
    description: str = ""
    instance_id: UUID | None = field(default=None)


class WorkflowInstances:
    def __init__(
        self, store: EventStore, templates: TemplateVersions, routes: SystemRoutes
    ) -> None:
        self.store = store
        self.templates = templates
        self.routes = routes
        self.scope = TenancyScope(store)

    def start(self, ctx: CommandContext, path: Path, asked: StartRequest) -> CommandResult:
        chain = run_in_session(
            self.store, ctx, lambda: self.scope.locate(ctx, Action.WORKFLOW_RUN, *path)
        )
        self.routes.ensure(chain.org.id)  # before the instance: its start is routed
        return run_in_session(self.store, ctx, lambda: self._start(ctx, path, asked))

    def _start(self, ctx: CommandContext, path: Path, asked: StartRequest) -> CommandResult:
        chain = self.scope.locate(ctx, Action.WORKFLOW_RUN, *path)
        assert chain.team and chain.workspace and chain.project
        pinned = self.templates.published(ctx, chain.org, asked.template, asked.template_version)
        context = validate_input(asked.input_context)
        schema = pinned.content.get("input_schema")
        if schema:
            require_valid(schema, context, "input_context", "input_context")
        instance_id = asked.instance_id or uuid4()
        slug = instance_slug(instance_id)
        instance = WorkflowInstance(
            id=instance_id,
            organization_id=chain.org.id,
            team_id=chain.team.id,
            workspace_id=chain.workspace.id,
            project_id=chain.project.id,
            name=slug if asked.name is None else validate_name(asked.name),
            slug=slug,
            description=validate_description(asked.description),
            template_id=pinned.template_id,
            template_version=pinned.version,
            temporal_wf_id=temporal_wf_id(instance_id),
            input_context=context,
            meta=ctx.meta(chain.org.id),
        )
        return CommandResult.of(instance, self.store.record(instance))

    def find(self, ctx: CommandContext, action: Action, path: Path, ref: str) -> WorkflowInstance:
        chain = self.scope.locate(ctx, action, *path)
        assert chain.project is not None
        found = instance_id_of(ref)
        instance = self.store.find(found, WorkflowInstance) if found else None
        if instance is None or instance.project_id != chain.project.id:
            raise NotFound(f"workflow instance {ref!r} not found")
        return instance

    def signal(
        self, ctx: CommandContext, path: Path, ref: str, name: object, payload: object
    ) -> CommandResult:
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_SIGNAL_NAME:
            raise InvalidInput(f"name must be 1-{MAX_SIGNAL_NAME} characters", field="name")
        clean = _payload(payload)
        return self._command(ctx, path, ref, Action.WORKFLOW_SIGNAL, "signal", name, clean, None)

    def cancel(
        self, ctx: CommandContext, path: Path, ref: str, reason: str | None
    ) -> CommandResult:
        comment = _comment(reason)
        return self._command(ctx, path, ref, Action.WORKFLOW_CANCEL, "cancel", None, {}, comment)

    def decide(
        self, ctx: CommandContext, path: Path, ref: str, approve: bool, comment: str | None
    ) -> CommandResult:
        """Approve or reject the instance's waiting approval stage, for a role it allows."""
        command = "approve" if approve else "reject"
        return self._command(
            ctx, path, ref, Action.WORKFLOW_SIGNAL, command, None, {}, _comment(comment)
        )

    def retry(self, ctx: CommandContext, path: Path, ref: str) -> CommandResult:
        def run() -> CommandResult:
            instance = self.find(ctx, Action.WORKFLOW_RUN, path, ref)
            instance.retry(ctx.meta(instance.organization_id))
            return CommandResult.of(instance, self.store.record(instance))

        return run_in_session(self.store, ctx, run)

    def _command(
        self,
        ctx: CommandContext,
        path: Path,
        ref: str,
        action: Action,
        command: str,
        name: str | None,
        payload: dict[str, Any],
        comment: str | None,
    ) -> CommandResult:
        def run() -> CommandResult:
            instance = self.find(ctx, action, path, ref)
            stage = None
            if command in ("approve", "reject"):
                stage = self._approvable_stage(ctx, path, instance)
            instance.command(
                command, name, payload, comment, stage, ctx.meta(instance.organization_id)
            )
            return CommandResult.of(instance, self.store.record(instance))

        return run_in_session(self.store, ctx, run)

    def _approvable_stage(self, ctx: CommandContext, path: Path, instance: WorkflowInstance) -> str:
        name = instance.current_stage
        content = self.templates.pinned(instance.template_id, instance.template_version).content
        stage = stage_named(content, name) if name else None
        if stage is None or stage.get("stage_type") != "approval":
            raise Conflict("the instance is not waiting for an approval", field="stage")
        allowed = [Role(r) for r in (stage.get("approval") or {}).get("roles") or []]
        if not ctx.is_platform_admin and not self._holds_one_of(ctx, path, allowed):
            raise PermissionDenied(
                f"stage {name!r} is decided by {', '.join(r.value for r in allowed) or 'nobody'}"
            )
        return str(name)

    def _holds_one_of(self, ctx: CommandContext, path: Path, allowed: list[Role]) -> bool:
        """A listed role, or one above it on the ladder (an owner may do what an admin may)."""
        if not allowed:
            return False
        chain = self.scope.locate(ctx, Action.READ, *path)
        held = self.scope.access.org_roles(ctx.actor_id, chain.org)
        held += self.scope.access.scope_roles(ctx.actor_id, chain)
        floor = min(r.rank for r in allowed)
        return any(r.rank >= floor and not r.read_only for r in held)


def _comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COMMENT:
        raise InvalidInput(
            f"comment must be text of at most {MAX_COMMENT} characters", field="comment"
        )
    return value


def _payload(value: object) -> dict[str, Any]:
    try:
        return validate_input(value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("input", "payload"), field="payload") from None
