"""Which bus the control plane uses and with what keys: NATS_URL and its NATS_* keys, or the
embedded NATS of the data dir (its creds and keys made on its first start; `signalyard dev`
passes its URL as NATS_URL to its processes, never its keys: they read them here)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain.bus.service import BusCredentialService
from domain.plumbing.store import EventStore
from signalyard.embedded import EmbeddedNatsError, nats, resolve_nats_url
from signalyard.embedded.base import read_state
from signalyard.embedded.nats_auth import BusAuth, load_bus_auth
from signalyard.settings import Settings
from workers.adapters.bus import BusConfig
from workers.adapters.bus_credentials import BusKeys, NatsBusAuthority


def _embedded_auth(settings: Settings, url: str) -> BusAuth | None:
    """The embedded NATS's auth when `url` is that server's (as recorded in the data dir)."""
    data_dir = Path(settings.data_dir).expanduser().absolute()
    if read_state(data_dir / nats.STATE_FILE).get("url") != url:
        return None
    return load_bus_auth(data_dir)


def bus_config(settings: Settings) -> BusConfig | None:
    """How the control plane's processes reach the bus; None when no bus is known."""
    try:
        url = resolve_nats_url(settings)
    except EmbeddedNatsError:
        return None
    creds = settings.nats_creds
    if creds is None:
        auth = _embedded_auth(settings, url)
        creds = auth.creds_path if auth else None
    return BusConfig(
        url=url,
        creds_file=str(creds) if creds else None,
        stream=settings.nats_stream,
        subject_prefix=settings.nats_subject_prefix,
        max_age_seconds=settings.nats_stream_max_age_seconds,
        replicas=settings.nats_stream_replicas,
    )


def required_bus_config(settings: Settings) -> BusConfig:
    """The bus of a process that cannot run without one (the relay, the router, `events`)."""
    config = bus_config(settings)
    if config is None:
        raise EmbeddedNatsError("no bus: set NATS_URL or run the embedded NATS (`signalyard dev`)")
    return config


def bus_keys(settings: Settings, url: str) -> BusKeys | None:
    """The keys that issue and revoke bus credentials; None when not all are configured."""
    values = (
        settings.nats_account_public_key,
        settings.nats_account_signing_seed,
        settings.nats_operator_seed,
        settings.nats_system_creds,
    )
    if all(v is not None for v in values):
        account, signing, operator, system = values
        return BusKeys(str(account), str(signing), str(operator), str(system))
    auth = _embedded_auth(settings, url)
    if auth is None:
        return None
    return BusKeys(
        auth.account_public_key,
        auth.account_signing_seed,
        auth.operator_seed,
        str(auth.system_creds_path),
    )


def bus_credential_service(settings: Settings, store: EventStore) -> BusCredentialService:
    config = bus_config(settings)
    keys = bus_keys(settings, config.url) if config else None
    authority = NatsBusAuthority(config, keys) if config and keys else None
    lifetime = timedelta(days=settings.bus_credential_max_days)
    return BusCredentialService(store, authority, lifetime)
