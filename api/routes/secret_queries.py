"""Secret queries in each scope: list (names and metadata), one secret, its versions (their
references, never a value), its history, and its access ledger (auditors and admins)."""

# No `from __future__ import annotations`: the routes are made in a function, and FastAPI
# must see each one's scope dependency (a local name) as an object, not a string.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from api.deps import ContextDep, PageDep, ReadConnDep, ServicesDep, ViewerDep
from api.edge import EdgeRoute
from api.routes.secret_views import SCOPES
from api.views import found, history_entries
from domain.secrets.scope import ScopeRefs
from domain.tenancy.roles import Action
from projections.secrets import views
from projections.tenancy.views import scopes
from schemas import common
from schemas import secrets as wire

router = APIRouter(prefix="/v1", tags=["secrets"], route_class=EdgeRoute)


async def _scope_ids(conn, viewer, refs: ScopeRefs) -> views.ScopeIds:
    located = await scopes.get_scope(
        conn, viewer, refs.org, refs.team, refs.workspace, include_deleted_leaf=False
    )
    team, ws = located.team, located.workspace
    return located.org["guid"], team["guid"] if team else None, ws["guid"] if ws else None


def _add_scope(base: str, scope_of: Callable[..., ScopeRefs]) -> None:
    Scope = Annotated[ScopeRefs, Depends(scope_of)]  # noqa: N806
    one = base + "/{secret}"

    @router.get(base, response_model=common.ListOf[wire.Secret])
    async def list_secrets(
        scope: Scope,
        conn: ReadConnDep,
        viewer: ViewerDep,
        page: PageDep,
        show_deleted: bool = False,
    ):
        """The secrets of exactly this scope (names and metadata; values are never shown)."""
        ids = await _scope_ids(conn, viewer, scope)
        rows, token = await views.list_secrets(conn, ids, page, show_deleted)
        return {"items": rows, "next_page_token": token}

    @router.get(one, response_model=wire.Secret)
    async def get_secret(
        scope: Scope, secret: str, conn: ReadConnDep, viewer: ViewerDep, show_deleted: bool = False
    ):
        """One secret's metadata."""
        ids = await _scope_ids(conn, viewer, scope)
        row = await views.get_secret(conn, ids, secret, show_deleted)
        return found(wire.Secret.model_validate(row).model_dump(), row["version"])

    @router.get(one + "/versions", response_model=common.ListOf[wire.SecretVersion])
    async def list_secret_versions(
        scope: Scope, secret: str, conn: ReadConnDep, viewer: ViewerDep, page: PageDep
    ):
        """The versions of a secret, oldest first: where each is kept, never its value."""
        ids = await _scope_ids(conn, viewer, scope)
        row = await views.get_secret(conn, ids, secret, include_deleted=True)
        items, token = await views.list_versions(conn, row["guid"], page)
        return {"items": items, "next_page_token": token}

    @router.get(one + "/history", response_model=common.History)
    async def secret_history(scope: Scope, secret: str, ctx: ContextDep, services: ServicesDep):
        """Every event of a secret (versions show their reference; ciphertext is hidden)."""
        assert services.secrets is not None
        entity, events = await run_in_threadpool(
            services.secrets.service.history, ctx, scope, secret
        )
        items = history_entries("Secret", events)
        for item in items:
            stored = item["data"].get("stored")
            if isinstance(stored, dict) and "ciphertext" in stored:
                item["data"]["stored"] = {**stored, "ciphertext": "(hidden)"}
        return {"guid": entity.id, "items": items}

    @router.get(one + "/accesses", response_model=common.ListOf[wire.SecretAccess])
    async def list_secret_accesses(
        scope: Scope,
        secret: str,
        ctx: ContextDep,
        services: ServicesDep,
        conn: ReadConnDep,
        page: PageDep,
    ):
        """Which task attempt resolved which version, and who resolved it (auditors, admins)."""
        assert services.secrets is not None
        entity = await run_in_threadpool(
            services.secrets.service.find, ctx, Action.AUDIT_EXPORT, scope, secret
        )
        items, token = await views.list_accesses(conn, entity.id, page)
        return {"items": items, "next_page_token": token}


for _base, _scope_of in SCOPES:
    _add_scope(_base, _scope_of)
