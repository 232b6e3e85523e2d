"""Embedded services from PyPI wheels, for `signalyard dev` and the tests: one module per
service behind `EmbeddedService` (start in a data dir on a free port, URL, health, stop).
Postgres today; NATS, Temporal and OpenBao plug in beside it."""

from signalyard.embedded.base import EmbeddedService, EmbeddedServiceError
from signalyard.embedded.postgres import EmbeddedPostgres, EmbeddedPostgresError
from signalyard.embedded.resolve import resolve_database_url

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "EmbeddedService",
    "EmbeddedServiceError",
    "resolve_database_url",
]
