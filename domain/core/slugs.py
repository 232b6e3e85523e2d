"""Slugs: generated from names, unique within a scope.

Uniqueness is enforced by the event store itself: a SlugClaim aggregate's id is derived from
(kind, scope, slug), so two concurrent claims of one slug collide on the store's primary key
(originator_id, version) and one of them fails, with no read-then-write race.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.core.aggregate import AuditedAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput
from domain.core.publication import declare_publication

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://signalyard.dev/slug-claims")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:63].rstrip("-")
    return slug or "item"


def validate_slug(slug: str, field: str = "slug") -> str:
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise InvalidInput(
            "slug must be 1-63 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit",
            field=field,
        )
    return slug


def looks_like_uuid(ref: str) -> UUID | None:
    try:
        return UUID(ref)
    except ValueError:
        return None


class SlugClaim(AuditedAggregate):
    """Holds one slug in one scope for one owner."""

    @staticmethod
    @functools.lru_cache(maxsize=65536)  # a pure function, asked several times per command
    def create_id(kind: str, scope_id: str, slug: str) -> UUID:
        return uuid5(_NAMESPACE, f"{kind}/{scope_id}/{slug}")

    @event("Claimed")
    def __init__(self, kind: str, scope_id: str, slug: str, owner_id: UUID, meta: Meta) -> None:
        self.kind = kind
        self.scope_id = scope_id
        self.slug = slug
        self.owner_id: UUID | None = owner_id

    @event("Released")
    def release(self, meta: Meta) -> None:
        self.owner_id = None

    @event("Reclaimed")
    def reclaim(self, owner_id: UUID, meta: Meta) -> None:
        self.owner_id = owner_id


# Plumbing of uniqueness, no fact a subscriber could act on: kept off the bus.
declare_publication(SlugClaim.Event, skip=True)
