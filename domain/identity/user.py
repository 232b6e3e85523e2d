"""A person or service account that acts on Signalyard. Its slug is its username."""

from __future__ import annotations

import re

from eventsourcing.domain import event

from domain.core.aggregate import CoreAggregate
from domain.core.context import Meta
from domain.core.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_email(email: str | None) -> str | None:
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        raise InvalidInput("not a valid email address", field="email")
    return email


class User(CoreAggregate):
    snapshot_interval = 50
    UPDATABLE = frozenset({"name", "description", "email", "is_active"})

    @event("Registered")
    def __init__(
        self,
        name: str,
        slug: str,
        description: str,
        email: str | None,
        is_service_account: bool,
        is_platform_admin: bool,
        meta: Meta,
    ) -> None:
        self._init_core(name, slug, description, meta)
        self.email = email
        self.is_service_account = is_service_account
        self.is_platform_admin = is_platform_admin
        self.is_active = True
        self.tenant_id = None
