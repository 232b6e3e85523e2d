"""What a runtime is told to run: one attempt of one task, self-contained.

The dispatcher builds a `LaunchSpec` from a task and its pinned catalog content; a runtime
needs nothing else (no database, no API) to start, watch, stop and read the attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MIB = 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class SkillBundle:
    """A pinned skill version: its zip as the catalog stores it."""

    name: str
    version: int
    archive: bytes


@dataclass(frozen=True)
class LaunchFile:
    """A file the agent gets at `path` (relative to its working directory); 0400 by
    default because this is how secrets will arrive."""

    path: str
    content: bytes
    mode: int = 0o400


@dataclass(frozen=True)
class SecretMaterial:
    """A resolved secret for this attempt only: as the env variable or the file (0400,
    relative to the working directory) `target`. Its value is never in a repr."""

    name: str
    delivery: Literal["env", "file"]
    target: str
    value: bytes = field(repr=False)


@dataclass(frozen=True)
class LaunchSpec:
    org_id: str
    project_id: str
    task_id: str
    attempt: int
    image: str
    command: tuple[str, ...] = ()  # the agent definition's cmd_override; empty: by image
    env: Mapping[str, str] = field(default_factory=dict)
    cpu: float = 1.0  # cores
    memory_mib: int = 512
    timeout_seconds: float = 3600.0
    brief: str = ""
    skills: tuple[SkillBundle, ...] = ()
    configs: Mapping[str, str] = field(default_factory=dict)  # name -> content
    files: tuple[LaunchFile, ...] = ()
    agent_token: str | None = None
    api_url: str | None = None
    secrets: tuple[SecretMaterial, ...] = ()

    def __post_init__(self) -> None:
        if self.attempt < 1:
            raise ValueError("attempt numbers start at 1")
        if self.cpu <= 0 or self.memory_mib <= 0 or self.timeout_seconds <= 0:
            raise ValueError("cpu, memory and timeout must be positive")
        for name in [self.org_id, self.project_id, self.task_id]:
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not an id: use letters, digits, . _ -")
        for name in [*self.configs, *(skill.name for skill in self.skills)]:
            if not _NAME.match(name):
                raise ValueError(f"{name!r} cannot name a file: use letters, digits, . _ -")

    @property
    def attempt_name(self) -> str:
        """Unique per attempt, safe as a directory, Job or log name."""
        return f"{self.task_id}-{self.attempt}"

    @property
    def log_key(self) -> str:
        return f"{self.org_id}/{self.project_id}/{self.task_id}/{self.attempt}"

    @property
    def memory_bytes(self) -> int:
        return self.memory_mib * MIB


class UnknownImage(LookupError):
    """No command override and no local command configured for the image."""


def resolve_command(spec: LaunchSpec, image_commands: Mapping[str, tuple[str, ...]]) -> list[str]:
    """`cmd_override` wins; else the configured image -> local command mapping."""
    if spec.command:
        return list(spec.command)
    command = image_commands.get(spec.image)
    if not command:
        raise UnknownImage(f"no local command is configured for image {spec.image!r}")
    return list(command)
