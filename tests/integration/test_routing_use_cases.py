"""Use cases of EventRoutes and their deliveries, on the in-memory store and on Postgres,
with the real sandbox compiling filters and transforms."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.core.context import system_context
from domain.core.errors import Conflict, InvalidInput, PermissionDenied, StaleVersion
from domain.identity.service import IdentityService
from domain.routing.delivery import delivery_id
from domain.routing.delivery_service import DeliveryReport
from domain.routing.service import RoutingService
from domain.tenancy.service import TenancyService
from workers.router.sandbox import SandboxEvaluator

ROUTE = {
    "event_type": "io.signalyard.task.*.v1",
    "target_wf_id": "task-{data.task_id}",
    "signal_name": "task_done",
    "transform": "{status: .data.status}",
    "filter": "data.status == 'succeeded'",
}


@pytest.fixture(scope="module")
def sandbox():
    evaluator = SandboxEvaluator(timeout_ms=1000, memory_mb=256, workers=1)
    yield evaluator
    evaluator.close()


@pytest.fixture
def world(store, sandbox):
    identity, tenancy = IdentityService(store), TenancyService(store)
    issued = identity.bootstrap_admin("Admin", None)
    admin = identity.authenticate(issued.secret).context("corr")
    org = tenancy.hierarchy.create_organization(admin, name="Acme").entity
    return admin, org, RoutingService(store, sandbox)


def test_a_route_is_created_at_version_1_and_each_definition_change_is_a_version(world):
    admin, org, routing = world
    route = routing.routes.create(admin, "acme", "Task done", ROUTE).result.entity
    assert route.current_version == 1 and route.spec().signal_name == "task_done"
    changed = routing.routes.update(
        admin, "acme", "task-done", {"signal_name": "done", "description": "x"}, route.version
    ).entity
    assert changed.current_version == 2 and changed.description == "x"
    same = routing.routes.update(admin, "acme", "task-done", {"signal_name": "done"}, None)
    assert same.position == 0
    with pytest.raises(StaleVersion):
        routing.routes.update(admin, "acme", "task-done", {"enabled": False}, 1)
    back = routing.routes.roll_back(admin, "acme", "task-done", 1, changed.version).entity
    assert back.spec().signal_name == "task_done"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"transform": ".a |||"}, "transform"),
        ({"filter": "data.x =="}, "filter"),
        ({"action": "signal_with_start"}, "workflow_type"),
        ({"target_wf_id": "wf-{0}"}, "target_wf_id"),
        ({"event_type": ""}, "event_type"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_an_invalid_definition_is_refused_naming_its_field(world, change, field):
    admin, _org, routing = world
    with pytest.raises(InvalidInput) as refused:
        routing.routes.create(admin, "acme", "Bad", {**ROUTE, **change})
    assert refused.value.field == field


def test_a_system_route_cannot_be_changed_by_a_user(world):
    admin, _org, routing = world
    with pytest.raises(PermissionDenied):
        routing.routes.create(admin, "acme", "Mine", ROUTE, system=True)
    routing.routes.create(system_context(), "acme", "Outcomes", ROUTE, system=True)
    with pytest.raises(PermissionDenied):
        routing.routes.update(admin, "acme", "outcomes", {"enabled": False}, None)
    with pytest.raises(PermissionDenied):
        routing.routes.set_deleted(admin, "acme", "outcomes", True, 2)


def test_a_redelivered_event_records_one_delivery_and_a_dead_letter_is_redriven(world):
    admin, org, routing = world
    route = routing.routes.create(admin, "acme", "R", ROUTE).result.entity
    report = DeliveryReport(org.id, route.id, 1, "ev-1", "task-1", "failed", "no such workflow")
    first = routing.deliveries.record_delivery(system_context(), report)
    assert first.guid == delivery_id(route.id, "ev-1")
    assert routing.deliveries.record_delivery(system_context(), report).position == 0
    letter = routing.deliveries.dead_letter(system_context(), report)
    assert letter.entity.outcome == "dead_lettered"
    redriven = routing.deliveries.redrive(admin, "acme", str(letter.guid)).entity
    assert redriven.redrive_requested
    with pytest.raises(Conflict):
        routing.deliveries.redrive(admin, "acme", str(letter.guid))
    ok = DeliveryReport(org.id, route.id, 1, "ev-1", "task-1", "delivered", attempt=2)
    done = routing.deliveries.record_delivery(system_context(), ok).entity
    assert done.outcome == "delivered" and not done.redrive_requested
    again = DeliveryReport(org.id, route.id, 1, "ev-1", "task-1", "delivered", attempt=3)
    assert routing.deliveries.record_delivery(system_context(), again).position == 0
    assert done.id != delivery_id(uuid4(), "ev-1")


def test_a_replay_reads_bounded_pages_of_the_orgs_events_within_the_range(store, sandbox):
    identity, tenancy = IdentityService(store), TenancyService(store)
    admin = identity.authenticate(identity.bootstrap_admin("Admin", None).secret).context("c")
    routing = RoutingService(store, sandbox, max_replay_events=4)
    org = tenancy.hierarchy.create_organization(admin, name="Acme").entity
    tenancy.hierarchy.create_organization(admin, name="Other")
    start = store.recorder.max_notification_id() or 0
    route = {**ROUTE, "event_type": "io.signalyard.team.created.v1", "filter": None}
    route.update(transform=".data.name", target_wf_id="team-{subject}")
    for name in ("A", "B", "C"):
        tenancy.hierarchy.create_team(admin, "acme", name=name)
        tenancy.hierarchy.create_team(admin, "other", name=name)
    spec = routing.trials.spec(admin, "acme", None, route)
    seen, position, pages = [], start + 1, 0
    while position is not None:
        page = routing.trials.replay(spec, position)
        assert page.scanned <= 4 and not page.errors
        seen += [e.output for e in page.would_signal]
        position, pages = page.next_position, pages + 1
    assert seen == ["A", "B", "C"] and pages > 1
    assert str(spec.organization_id) == str(org.id)
    later = routing.trials.replay(spec, start + 1, since=datetime.now(tz=UTC))
    assert later.would_signal == []
