"""Submitting a task: everything validated, pinned and resolved first, the brief stored in
the blob store, then the task recorded as submitted and queued in one write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from domain.catalog.blobs import BlobStore
from domain.catalog.config import Config
from domain.catalog.scope import CatalogScope
from domain.catalog.skill import Skill
from domain.core.context import CommandContext, CommandResult
from domain.core.values import validate_description, validate_name
from domain.infra.agent_definition_service import AgentDefinitionService, pin_agent_definition
from domain.infra.agent_spec import resources_for, validate_image
from domain.infra.resolution import resolve_target
from domain.infra.runtime_target_service import RuntimeTargetService
from domain.plumbing.store import EventStore
from domain.secrets.resolution import AttemptScope, nearest_secret
from domain.tasks import submission as check
from domain.tasks.pins import pin_tools, pin_versioned
from domain.tasks.secret_needs import Need, check_resolvable, validate_secret_needs
from domain.tasks.task import Task, task_slug
from domain.tenancy.roles import Action
from domain.tenancy.scope import TenancyScope


@dataclass
class Submission:
    """A task as asked for; `task_id` lets a caller derive the id (a workflow stage)."""

    brief: str
    agent_image: str | None = None
    agent_definition: str | None = None
    agent_definition_version: int | str | None = None
    runtime_target: str | None = None
    skills: list[dict[str, Any]] | None = None
    configs: list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None
    input: dict[str, Any] | None = None
    timeout_seconds: int | None = None
    resources: dict[str, str] | None = None
    callback_url: str | None = None
    secrets: list[dict[str, Any]] | None = None
    name: str | None = None
    description: str = ""
    task_id: UUID | None = field(default=None)
    # A workflow stage's task: its outcome is signalled to this Temporal workflow.
    workflow_id: str | None = None


class SubmitTask:
    def __init__(
        self,
        store: EventStore,
        blobs: BlobStore,
        definitions: AgentDefinitionService,
        targets: RuntimeTargetService,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.definitions = definitions
        self.targets = targets
        self.scope = TenancyScope(store)
        self.catalog = CatalogScope(store)

    def __call__(
        self, ctx: CommandContext, refs: tuple[str, str, str, str], asked: Submission
    ) -> CommandResult:
        chain = self.scope.locate(ctx, Action.TASK_RUN, *refs)
        assert chain.team and chain.workspace and chain.project
        org = chain.org
        brief = check.validate_brief(asked.brief)
        spec: dict[str, Any] | None = None
        definition_pin = None
        if asked.agent_definition is not None:
            definition_pin, spec = pin_agent_definition(
                self.definitions, org, asked.agent_definition, asked.agent_definition_version
            )
        image = asked.agent_image if asked.agent_image is not None else (spec or {}).get("image")
        if image is None:
            image = validate_image(None)  # raises: an image or an agent definition is needed
        task_id = asked.task_id or uuid4()
        slug = task_slug(task_id)
        values: dict[str, Any] = dict(
            organization_id=org.id,
            team_id=chain.team.id,
            workspace_id=chain.workspace.id,
            project_id=chain.project.id,
            name=slug if asked.name is None else validate_name(asked.name),
            slug=slug,
            description=validate_description(asked.description),
            agent_image=validate_image(image),
            callback_url=check.validate_callback_url(asked.callback_url),
            skills=pin_versioned(self.catalog, org, Skill, asked.skills),
            configs=pin_versioned(self.catalog, org, Config, asked.configs),
            tools=pin_tools(self.catalog, org, asked.tools),
            agent_definition=definition_pin,
            input=check.validate_input(asked.input),
            timeout_seconds=check.validate_timeout(asked.timeout_seconds),
            resources=resources_for(spec, asked.resources),
            runtime_target=resolve_target(self.targets, chain, asked.runtime_target),
        )
        scope = AttemptScope(org.id, chain.team.id, chain.workspace.id)
        secrets = self._secret_needs(scope, asked.secrets)
        # The blob first: an orphan blob is harmless, a task naming a missing one is not.
        brief_key = self.blobs.put(brief)
        task = Task(id=task_id, brief_key=brief_key, meta=ctx.meta(org.id), **values)
        if secrets:
            task.declare_secrets(secrets, meta=ctx.meta(org.id))
        if asked.workflow_id is not None:
            task.bind_to_workflow(asked.workflow_id, meta=ctx.meta(org.id))
        task.queue("submitted", meta=ctx.meta(org.id))
        return CommandResult.of(task, self.store.record(task))

    def _secret_needs(self, scope: AttemptScope, asked: object) -> list[Need]:
        """Declared secrets must resolve from the task's scope now (a later delete or
        rotation is the attempt's business: it fails, saying which secret is gone)."""
        needs = validate_secret_needs(asked)

        def find(name: str, version: int | None) -> None:
            secret = nearest_secret(self.store, scope, name)
            if version is not None:
                secret.stored(version)

        check_resolvable(needs, find)
        return needs
