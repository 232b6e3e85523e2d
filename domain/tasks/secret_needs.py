"""The secrets a task declares and how each reaches its attempts: names and delivery only,
never a value. Checked at submission, each fault naming its field (`secrets[i].…`).

A declaration is `{"name", "as": "env", "env_var"}` or `{"name", "as": "file", "path"}`,
optionally with `"version"` to pin one version for every attempt (without it each attempt
resolves the latest at its launch and the ledger records the version it got).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from domain.catalog.bundle_paths import check_path
from domain.core.errors import DomainError, InvalidInput

MAX_SECRETS = 50
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# What the runtime sets, or what would change how the agent's programs load and run.
_RESERVED_ENV = frozenset({"PATH", "HOME", "TMPDIR", "LANG", "PWD", "SHELL", "USER", "IFS"})
_RESERVED_ENV_PREFIXES = ("SIGNALYARD_", "LD_", "PYTHON", "BASH_FUNC_")
# The attempt's own layout (brief, skills, configs, tmp) is not for secrets to overwrite.
_RESERVED_PATHS = ("brief.md", "skills", "configs", "tmp")

Need = dict[str, Any]


def validate_secret_needs(value: object) -> list[Need]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput("secrets must be a list", field="secrets")
    if len(value) > MAX_SECRETS:
        raise InvalidInput(f"a task may declare at most {MAX_SECRETS} secrets", field="secrets")
    needs = [_need(item, f"secrets[{index}]") for index, item in enumerate(value)]
    targets: dict[str, int] = {}
    for index, need in enumerate(needs):
        target = _target_of(need)
        if target in targets:
            raise InvalidInput(
                f"secrets[{targets[target]}] already delivers to this {need['as']}",
                field=f"secrets[{index}].{'env_var' if need['as'] == 'env' else 'path'}",
            )
        targets[target] = index
    return needs


def _target_of(need: Need) -> str:
    return f"env:{need['env_var']}" if need["as"] == "env" else f"file:{need['path'].casefold()}"


def _need(item: object, where: str) -> Need:
    if not isinstance(item, dict):
        raise InvalidInput("each secret must be an object", field=where)
    unknown = set(item) - {"name", "as", "env_var", "path", "version"}
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=where)
    name = item.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise InvalidInput("name must be a secret's name", field=f"{where}.name")
    need: Need = {"name": name, "as": item.get("as")}
    version = item.get("version")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidInput("version must be a positive integer", field=f"{where}.version")
        need["version"] = version
    if need["as"] == "env":
        if "path" in item:
            raise InvalidInput("path is for secrets delivered as files", field=f"{where}.path")
        need["env_var"] = check_env_var(item.get("env_var"), f"{where}.env_var")
    elif need["as"] == "file":
        if "env_var" in item:
            raise InvalidInput("env_var is for secrets delivered as env", field=f"{where}.env_var")
        need["path"] = check_file_path(item.get("path"), f"{where}.path")
    else:
        raise InvalidInput("as must be env or file", field=f"{where}.as")
    return need


def check_env_var(name: object, field: str) -> str:
    if not isinstance(name, str) or not _ENV_NAME.match(name):
        raise InvalidInput(
            "env_var must be letters, digits and _ (not starting with a digit, at most 128)",
            field=field,
        )
    upper = name.upper()
    if upper in _RESERVED_ENV or upper.startswith(_RESERVED_ENV_PREFIXES):
        raise InvalidInput(f"env_var {name!r} is reserved by the runtime", field=field)
    return name


def check_file_path(path: object, field: str) -> str:
    try:
        checked = check_path(path)
    except InvalidInput as error:
        raise InvalidInput(error.message.replace("bundle", "attempt"), field=field) from None
    first = checked.split("/")[0]
    if first in _RESERVED_PATHS or first.startswith(".signalyard"):
        raise InvalidInput(f"path {checked!r} is in the attempt's own layout", field=field)
    return checked


def check_resolvable(needs: list[Need], find: Callable[[str, int | None], object]) -> None:
    """Each name must resolve from the task's scope (nearest first) now; `find` raises
    DomainError when it does not (or when the pinned version does not exist)."""
    for index, need in enumerate(needs):
        try:
            find(need["name"], need.get("version"))
        except DomainError as error:
            field = "version" if error.field == "version" else "name"
            raise InvalidInput(error.message, field=f"secrets[{index}].{field}") from None
