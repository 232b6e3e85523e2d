"""Embedded services from PyPI wheels, for `signalyard dev` and the tests: one module per
service behind `EmbeddedService` (start in a data dir on a free port, URL, health, stop).
Postgres, NATS (JetStream), the Temporal dev server and OpenBao (dev mode, in memory)."""

from signalyard.embedded.base import EmbeddedService, EmbeddedServiceError
from signalyard.embedded.nats import EmbeddedNats, EmbeddedNatsError
from signalyard.embedded.openbao import EmbeddedOpenBao, EmbeddedOpenBaoError
from signalyard.embedded.postgres import EmbeddedPostgres, EmbeddedPostgresError
from signalyard.embedded.resolve import (
    resolve_database_url,
    resolve_nats_url,
    resolve_temporal_address,
)
from signalyard.embedded.temporal import EmbeddedTemporal, EmbeddedTemporalError

__all__ = [
    "EmbeddedNats",
    "EmbeddedNatsError",
    "EmbeddedOpenBao",
    "EmbeddedOpenBaoError",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "EmbeddedService",
    "EmbeddedServiceError",
    "EmbeddedTemporal",
    "EmbeddedTemporalError",
    "resolve_database_url",
    "resolve_nats_url",
    "resolve_temporal_address",
]
