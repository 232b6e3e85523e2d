"""Secret resolutions per second, local and vault backends: `resolve_for_attempt` for a new
task attempt each time (its ledger event committed), 1 and 4 threads, against the backend's
read alone (no ledger, no event store): what the ledger costs on top of the backend."""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg_pool import ConnectionPool

from bench.stats import percentile
from domain.core.context import system_context
from domain.identity.service import IdentityService
from domain.secrets.ports import SecretLocator
from domain.secrets.resolution import AttemptScope, Resolved, SecretRequest
from domain.secrets.scope import ScopeRefs
from domain.secrets.service_set import SecretsContext
from domain.tenancy.service import TenancyService
from signalyard.bootstrap import build_store
from signalyard.embedded import EmbeddedOpenBao
from signalyard.settings import Settings
from workers.adapters.secret_backends.data_keys import DataKeyStore, create_tables
from workers.adapters.secret_backends.kek import KekRing, MasterKey
from workers.adapters.secret_backends.local import LocalBackend
from workers.adapters.secret_backends.vault import VaultBackend, vault_client

BATCH = 5  # secrets per attempt in the second figure (a task with 5 secrets)


def _rate(call: Callable[[], object], seconds: float, threads: int) -> dict:
    latencies: list[float] = []
    lock, stop = threading.Lock(), time.monotonic() + seconds

    def worker() -> None:
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            call()
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    call()  # warm
    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "threads": threads,
    }


def run(db, *, quick: bool) -> dict:
    url = db.new_database("secrets")
    seconds = 3.0 if quick else 10.0
    settings = Settings(database_url=url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {settings.event_schema}")
        create_tables(conn)
    store = build_store(settings, url, create_tables=True)
    bao = EmbeddedOpenBao(Path(tempfile.mkdtemp(prefix="bench-openbao-")))
    bao.start()
    pool = ConnectionPool(url, min_size=1, max_size=4, open=True)
    try:
        keys = DataKeyStore(pool, KekRing(MasterKey(b"b" * 32)))
        backends = {
            "local": LocalBackend(keys),
            "vault": VaultBackend(
                lambda: vault_client(bao.url, bao.token), "secret", "signalyard/"
            ),
        }
        context = SecretsContext(store, backends, keys)
        identity = IdentityService(store)
        issued = identity.bootstrap_admin("Bench", None)
        assert issued is not None
        admin = identity.authenticate(issued.secret).context("bench")
        org = TenancyService(store).hierarchy.create_organization(admin, "Bench").entity
        scope, results = AttemptScope(org.id), {}
        for backend in ("local", "vault"):
            names = [f"{backend.upper()}_{i}" for i in range(BATCH)]
            for name in names:
                path = f"signalyard/bench/{name}" if backend == "vault" else None
                context.service.create(
                    admin, ScopeRefs(org.slug), name, backend, value="x" * 40, path_or_arn=path
                )

            def resolve(count: int, names=names) -> None:
                requests = [SecretRequest(n) for n in names[:count]]
                outcome = context.resolver.resolve_for_attempt(
                    system_context(), scope, uuid.uuid4(), 1, requests, "bench"
                )
                assert isinstance(outcome, Resolved)

            secret = context.resolver.nearest(scope, names[0])
            at = SecretLocator(org.id, secret.id, 1, secret.path_or_arn)
            stored = secret.stored(1)
            results[backend] = {
                "one@1": _rate(lambda resolve=resolve: resolve(1), seconds, 1),
                "one@4": _rate(lambda resolve=resolve: resolve(1), seconds, 4),
                "five@1": _rate(lambda resolve=resolve: resolve(BATCH), seconds, 1),
                "backend_read@1": _rate(
                    lambda b=backends[backend], at=at, stored=stored: b.get(at, stored), seconds, 1
                ),
            }
        return results
    finally:
        pool.close()
        bao.stop()
        store.close()
        db.drop(url)
