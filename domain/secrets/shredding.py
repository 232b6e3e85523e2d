"""Crypto-shredding: purging a soft-deleted organization destroys its data key.

The owner's command is recorded first (`OrgPurge.Purged`, the audit trail), then the key
is destroyed; a retry of a purge that recorded but did not destroy destroys it. The event
log keeps only ciphertext, so once the key is gone the org's local secrets are noise,
while every event stays in place and the log stays verifiable.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import CommandContext, CommandResult, Meta
from domain.core.errors import Conflict
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import run_in_session
from domain.secrets.ports import OrgKeyring
from domain.tenancy.roles import Action
from domain.tenancy.scope import TenancyScope

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/org-purges")


class OrgPurge(AuditedAggregate):
    @staticmethod
    def create_id(organization_id: UUID) -> UUID:
        return uuid5(_NAMESPACE, str(organization_id))

    @event("Purged")
    def __init__(self, organization_id: UUID, data_key_destroyed: bool, meta: Meta) -> None:
        self.organization_id = organization_id
        self.data_key_destroyed = data_key_destroyed


class OrgPurger:
    def __init__(self, store: EventStore, keyring: OrgKeyring | None) -> None:
        self.store = store
        self.keyring = keyring
        self.tenancy = TenancyScope(store)

    def purge(self, ctx: CommandContext, org_ref: str) -> CommandResult:
        def record() -> CommandResult:
            org = self.tenancy.locate(
                ctx, Action.ORG_DELETE, org_ref, include_deleted_leaf=True
            ).org
            if not org.is_deleted:
                raise Conflict("only a deleted organization can be purged: delete it first")
            done = self.store.find(OrgPurge.create_id(org.id), OrgPurge)
            if done is not None:
                return CommandResult.of(done, 0)
            purge = OrgPurge(
                organization_id=org.id,
                data_key_destroyed=self.keyring is not None,
                meta=ctx.meta(org.id),
            )
            org.mark_purged(meta=ctx.meta(org.id))
            return CommandResult.of(purge, self.store.record(purge, org))

        result: CommandResult = run_in_session(self.store, ctx, record)
        if self.keyring is not None:
            self.keyring.destroy(result.entity.organization_id)
        return result
