"""Runtime targets of an organization, a workspace or a project: create, edit (a default
per scope at most), delete; list, read, history. Admins manage them; members read."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import (
    ContextDep,
    IfMatchDep,
    OptionalIfMatchDep,
    PageDep,
    ReadConnDep,
    ServicesDep,
    ViewerDep,
)
from api.edge import EdgeRoute
from api.routes.scoped import SCOPES, at_scope
from api.routes.task_views import describe_target
from api.views import found, history_entries, written
from domain.core.context import CommandResult
from projections.infra.views import runtime_targets
from projections.tenancy.views import scopes
from schemas import common
from schemas import infra as wire

router = APIRouter(prefix="/v1", tags=["runtime targets"], route_class=EdgeRoute)
Refs = tuple[str, ...]


def _changed(result: CommandResult) -> JSONResponse:
    return written(result, describe_target(result.entity))


def create_runtime_target(
    refs: Refs, body: wire.RuntimeTargetCreate, ctx: ContextDep, services: ServicesDep
):
    """Create a runtime target here (is_default: the scope's default; one at most)."""
    result = services.tasks.runtime_targets.create(ctx, refs, **body.model_dump())
    target = result.entity
    location = f"/v1/{'/'.join(_path_of(refs))}/runtime-targets/{target.id}"
    return written(result, describe_target(target), location, 201)


def update_runtime_target(
    refs: Refs,
    target: str,
    body: wire.RuntimeTargetPatch,
    ctx: ContextDep,
    services: ServicesDep,
    version: IfMatchDep,
):
    """Change a runtime target (If-Match required); is_default moves the scope's default."""
    changes = body.model_dump(exclude_unset=True)
    return _changed(services.tasks.runtime_targets.update(ctx, refs, target, changes, version))


def delete_runtime_target(
    refs: Refs, target: str, ctx: ContextDep, services: ServicesDep, version: IfMatchDep
):
    """Soft-delete a runtime target (a default gives up the scope's default)."""
    service = services.tasks.runtime_targets
    return _changed(service.set_deleted(ctx, refs, target, True, version))


def undelete_runtime_target(
    refs: Refs, target: str, ctx: ContextDep, services: ServicesDep, version: OptionalIfMatchDep
):
    """Restore a soft-deleted runtime target (not as the default)."""
    service = services.tasks.runtime_targets
    return _changed(service.set_deleted(ctx, refs, target, False, version))


async def _scope_id(conn, viewer, refs: Refs):
    org, team, ws, project = (*refs, None, None, None)[:4]
    located = await scopes.get_scope(
        conn, viewer, org, team, ws, project, include_deleted_leaf=False
    )
    return located.leaf["guid"]


async def list_runtime_targets(
    refs: Refs, conn: ReadConnDep, viewer: ViewerDep, page: PageDep, show_deleted: bool = False
):
    """The runtime targets defined at this scope (not those inherited from above)."""
    rows, token = await runtime_targets.list_targets(
        conn, await _scope_id(conn, viewer, refs), page, show_deleted
    )
    return {"items": rows, "next_page_token": token}


async def get_runtime_target(
    refs: Refs, target: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
) -> JSONResponse:
    """One runtime target of this scope."""
    scope_id = await _scope_id(conn, viewer, refs)
    row = await runtime_targets.get_target(conn, scope_id, target, show_deleted)
    return found(wire.RuntimeTarget.model_validate(row).model_dump(), row["version"])


async def runtime_target_history(refs: Refs, target: str, ctx: ContextDep, services: ServicesDep):
    """Every event of a runtime target."""
    entity, events = await run_in_threadpool(
        services.tasks.runtime_targets.history, ctx, refs, target
    )
    return {"guid": entity.id, "items": history_entries("RuntimeTarget", events)}


def _path_of(refs: Refs) -> list[str]:
    labels = ("orgs", "teams", "workspaces", "projects")
    return [part for pair in zip(labels, refs, strict=False) for part in pair]


for _scope, (_base, _) in SCOPES.items():
    _many, _one = _base + "/runtime-targets", _base + "/runtime-targets/{target}"
    router.post(_many, status_code=201, response_model=wire.RuntimeTarget)(
        at_scope(create_runtime_target, _scope)
    )
    router.get(_many, response_model=common.ListOf[wire.RuntimeTarget])(
        at_scope(list_runtime_targets, _scope)
    )
    router.get(_one, response_model=wire.RuntimeTarget)(at_scope(get_runtime_target, _scope))
    router.patch(_one, response_model=wire.RuntimeTarget)(at_scope(update_runtime_target, _scope))
    router.delete(_one, response_model=wire.RuntimeTarget)(at_scope(delete_runtime_target, _scope))
    router.post(_one + ":undelete", response_model=wire.RuntimeTarget)(
        at_scope(undelete_runtime_target, _scope)
    )
    router.get(_one + "/history", response_model=common.History)(
        at_scope(runtime_target_history, _scope)
    )
