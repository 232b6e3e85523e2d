"""Which bus the control plane uses and with what keys: NATS_URL and its NATS_* keys, or the
embedded NATS running for the data dir (its creds and keys made on its first start)."""

from __future__ import annotations

from datetime import timedelta

from domain.bus.service import BusCredentialService
from domain.plumbing.store import EventStore
from signalyard.settings import Settings
from workers.adapters.bus import BusConfig
from workers.adapters.bus_credentials import BusKeys, NatsBusAuthority


def bus_config(settings: Settings) -> BusConfig | None:
    """How the control plane's processes reach the bus; None when no bus is known."""
    if settings.nats_url:
        creds = str(settings.nats_creds) if settings.nats_creds else None
        return BusConfig(url=settings.nats_url, creds_file=creds)
    from signalyard.embedded import EmbeddedNatsError, resolve_nats_url
    from signalyard.embedded.nats_auth import load_bus_auth

    auth = load_bus_auth(settings.data_dir)
    try:
        url = resolve_nats_url(settings)
    except EmbeddedNatsError:
        return None
    return BusConfig(url=url, creds_file=str(auth.creds_path) if auth else None)


def bus_keys(settings: Settings) -> BusKeys | None:
    """The keys that issue and revoke bus credentials; None when not all are configured."""
    if settings.nats_url:
        values = (
            settings.nats_account_public_key,
            settings.nats_account_signing_seed,
            settings.nats_operator_seed,
            settings.nats_system_creds,
        )
        if any(v is None for v in values):
            return None
        account, signing, operator, system = values
        return BusKeys(str(account), str(signing), str(operator), str(system))
    from signalyard.embedded.nats_auth import load_bus_auth

    auth = load_bus_auth(settings.data_dir)
    if auth is None:
        return None
    return BusKeys(
        auth.account_public_key,
        auth.account_signing_seed,
        auth.operator_seed,
        str(auth.system_creds_path),
    )


def bus_credential_service(settings: Settings, store: EventStore) -> BusCredentialService:
    config, keys = bus_config(settings), bus_keys(settings)
    authority = NatsBusAuthority(config, keys) if config and keys else None
    lifetime = timedelta(days=settings.bus_credential_max_days)
    return BusCredentialService(store, authority, lifetime)
