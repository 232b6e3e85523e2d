"""What an attempt runs with, from its task: the brief from the blob store, the pinned
skill bundles and config contents, and the command of its pinned agent definition
(`cmd_override`; else the runtime maps the image to a local command)."""

from __future__ import annotations

import json
from typing import Any

from domain.catalog.blobs import BlobStore
from domain.catalog.config import Config
from domain.catalog.skill import Skill
from domain.infra.agent_definition import AgentDefinition
from domain.infra.quantities import cpu_millis, memory_bytes
from domain.plumbing.store import EventStore
from domain.tasks.task import Task
from workers.dispatcher.agent_access import AgentAccess
from workers.runtimes.spec import MIB, LaunchSpec, SkillBundle


class LaunchBuilder:
    def __init__(
        self, store: EventStore, blobs: BlobStore, agent_access: AgentAccess | None = None
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.agent_access = agent_access  # the attempt's token and the API's URL

    def __call__(self, task: Task) -> LaunchSpec:
        spec = self._definition_spec(task.agent_definition)
        resources = task.resources or {}
        cpu = cpu_millis(resources["cpu"], "cpu") / 1000 if "cpu" in resources else 1.0
        memory = (
            memory_bytes(resources["memory"], "memory") // MIB if "memory" in resources else 512
        )
        return LaunchSpec(
            org_id=str(task.organization_id),
            project_id=str(task.project_id),
            task_id=str(task.id),
            attempt=task.attempt,
            image=task.agent_image,
            command=tuple((spec or {}).get("cmd_override") or ()),
            env={"SIGNALYARD_TASK_INPUT": json.dumps(task.input)},
            cpu=cpu,
            memory_mib=max(1, memory),
            timeout_seconds=float(task.timeout_seconds),
            brief=self.blobs.get(task.brief_key).decode(),
            skills=tuple(self._skill(pin) for pin in task.skills),
            configs=dict(self._config(pin) for pin in task.configs),
            **(self.agent_access(task) if self.agent_access else {}),
        )

    def _definition_spec(self, pin: dict[str, Any] | None) -> dict[str, Any] | None:
        if pin is None:
            return None
        definition = self._find(pin, AgentDefinition)
        return definition.version_record(int(pin["version"]))["content"]  # type: ignore[typeddict-item]

    def _skill(self, pin: dict[str, Any]) -> SkillBundle:
        skill = self._find(pin, Skill)
        record = skill.version_record(int(pin["version"]))
        archive = self.blobs.get(record["storage_ref"])  # type: ignore[typeddict-item]
        return SkillBundle(name=skill.slug, version=int(pin["version"]), archive=archive)

    def _config(self, pin: dict[str, Any]) -> tuple[str, str]:
        config = self._find(pin, Config)
        content = config.version_record(int(pin["version"]))["content"]  # type: ignore[typeddict-item]
        return config.slug, json.dumps(content, sort_keys=True)

    def _find(self, pin: dict[str, Any], kind: type[Any]) -> Any:
        from uuid import UUID

        found = self.store.find(UUID(str(pin["guid"])), kind)
        if found is None:
            raise LookupError(f"{kind.__name__} {pin['guid']} is gone")
        return found
