"""Which runtime target a task runs on: the one it names, else its project's settings
(`runtime_target`), else the project's, workspace's or organization's default."""

from __future__ import annotations

from typing import Any

from domain.core.errors import InvalidInput
from domain.infra.runtime_target import RuntimeTarget
from domain.infra.runtime_target_service import RuntimeTargetService
from domain.tenancy.resolver import Chain

FIELD = "runtime_target"


def _named(targets: RuntimeTargetService, chain: Chain, ref: str) -> RuntimeTarget | None:
    """By guid or slug, nearest scope first: project, workspace, org."""
    assert chain.project is not None and chain.workspace is not None
    for scope_id in (chain.project.id, chain.workspace.id, chain.org.id):
        found = targets.in_scope(scope_id, ref)
        if found is not None and not found.is_deleted:
            return found
    return None


def resolve_target(
    targets: RuntimeTargetService, chain: Chain, requested: object
) -> dict[str, Any]:
    """The target as the task records it, with where it came from; none -> 422."""
    assert chain.project is not None and chain.workspace is not None
    if requested is not None:
        if not isinstance(requested, str) or not 1 <= len(requested) <= 100:
            raise InvalidInput("runtime_target must be a guid or a slug", field=FIELD)
        named = _named(targets, chain, requested)
        if named is None:
            raise InvalidInput(f"runtime target {requested!r} not found", field=FIELD)
        return named.recorded("task")
    configured = (chain.project.settings or {}).get(FIELD)
    if configured is not None:
        named = _named(targets, chain, configured) if isinstance(configured, str) else None
        if named is None:
            raise InvalidInput(
                f"the project's settings name runtime target {configured!r}, which is not found",
                field=FIELD,
            )
        return named.recorded("project_settings")
    for source, scope in (
        ("project_default", chain.project),
        ("workspace_default", chain.workspace),
        ("org_default", chain.org),
    ):
        default = targets.default_of(scope.id)
        if default is not None:
            return default.recorded(source)
    raise InvalidInput(
        "no runtime target: name one, set the project's settings.runtime_target,"
        " or make one the default of the project, workspace or organization",
        field=FIELD,
    )
