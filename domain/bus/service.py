"""Use cases of bus credentials: issue (org admins and owners), revoke, read one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import DomainEventProtocol

from domain.bus.authority import BusAuthority
from domain.bus.credential import REVOCATIONS_ID, BusCredential, BusRevocations
from domain.core.context import CommandContext, CommandResult
from domain.core.errors import InvalidInput, NotConfigured, NotFound
from domain.core.values import validate_name
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions
from domain.tenancy.roles import Action
from domain.tenancy.scope import TenancyScope

NOT_CONFIGURED = "bus credentials are not configured on this deployment"


@dataclass(frozen=True)
class NewBusCredential:
    result: CommandResult
    creds: str  # shown once to the caller, never stored


@with_read_sessions
class BusCredentialService:
    def __init__(
        self, store: EventStore, authority: BusAuthority | None, max_lifetime: timedelta
    ) -> None:
        self.store = store
        self.scope = TenancyScope(store)
        self.authority = authority
        self.max_lifetime = max_lifetime

    def issue(
        self, ctx: CommandContext, org_ref: str, name: str, expires_at: datetime | None
    ) -> NewBusCredential:
        org = self.scope.locate(ctx, Action.BUS_CREDENTIALS, org_ref).org
        name = validate_name(name)
        expires_at = self._checked_expiry(expires_at)
        authority = self._authority()
        credential_id = uuid4()
        user = authority.issue(org.id, credential_id, name, expires_at)
        credential = BusCredential(
            id=credential_id,
            organization_id=org.id,
            name=name,
            public_key=user.public_key,
            subject_scope=user.subject_scope,
            consumer=user.consumer,
            expires_at=expires_at,
            meta=ctx.meta(org.id),
        )
        return NewBusCredential(
            CommandResult.of(credential, self.store.record(credential)), user.creds
        )

    def revoke(self, ctx: CommandContext, org_ref: str, credential_id: UUID) -> CommandResult:
        org = self.scope.locate(ctx, Action.BUS_CREDENTIALS, org_ref).org
        credential = self._of_org(org.id, credential_id)
        credential.check_revocable()
        authority = self._authority()
        revocations = self.store.find(REVOCATIONS_ID, BusRevocations) or BusRevocations(
            id=REVOCATIONS_ID, meta=ctx.meta(None)
        )
        revocations.add(credential.public_key, credential.expires_at, meta=ctx.meta(org.id))
        credential.revoke(meta=ctx.meta(org.id))
        # Pushed before the commit: a refused commit runs the command again, which pushes
        # the list as it then is; the bus never ends up with less than what was committed.
        authority.revoke(list(revocations.users), credential.consumer)
        return CommandResult.of(credential, self.store.record(credential, revocations))

    @reads_only
    def history(
        self, ctx: CommandContext, org_ref: str, credential_id: UUID
    ) -> tuple[BusCredential, list[DomainEventProtocol[UUID]]]:
        org = self.scope.locate(ctx, Action.READ, org_ref).org
        credential = self._of_org(org.id, credential_id)
        return credential, self.store.history(credential.id)

    def _of_org(self, org_id: UUID, credential_id: UUID) -> BusCredential:
        credential = self.store.find(credential_id, BusCredential)
        if credential is None or credential.organization_id != org_id:
            raise NotFound("bus credential not found")
        return credential

    def _authority(self) -> BusAuthority:
        if self.authority is None:
            raise NotConfigured(NOT_CONFIGURED)
        return self.authority

    def _checked_expiry(self, expires_at: datetime | None) -> datetime:
        now = datetime.now(tz=UTC)
        if expires_at is None:
            return now + self.max_lifetime
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            raise InvalidInput("expires_at must be in the future", field="expires_at")
        if expires_at > now + self.max_lifetime:
            days = self.max_lifetime.total_seconds() / 86400
            raise InvalidInput(
                f"expires_at must be at most {days:g} days from now", field="expires_at"
            )
        return expires_at
