"""Which database a command uses: DATABASE_URL, else the embedded server that
`signalyard dev` runs for the data dir (read from its state file)."""

from __future__ import annotations

from pathlib import Path

from signalyard.embedded.base import port_open, read_state
from signalyard.embedded.postgres import STATE_FILE, EmbeddedPostgresError
from signalyard.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set, else the URL of the embedded server running for data_dir."""
    if settings.database_url:
        return settings.database_url
    data_dir = Path(settings.data_dir).expanduser().absolute()
    state = read_state(data_dir / STATE_FILE)
    port, url = state.get("port"), state.get("url")
    if state.get("running") and isinstance(port, int) and isinstance(url, str) and port_open(port):
        return url
    raise EmbeddedPostgresError(
        f"no database: DATABASE_URL is not set and no embedded Postgres is running for "
        f"{data_dir}; start one with `signalyard dev` or set DATABASE_URL"
    )
