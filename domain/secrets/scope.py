"""Where a secret lives (org, team or workspace) and finding one there, access checked."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.core.context import CommandContext
from domain.core.errors import NotFound
from domain.core.slugs import looks_like_uuid, slugify
from domain.plumbing.store import EventStore
from domain.secrets.secret import Secret
from domain.tenancy.resolver import Chain
from domain.tenancy.roles import Action
from domain.tenancy.scope import TenancyScope

SLUG_KIND = "secret"


@dataclass(frozen=True)
class ScopeRefs:
    """A scope as the API names it: org, and optionally team and workspace (guid or slug)."""

    org: str
    team: str | None = None
    workspace: str | None = None


def scope_id_of(chain: Chain) -> UUID:
    return (chain.workspace or chain.team or chain.org).id


class SecretScope:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.tenancy = TenancyScope(store)

    def locate(self, ctx: CommandContext, action: Action, refs: ScopeRefs) -> Chain:
        return self.tenancy.locate(ctx, action, refs.org, refs.team, refs.workspace)

    def find(
        self,
        ctx: CommandContext,
        action: Action,
        refs: ScopeRefs,
        ref: str,
        include_deleted: bool = False,
    ) -> Secret:
        """A secret of exactly this scope, by guid or name."""
        chain = self.locate(ctx, action, refs)
        scope_id = scope_id_of(chain)
        guid = looks_like_uuid(ref) or self.store.slugs.owner(SLUG_KIND, scope_id, slugify(ref))
        secret = self.store.find(guid, Secret) if guid else None
        if secret is None or secret.scope_id != scope_id:
            raise NotFound(f"secret {ref!r} not found")
        if secret.is_deleted and not include_deleted:
            raise NotFound(f"secret {ref!r} not found")
        return secret
