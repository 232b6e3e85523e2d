"""Use cases of bus credentials on the in-memory store and on Postgres, with a bus that
keeps what it was last told (as NATS keeps the last account JWT pushed to it)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain.bus.authority import IssuedBusUser
from domain.bus.credential import REVOCATIONS_ID, BusRevocations
from domain.bus.service import NOT_CONFIGURED, BusCredentialService
from domain.core.context import CommandContext
from domain.core.errors import (
    Conflict,
    InvalidInput,
    NotConfigured,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from domain.identity.service import IdentityService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService

LIFETIME = timedelta(days=30)


class LastPushWins:
    """Issues users with made-up keys; holds the revocation list it was last given."""

    def __init__(self) -> None:
        self.issued = 0
        self.held: frozenset[str] = frozenset()
        self.deleted: list[str] = []
        self._lock = threading.Lock()

    def issue(self, org_id: UUID, credential_id: UUID, name: str, expires_at: datetime):
        with self._lock:
            self.issued += 1
            key = f"U{self.issued:055d}"
        scope = f"signalyard.{org_id}.>"
        return IssuedBusUser(key, scope, f"org_{org_id.hex}", f"creds-secret-of-{key}")

    def revoke(self, revoked: Iterable[str], consumer: str) -> None:
        with self._lock:
            self.held = frozenset(revoked)
            self.deleted.append(consumer)


class World:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.identity = IdentityService(store)
        self.tenancy = TenancyService(store)
        self.bus = LastPushWins()
        self.service = BusCredentialService(store, self.bus, LIFETIME)
        issued = self.identity.bootstrap_admin("Admin", None)
        assert issued is not None
        self.admin = self.identity.authenticate(issued.secret).context("corr-admin")
        self.tenancy.hierarchy.create_organization(self.admin, name="Acme")
        self.tenancy.hierarchy.create_organization(self.admin, name="Other")

    def member(self, org: str, slug: str, role: str) -> CommandContext:
        self.identity.register_user(self.admin, name=slug.title(), slug=slug)
        secret = self.identity.issue_token(self.admin, slug, "t", None).secret
        self.tenancy.memberships.put_org_member(self.admin, org, slug, role)
        return self.identity.authenticate(secret).context(f"corr-{slug}")


@pytest.fixture
def world(store: EventStore) -> World:
    return World(store)


def test_an_org_admin_issues_creds_kept_only_in_the_answer(world: World):
    admin = world.member("acme", "ada", "admin")
    issued = world.service.issue(admin, "acme", "  Feed ", None)
    credential = issued.result.entity
    assert issued.creds == f"creds-secret-of-{credential.public_key}"
    assert credential.name == "Feed" and credential.revoked_at is None
    assert credential.subject_scope.endswith(".>")
    assert LIFETIME - timedelta(minutes=1) < credential.expires_at - datetime.now(tz=UTC)
    stored = [vars(e) for e in world.store.history(credential.id)]
    assert credential.public_key in str(stored) and issued.creds not in str(stored)


def test_who_may_issue_and_what(world: World):
    maintainer = world.member("acme", "max", "maintainer")
    admin = world.member("acme", "ada", "admin")
    with pytest.raises(PermissionDenied):
        world.service.issue(maintainer, "acme", "feed", None)
    with pytest.raises(NotFound):
        world.service.issue(admin, "other", "feed", None)
    now = datetime.now(tz=UTC)
    for expires_at in (now - timedelta(seconds=1), now + LIFETIME + timedelta(minutes=1)):
        with pytest.raises(InvalidInput) as refused:
            world.service.issue(admin, "acme", "feed", expires_at)
        assert refused.value.field == "expires_at"
    unconfigured = BusCredentialService(world.store, None, LIFETIME)
    with pytest.raises(NotConfigured, match=NOT_CONFIGURED):
        unconfigured.issue(admin, "acme", "feed", None)
    assert world.bus.issued == 0


def test_revoking_pushes_every_revoked_key_and_is_final(world: World):
    admin = world.member("acme", "ada", "admin")
    first, second = (world.service.issue(admin, "acme", "f", None).result for _ in range(2))
    other = world.service.issue(world.admin, "other", "f", None).result
    with pytest.raises(NotFound):  # another org's credential, named under this org
        world.service.revoke(admin, "acme", other.guid)
    world.service.revoke(admin, "acme", first.guid)
    world.service.revoke(admin, "acme", second.guid)
    assert world.bus.held == {first.entity.public_key, second.entity.public_key}
    assert world.bus.deleted == [first.entity.consumer, second.entity.consumer]
    with pytest.raises(Conflict, match="already revoked"):
        world.service.revoke(admin, "acme", first.guid)


def test_concurrent_revocations_all_reach_the_bus(world: World):
    admin = world.member("acme", "ada", "admin")
    credentials = [world.service.issue(admin, "acme", "f", None).result for _ in range(6)]
    start = threading.Barrier(len(credentials))
    failures: list[BaseException] = []

    def revoke(guid: UUID) -> None:
        start.wait()
        for _ in range(20):
            try:
                world.service.revoke(admin, "acme", guid)
                return
            except (StaleVersion, IntegrityError):  # a collision left to the caller's retry
                continue
            except BaseException as exc:
                failures.append(exc)
                return

    threads = [threading.Thread(target=revoke, args=(c.guid,)) for c in credentials]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    keys = {c.entity.public_key for c in credentials}
    revocations = world.store.find(REVOCATIONS_ID, BusRevocations)
    assert revocations is not None and set(revocations.users) == keys
    assert world.bus.held == keys  # the last push named every committed revocation
