"""What of an event may leave the system on the bus: a policy per event class.

Every field of an event is public by default, except a field whose name looks like secret
material (a token hash, a ciphertext, a signing secret...): that one is withheld unless its
class declares it public, and `tests/unit/test_event_publication.py` fails for any such
field that is not declared either way. A context declares its events next to them:

    declare_publication(Thing.KeyRotated, withheld={"wrapped_key"})
    declare_publication(Skill.VersionPublished, public={"content_hash"})  # not a secret
    declare_publication(SlugClaim.Event, skip=True)  # plumbing: never on the bus

A declaration on an aggregate's base `Event` class covers every event of that aggregate.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

# Envelope fields: published as CloudEvent attributes, never in `data`.
ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "meta"})
INTERNAL_FIELDS = frozenset({"originator_topic"})

SECRET_LOOKING = re.compile(
    r"secret|passw|token|hash|digest|cipher|credential|private|signing|salt|nonce|"
    r"api_?key|(^|_)key$|nkey|jwt|seed|wrapped",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Publication:
    skip: bool = False  # plumbing: not published at all (the relay's position still advances)
    withheld: frozenset[str] = field(default_factory=frozenset)  # never published
    public: frozenset[str] = field(default_factory=frozenset)  # look secret, are not

    def declares(self, name: str) -> bool:
        return name in self.withheld or name in self.public

    def shows(self, name: str) -> bool:
        if name in self.withheld:
            return False
        return name in self.public or not SECRET_LOOKING.search(name)


_POLICIES: dict[type, Publication] = {}
DEFAULT = Publication()


def declare_publication(
    *event_classes: type,
    skip: bool = False,
    withheld: set[str] | frozenset[str] = frozenset(),
    public: set[str] | frozenset[str] = frozenset(),
) -> None:
    for cls in event_classes:
        _POLICIES[cls] = Publication(skip, frozenset(withheld), frozenset(public))
    _PLANS.clear()  # a later declaration wins over a plan made before it


def publication_of(cls: type) -> Publication:
    """The class's own declaration, else the nearest one of its bases."""
    for base in cls.__mro__:
        if base in _POLICIES:
            return _POLICIES[base]
    return DEFAULT


def payload_fields(cls: type) -> list[str]:
    if not dataclasses.is_dataclass(cls):
        return []
    skipped = ENVELOPE_FIELDS | INTERNAL_FIELDS
    return [f.name for f in dataclasses.fields(cls) if f.name not in skipped]


def undeclared_secret_looking(cls: type) -> list[str]:
    """Fields of `cls` whose names look secret and that its policy does not name."""
    policy = publication_of(cls)
    if policy.skip:
        return []
    return [n for n in payload_fields(cls) if SECRET_LOOKING.search(n) and not policy.declares(n)]


def public_payload(event: object) -> dict[str, Any] | None:
    """The event's fields that may be published (None: the event is not published).
    A `changes` dict (an update) is filtered key by key by the same rule."""
    plan = _plan(type(event))
    if plan is None:
        return None
    policy, shown = plan
    data: dict[str, Any] = {name: getattr(event, name) for name in shown}
    changes = data.get("changes")
    if isinstance(changes, dict):
        data["changes"] = {k: v for k, v in changes.items() if policy.shows(str(k))}
    return data


_PLANS: dict[type, tuple[Publication, tuple[str, ...]] | None] = {}


def _plan(cls: type) -> tuple[Publication, tuple[str, ...]] | None:
    """Per class, once: its policy and the fields it shows."""
    if cls in _PLANS:
        return _PLANS[cls]
    _PLANS[cls] = plan = _make_plan(cls)
    return plan


def _make_plan(cls: type) -> tuple[Publication, tuple[str, ...]] | None:
    policy = publication_of(cls)
    if policy.skip:
        return None
    return policy, tuple(n for n in payload_fields(cls) if policy.shows(n))
