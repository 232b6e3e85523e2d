"""Which servers a command uses: the external URL when set (DATABASE_URL, NATS_URL,
TEMPORAL_ADDRESS), else the embedded server that `signalyard dev` runs for the data dir
(read from its state file)."""

from __future__ import annotations

from pathlib import Path

from signalyard.embedded import nats, temporal
from signalyard.embedded.base import EmbeddedServiceError, port_open, read_state
from signalyard.embedded.postgres import STATE_FILE, EmbeddedPostgresError
from signalyard.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set, else the URL of the embedded server running for data_dir."""
    return settings.database_url or _embedded(
        settings, STATE_FILE, EmbeddedPostgresError, "database", "DATABASE_URL", "Postgres"
    )


def resolve_nats_url(settings: Settings) -> str:
    """NATS_URL when set, else the URL of the embedded NATS running for data_dir."""
    return settings.nats_url or _embedded(
        settings, nats.STATE_FILE, nats.EmbeddedNatsError, "NATS", "NATS_URL", "NATS"
    )


def resolve_temporal_address(settings: Settings) -> str:
    """TEMPORAL_ADDRESS when set, else the address of the embedded Temporal dev server."""
    return settings.temporal_address or _embedded(
        settings,
        temporal.STATE_FILE,
        temporal.EmbeddedTemporalError,
        "Temporal",
        "TEMPORAL_ADDRESS",
        "Temporal",
    )


def _embedded(
    settings: Settings,
    state_file: str,
    error: type[EmbeddedServiceError],
    what: str,
    variable: str,
    service: str,
) -> str:
    data_dir = Path(settings.data_dir).expanduser().absolute()
    state = read_state(data_dir / state_file)
    port, url = state.get("port"), state.get("url")
    if state.get("running") and isinstance(port, int) and isinstance(url, str) and port_open(port):
        return url
    raise error(
        f"no {what}: {variable} is not set and no embedded {service} is running for "
        f"{data_dir}; start one with `signalyard dev` or set {variable}"
    )
