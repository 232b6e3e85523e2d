"""The access ledger: which task attempt read which version of a secret, and who resolved it.

One SecretAccess per (secret, task, attempt), its id derived from them: the first
resolution pins the version (`Accessed`), a repeated resolution of the same attempt reads
that version again and says so (`AccessedAgain`). Never the value.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.publication import declare_publication

_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/secret-accesses")


class SecretAccess(AuditedAggregate):
    @staticmethod
    def create_id(secret_id: UUID, task_id: UUID, attempt: int) -> UUID:
        return uuid5(_NAMESPACE, f"{secret_id}/{task_id}/{attempt}")

    @event("Accessed")
    def __init__(
        self,
        secret_id: UUID,
        task_id: UUID,
        attempt: int,
        organization_id: UUID,
        version: int,
        backend: str,
        resolver: str,
        delivery: str,
        target: str,
        meta: Meta,
    ) -> None:
        self.secret_id = secret_id
        self.task_id = task_id
        self.attempt = attempt
        self.organization_id = organization_id
        self.version = version
        self.backend = backend
        self.resolver = resolver
        self.delivery = delivery
        self.target = target

    @event("AccessedAgain")
    def access_again(self, resolver: str, meta: Meta) -> None:
        self.resolver = resolver


declare_publication(SecretAccess.Accessed, public={"secret_id"})  # type: ignore[attr-defined] # an id
