"""The secrets context's use cases in one place for the composition root to build."""

from __future__ import annotations

from collections.abc import Mapping

from domain.plumbing.store import EventStore
from domain.secrets.ports import OrgKeyring, SecretBackend
from domain.secrets.resolution import SecretResolver
from domain.secrets.service import DEFAULT_MAX_VALUE_BYTES, SecretService
from domain.secrets.shredding import OrgPurger


class SecretsContext:
    def __init__(
        self,
        store: EventStore,
        backends: Mapping[str, SecretBackend],
        keyring: OrgKeyring | None,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    ) -> None:
        self.service = SecretService(store, backends, max_value_bytes)
        self.resolver = SecretResolver(store, self.service)
        self.purger = OrgPurger(store, keyring)
