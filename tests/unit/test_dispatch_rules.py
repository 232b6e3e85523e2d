"""Dispatcher credentials and registration as use cases (in memory): platform admins mint
and revoke, the secret is in no event, a revoked credential acts no more, and a push
dispatcher needs an endpoint the SSRF guard allows."""

from __future__ import annotations

import uuid

import pytest

from domain.callbacks.addresses import CallbackPolicy
from domain.core.context import CommandContext, system_context
from domain.core.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from domain.infra.dispatch import DispatchService
from domain.infra.dispatcher_instance import DispatcherInstance, dispatcher_id_of
from domain.plumbing.store import EventStore


@pytest.fixture
def service() -> DispatchService:
    return DispatchService(EventStore(), CallbackPolicy(allowed_hosts=frozenset({"127.0.0.1"})))


def test_only_a_platform_admin_mints_a_credential(service):
    user = CommandContext(actor_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        service.issue(user, "edge-1", "edge")


def test_the_secret_authenticates_its_dispatcher_and_is_in_no_event(service):
    issued = service.issue(system_context(), "edge-1", "edge")
    who = service.authenticate(issued.secret)
    assert who.dispatcher_name == "edge-1" and who.dispatcher_id == dispatcher_id_of("edge-1")
    events = service.store.history(issued.result.guid)
    assert events and all(issued.secret not in repr(vars(e)) for e in events)
    with pytest.raises(Unauthenticated):
        service.authenticate(issued.secret + "x")


def test_a_revoked_credential_acts_no_more(service):
    issued = service.issue(system_context(), "edge-1", "edge")
    who = service.authenticate(issued.secret)
    service.revoke(system_context(), issued.result.guid)
    with pytest.raises(Unauthenticated):
        service.authenticate(issued.secret)
    with pytest.raises(Unauthenticated):  # a principal read before the revocation
        service.register(who, "local", {})
    with pytest.raises(Conflict):
        service.revoke(system_context(), issued.result.guid)


def test_a_dispatcher_registers_as_itself_and_keeps_its_mode(service):
    who = service.authenticate(service.issue(system_context(), "edge-1", "edge").secret)
    dispatcher_id = service.register(who, "remote", {}, "push", "http://127.0.0.1:9/offers")
    found = service.store.find(dispatcher_id, DispatcherInstance)
    assert found is not None and found.endpoint_url == "http://127.0.0.1:9/offers"
    events = service.store.history(dispatcher_id)
    assert events[0].meta["actor"] == str(dispatcher_id)  # not "system"
    with pytest.raises(Conflict):  # a push dispatcher does not turn into a pull one
        service.register(who, "local", {})


def test_push_needs_an_endpoint_the_guard_allows_and_pull_takes_none(service):
    who = service.authenticate(service.issue(system_context(), "edge-2", "edge").secret)
    with pytest.raises(InvalidInput) as no_endpoint:
        service.register(who, "remote", {}, "push", None)
    assert no_endpoint.value.field == "endpoint_url"
    with pytest.raises(InvalidInput):
        service.register(who, "local", {}, "pull", "https://example.com/offers")
    with pytest.raises(InvalidInput) as private:
        service.register(who, "remote", {}, "push", "http://10.0.0.7/offers")
    assert private.value.field == "endpoint_url"
