"""What an attempt finds on disk and in its environment, the same for every runtime.

Layout under the attempt's root: `brief.md`, `skills/<name>/SKILL.md ...` (Agent Skills),
`configs/<name>`, and the spec's own files; each path is announced in an env variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from domain.catalog.bundle_paths import check_path
from domain.catalog.bundle_zip import files_from_zip
from domain.core.errors import DomainError
from workers.runtimes.spec import MIB, LaunchSpec

BRIEF = "brief.md"
SKILLS = "skills"
CONFIGS = "configs"
MAX_SKILL_BYTES = 64 * MIB
_RESERVED = (BRIEF, SKILLS + "/", CONFIGS + "/")
_ENV_WORD = re.compile(r"[^A-Z0-9]+")


class BadLaunchContent(ValueError):
    """A bundle or file of the spec cannot be laid out safely."""


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative to the attempt's root
    content: bytes = field(repr=False)  # a secret's value, for a secret file
    mode: int = 0o400


def planned_files(spec: LaunchSpec) -> list[PlannedFile]:
    """Every file of the attempt, paths checked by the catalog's bundle rules."""
    files = [PlannedFile(BRIEF, spec.brief.encode("utf-8"), 0o400)]
    for skill in spec.skills:
        try:
            unpacked = files_from_zip(skill.archive, MAX_SKILL_BYTES)
        except DomainError as error:
            raise BadLaunchContent(f"skill {skill.name} v{skill.version}: {error}") from None
        for path, data in sorted(unpacked.items()):
            mode = 0o500 if path.startswith("scripts/") else 0o400
            files.append(PlannedFile(f"{SKILLS}/{skill.name}/{path}", data, mode))
    for name, content in sorted(spec.configs.items()):
        files.append(PlannedFile(f"{CONFIGS}/{name}", content.encode("utf-8"), 0o400))
    for extra in spec.files:
        try:
            path = check_path(extra.path)
        except DomainError as error:
            raise BadLaunchContent(f"file {extra.path!r}: {error}") from None
        if path == BRIEF or path.startswith(_RESERVED):
            raise BadLaunchContent(f"file {path!r} would overwrite the attempt's own layout")
        files.append(PlannedFile(path, extra.content, extra.mode & 0o777))
    for secret in spec.secrets:
        if secret.delivery != "file":
            continue
        path = _secret_path(secret.target)
        if path.split("/")[0] in _RESERVED_SECRET_ROOTS or path.startswith(_RESERVED):
            raise BadLaunchContent(f"secret file {path!r} would overwrite the attempt's layout")
        files.append(PlannedFile(path, secret.value, 0o400))
    return files


_RESERVED_SECRET_ROOTS = (BRIEF, SKILLS, CONFIGS, "tmp")


def _secret_path(target: str) -> str:
    try:
        return check_path(target)
    except DomainError as error:
        raise BadLaunchContent(f"secret file {target!r}: {error}") from None


def secret_env(spec: LaunchSpec) -> dict[str, str]:
    """The secrets delivered as env variables (never one of ours: checked at submission,
    and ours are set after these anyway)."""
    env = {}
    for secret in spec.secrets:
        if secret.delivery != "env":
            continue
        try:
            text = secret.value.decode("utf-8")
        except UnicodeDecodeError:
            text = "\0"  # refused just below
        if "\0" in text:
            raise BadLaunchContent(
                f"secret {secret.name} is not text an env variable can hold: deliver it as a file"
            )
        env[secret.target] = text
    return env


def config_variable(name: str) -> str:
    return "SIGNALYARD_CONFIG_" + _ENV_WORD.sub("_", name.upper()).strip("_")


def agent_env(spec: LaunchSpec, root: str) -> dict[str, str]:
    """The spec's env, then ours (ours win: an agent cannot be told another task's id)."""
    env = dict(spec.env)
    env.update(
        SIGNALYARD_ORG_ID=spec.org_id,
        SIGNALYARD_PROJECT_ID=spec.project_id,
        SIGNALYARD_TASK_ID=spec.task_id,
        SIGNALYARD_ATTEMPT=str(spec.attempt),
        SIGNALYARD_BRIEF=f"{root}/{BRIEF}",
        SIGNALYARD_SKILLS_DIR=f"{root}/{SKILLS}",
    )
    for name in spec.configs:
        env[config_variable(name)] = f"{root}/{CONFIGS}/{name}"
    if spec.api_url:
        env["SIGNALYARD_API_URL"] = spec.api_url
    return env
