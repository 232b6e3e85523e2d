"""No secret material on the bus: every event class of the code base is scanned, and a
field whose name looks secret must be declared (withheld, or public with a reason)."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate, event

import signalyard.bootstrap  # noqa: F401 - imports every context's aggregates
from domain.core.aggregate import AuditedAggregate
from domain.core.publication import (
    declare_publication,
    public_payload,
    undeclared_secret_looking,
)
from schemas.cloudevents import event_source, event_type, snake_case


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def event_classes() -> list[type]:
    """Every event class of every aggregate the application defines."""
    classes = set()
    for aggregate in _subclasses(Aggregate):
        if not aggregate.__module__.startswith("domain."):
            continue
        for value in vars(aggregate).values():
            if isinstance(value, type) and issubclass(value, Aggregate.Event):
                classes.add(value)
    return sorted(classes, key=lambda c: (c.__module__, c.__qualname__))


def test_the_scan_sees_every_context():
    modules = {c.__module__.split(".")[1] for c in event_classes()}
    assert {"catalog", "identity", "tenancy", "core"} <= modules
    assert len(event_classes()) > 80


def test_no_event_has_an_undeclared_secret_looking_field():
    offenders = {
        f"{c.__module__}:{c.__qualname__}": undeclared_secret_looking(c) for c in event_classes()
    }
    offenders = {name: fields for name, fields in offenders.items() if fields}
    assert not offenders, (
        "fields that look secret, not declared with declare_publication(...) "
        f"(withheld=... or public=...): {offenders}"
    )


class Vault(AuditedAggregate):
    """Defined here: the scan must catch what a new context forgets to declare."""

    @event("Sealed")
    def __init__(self, name: str, token_hash: str, signing_secret: str, meta: dict) -> None:
        self.name = name

    @event("Rotated")
    def rotate(self, wrapped_key: str, changes: dict, meta: dict) -> None:
        pass


def test_the_scan_fails_for_an_undeclared_secret_and_the_bus_withholds_it_anyway():
    sealed = Vault.Sealed  # type: ignore[attr-defined]
    assert undeclared_secret_looking(sealed) == ["token_hash", "signing_secret"]
    made = Vault(name="v", token_hash="h", signing_secret="s", meta={})
    assert public_payload(made.collect_events()[0]) == {"name": "v"}


def test_declared_fields_are_withheld_or_shown_and_update_changes_are_filtered():
    rotated = Vault.Rotated  # type: ignore[attr-defined]
    declare_publication(rotated, withheld={"wrapped_key"})
    assert undeclared_secret_looking(rotated) == []
    vault = Vault(name="v", token_hash="h", signing_secret="s", meta={})
    vault.rotate(wrapped_key="k", changes={"name": "w", "password": "p"}, meta={})
    assert public_payload(vault.collect_events()[-1]) == {"changes": {"name": "w"}}


def test_plumbing_is_kept_off_the_bus():
    from domain.core.slugs import SlugClaim

    claim = SlugClaim(kind="org", scope_id="", slug="acme", owner_id=uuid4(), meta={})
    assert public_payload(claim.collect_events()[0]) is None


def test_names_on_the_bus():
    assert snake_case("VersionPublished") == "version_published"
    assert snake_case("OrganizationMember") == "organization_member"
    assert snake_case("APIToken") == "api_token"
    assert event_type("skill", "version_published") == "io.signalyard.skill.version_published.v1"
    assert event_source("o", "organization", "o") == "/orgs/o"
    assert event_source("o", "policy", "p") == "/orgs/o/policies/p"
    assert event_source(None, "user", "u") == "/users/u"


def test_the_event_id_is_uuid5_of_the_entity_and_version():
    from uuid import uuid5

    from workers.relay.mapping import EVENT_NAMESPACE, event_id

    guid = uuid4()
    for version in (1, 2, 1234567):
        assert event_id(guid, version) == str(uuid5(EVENT_NAMESPACE, f"{guid}/{version}"))
    assert event_id(str(guid), 3) == event_id(guid, 3)
