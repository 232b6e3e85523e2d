"""Commands authenticated from the cache: the command's own first read checks the token
again, so a token revoked (or a user disabled) through another replica is refused at once,
and a valid one costs no read of its own."""

from __future__ import annotations

import pytest

from domain.core.context import system_context
from domain.core.errors import Unauthenticated
from domain.identity.service import IdentityService, Principal
from domain.identity.user import User
from domain.plumbing.aggregate_cache import AggregateCache
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService

SECRET = "syd_cached_credential_test_token"


def replica_of(store: EventStore) -> EventStore:
    """Another process on the same database: same recorder, its own cache."""
    other = EventStore.__new__(EventStore)
    other.__dict__.update(store.__dict__)
    other.cache = AggregateCache()
    return other


@pytest.fixture
def server() -> EventStore:
    store = EventStore()
    admin = IdentityService(store).authenticate(
        IdentityService(store).bootstrap_admin("Admin", None).secret
    )
    ctx = admin.context("setup")
    IdentityService(store).register_user(ctx, name="Ada", slug="ada")
    IdentityService(store).issue_token(ctx, "ada", "cli", None, secret=SECRET)
    org = TenancyService(store).hierarchy.create_organization(
        IdentityService(store).authenticate(SECRET).context("setup"), "Acme", "acme"
    )
    assert org.version == 1
    return store


def cached(server: EventStore) -> Principal:
    principal = IdentityService(server).cached_principal(SECRET)
    assert principal is not None and not principal.checked
    return principal


def revoke_elsewhere(server: EventStore) -> None:
    replica = replica_of(server)
    identity = IdentityService(replica)
    token_id = identity.authenticate(SECRET).token_id
    identity.revoke_token(system_context(), "ada", token_id)


def events_in(store: EventStore) -> int:
    return store.recorder.max_notification_id() or 0


def test_a_token_revoked_elsewhere_is_refused_by_the_commands_first_read(server):
    principal = cached(server)  # this process still thinks the token is good
    revoke_elsewhere(server)
    before = events_in(server)
    with pytest.raises(Unauthenticated):
        TenancyService(server).hierarchy.create_team(principal.context("r"), "acme", "Platform")
    with pytest.raises(Unauthenticated):  # the refusal outranks the command's own error
        TenancyService(server).hierarchy.create_team(
            principal.context("r"), "no-such-org", "Platform"
        )
    assert events_in(server) == before
    assert IdentityService(server).cached_principal(SECRET) is None  # the cache learned it


def test_a_user_disabled_elsewhere_is_refused(server):
    principal = cached(server)
    replica = replica_of(server)
    with replica.reading():
        user = replica.find(principal.user_id, User)
        user.update(changes={"is_active": False}, meta=system_context().meta(None))
        replica.record(user)
    before = events_in(server)
    with pytest.raises(Unauthenticated):
        TenancyService(server).hierarchy.create_team(principal.context("r"), "acme", "Platform")
    assert events_in(server) == before


def test_a_session_that_reads_nothing_still_checks_before_it_ends(server):
    credential = cached(server).context("r").credential
    revoke_elsewhere(server)
    with pytest.raises(Unauthenticated), server.reading(credential):
        pass  # no read, no write: the check happens on the way out
    with pytest.raises(Unauthenticated), server.reading(credential):
        raise LookupError("the command's own failure")  # replaced by the refusal


def test_a_valid_cached_credential_joins_the_commands_read(server, monkeypatch):
    principal = cached(server)
    reads: list[list] = []
    original = server._read_fresh

    def counting(ids):
        reads.append(list(ids))
        return original(ids)

    monkeypatch.setattr(server, "_read_fresh", counting)
    result = TenancyService(server).hierarchy.create_team(
        principal.context("r"), "acme", "Platform"
    )
    assert result.version == 1
    assert len(reads) == 1  # path, memberships, slug claim and the credential: one read
    assert {principal.token_id, principal.user_id} <= set(reads[0])


def test_nested_use_cases_check_the_credential_once(server, monkeypatch):
    credential = cached(server).context("r").credential
    reads: list[list] = []
    original = server._read_fresh
    monkeypatch.setattr(server, "_read_fresh", lambda ids: reads.append(ids) or original(ids))
    with server.reading(credential):
        server.prefetch([])
        with server.reading(credential):  # a use case called by another one
            pass
    assert len(reads) == 1


def test_an_unknown_token_is_not_taken_from_the_cache():
    store = EventStore()
    assert IdentityService(store).cached_principal("syd_never_issued") is None
