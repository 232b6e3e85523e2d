"""The aggregate cache and read sessions: fewer round trips, never a stale answer."""

from __future__ import annotations

from uuid import uuid4

from domain.core.context import system_context
from domain.core.slugs import SlugClaim
from domain.identity.service import IdentityService
from domain.plumbing.aggregate_cache import AggregateCache, clone
from domain.plumbing.store import EventStore
from domain.tenancy.organization import Organization
from domain.tenancy.roles import OrgRole

META = {"actor": "u", "correlation_id": "c", "causation_id": None, "tenant_id": None}


def test_clone_is_independent_for_mutable_state():
    org = Organization(id=uuid4(), name="A", slug="a", description="", website=None, meta=META)
    org.define_group(uuid4(), "Ops", "ops", OrgRole.ADMIN, meta=META)
    twin = clone(org)
    assert twin.groups == org.groups and twin.version == org.version
    next(iter(twin.groups.values()))["members"].append("x")
    assert next(iter(org.groups.values()))["members"] == []


def test_cache_keeps_the_newest_master_and_hands_out_copies():
    cache = AggregateCache(maxsize=2)
    org = Organization(id=uuid4(), name="A", slug="a", description="", website=None, meta=META)
    cache.put(org)
    org.update(changes={"name": "B"}, meta=META)
    assert cache.peek(org.id).name == "A"
    cache.put(org)
    stale = clone(org)
    stale._version = 1
    cache.put(stale)  # an older state never replaces a newer one
    assert cache.peek(org.id).name == "B"
    for _ in range(3):
        cache.put(
            Organization(id=uuid4(), name="X", slug="x", description="", website=None, meta=META)
        )
    assert cache.peek(org.id) is None  # least recently used goes first


def test_reads_see_writes_made_through_another_store_instance():
    shared = EventStore()
    other = EventStore.__new__(EventStore)
    other.__dict__.update(shared.__dict__)  # same recorder, its own cache
    other.cache = AggregateCache()
    identity = IdentityService(shared)
    identity.bootstrap_admin("Admin", "syd_first")
    assert IdentityService(other).authenticate("syd_first").is_platform_admin  # cached now
    principal = identity.authenticate("syd_first")
    identity.revoke_token(system_context(), "admin", principal.token_id)
    try:
        IdentityService(other).authenticate("syd_first")
    except Exception as exc:  # the cached token is fast-forwarded, so the revocation shows
        assert type(exc).__name__ == "Unauthenticated"
    else:
        raise AssertionError("a revoked token was accepted from a stale cache")


def test_a_session_reads_each_aggregate_once_and_sees_its_own_writes():
    store = EventStore()
    identity = IdentityService(store)
    identity.bootstrap_admin("Admin", None)
    claim_id = SlugClaim.create_id("user", "", "admin")
    with store.reading() as session:
        assert store.slugs.owner("user", "", "admin") is not None
        assert claim_id in session.loaded
        session.loaded[claim_id].owner_id = None  # the session's copy is what it reads...
        assert store.slugs.owner("user", "", "admin") is None
        assert store.slugs.owner("user", "", "nobody") is None
        identity.register_user(system_context(), name="Nobody", slug="nobody")
        assert store.slugs.owner("user", "", "nobody") is not None
    assert store.slugs.owner("user", "", "admin") is not None  # ...and never the cache's
