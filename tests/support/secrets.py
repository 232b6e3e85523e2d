"""The secrets context of a running test stack, built in the test process as the dispatcher
will build it: the same settings, database and backends as the stack's API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from domain.secrets.service_set import SecretsContext
from signalyard import bootstrap
from signalyard.secrets_wiring import build_secrets
from support.stack import Stack


@contextmanager
def secrets_of(stack: Stack) -> Iterator[SecretsContext]:
    url = bootstrap.database_url(stack.settings)
    store = bootstrap.build_store(stack.settings, url)
    context, pool = build_secrets(stack.settings, url, store)
    try:
        yield context
    finally:
        pool.close()
        store.close()
