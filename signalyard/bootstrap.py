"""Composition root: builds the event store, services, read models and apps from Settings.

Nothing else in the project reads the environment or wires dependencies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from domain.catalog.service import CatalogService
from domain.identity.service import IdentityService
from domain.infra.dispatch import DispatchService
from domain.infra.infra_service_commands import InfraServices
from domain.plumbing.store import EventStore
from domain.routing.service import RoutingService
from domain.tasks.service import TaskService
from domain.tenancy.service import TenancyService
from domain.workflows.template_service import WorkflowTemplateService
from projections.bus.projector import BusProjection
from projections.callbacks.projector import CallbacksProjection
from projections.catalog.projector import CatalogProjection
from projections.dispatchers.projector import DispatchersProjection
from projections.engine.base import Projection
from projections.engine.log import EventLog
from projections.identity.projector import IdentityProjection
from projections.infra.projector import InfraProjection
from projections.infra_services.projector import InfraServicesProjection
from projections.routing.projector import RoutingProjection
from projections.secrets.projector import SecretsProjection
from projections.tasks.projector import TasksProjection
from projections.tenancy.projector import TenancyProjection
from projections.workflows.instance_projector import WorkflowInstancesProjection
from projections.workflows.template_projector import WorkflowTemplatesProjection
from signalyard.bus import bus_credential_service
from signalyard.connections import async_pool, with_options
from signalyard.logs import configure_logging
from signalyard.runtime import settle_gc
from signalyard.settings import Settings

log = logging.getLogger("signalyard")


def database_url(settings: Settings) -> str:
    """The database's URL with the connection options every connection of ours carries."""
    if settings.database_url:
        return with_options(settings.database_url)
    from signalyard.embedded import resolve_database_url

    return with_options(resolve_database_url(settings))


def read_models() -> list[Projection]:
    return [
        TenancyProjection(),
        IdentityProjection(),
        CatalogProjection(),
        CallbacksProjection(),
        InfraServicesProjection(),
        RoutingProjection(),
        TasksProjection(),
        InfraProjection(),
        BusProjection(),
        SecretsProjection(),
        DispatchersProjection(),
        WorkflowInstancesProjection(),
        WorkflowTemplatesProjection(),
    ]


def event_store_env(settings: Settings, url: str, *, create_tables: bool) -> dict[str, str]:
    info = conninfo_to_dict(url)
    persistence = {
        "grouped": "signalyard.eventstore.postgres",  # group commit: the guarantees need it
        "stock": "eventsourcing.postgres",
    }[settings.event_recorder]
    return {
        "PERSISTENCE_MODULE": persistence,
        "POSTGRES_DBNAME": str(info.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(info.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(info.get("port") or "5432"),
        "POSTGRES_USER": str(info.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(info.get("password") or ""),
        "POSTGRES_SCHEMA": settings.event_schema,
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout_seconds),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
        "POSTGRES_PRE_PING": "y",
        "CREATE_TABLE": "y" if create_tables else "n",
    }


def build_store(settings: Settings, url: str, *, create_tables: bool = False) -> EventStore:
    from signalyard.eventstore.batch_reads import batch_reader_for

    store = EventStore(env=event_store_env(settings, url, create_tables=create_tables))
    store.batch_reader = batch_reader_for(store.recorder)
    store.validated_reads = getattr(store.recorder, "validates_read_sets", False)
    return store


def side_tables(schema: str) -> list:
    """Tables written beside the log, not from it: sealed signing secrets, probe counters,
    dispatchers' and agents' heartbeats."""
    from projections.dispatchers import heartbeats
    from projections.infra_services import liveness
    from projections.tasks import agent_heartbeats
    from workers.adapters import signing_secrets

    return [signing_secrets.ddl(schema), *liveness.DDL, *heartbeats.DDL, *agent_heartbeats.DDL]


def secret_box(settings: Settings):  # -> SecretBox
    """SIGNALYARD_WEBHOOK_SECRET_KEY, else the key file `signalyard dev` made in the data dir."""
    from workers.adapters.secret_box import SecretBox

    if settings.webhook_secret_key:
        return SecretBox.from_text(settings.webhook_secret_key)
    path = settings.webhook_key_file
    if not path.exists():
        raise SystemExit(f"SIGNALYARD_WEBHOOK_SECRET_KEY is not set and {path} does not exist")
    return SecretBox.from_text(path.read_text())


def ensure_webhook_key(settings: Settings) -> None:
    """`signalyard dev` without SIGNALYARD_WEBHOOK_SECRET_KEY: a key of its own (0600)."""
    from workers.adapters.secret_box import new_key_text

    if settings.webhook_secret_key:
        return
    path = settings.webhook_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key_text())


def callback_policy(settings: Settings):  # -> CallbackPolicy
    from domain.callbacks.addresses import CallbackPolicy

    return CallbackPolicy(settings.callback_allow_private, settings.callback_hosts)


def build_callbacks(settings: Settings, store: EventStore, url: str):  # -> CallbackService
    from domain.callbacks.backoff import RetryPolicy
    from domain.callbacks.service import CallbackService
    from workers.adapters.signing_secrets import PostgresSigningSecrets

    retry = RetryPolicy(
        max_tries=settings.callback_max_attempts,
        base_seconds=settings.callback_backoff_base_seconds,
        max_seconds=settings.callback_backoff_max_seconds,
        max_age_seconds=settings.callback_max_age_seconds,
    )
    secrets = PostgresSigningSecrets(url, settings.event_schema, secret_box(settings))
    return CallbackService(store, secrets, callback_policy(settings), retry)


def build_callback_worker(settings: Settings, store: EventStore, **options: object):
    from workers.adapters.webhooks import WebhookSender
    from workers.callbacks.worker import CallbackWorker

    url = database_url(settings)
    sender = WebhookSender(callback_policy(settings), settings.callback_timeout_seconds)
    return CallbackWorker(build_callbacks(settings, store, url), sender, url, **options)


def run_callbacks(settings: Settings) -> None:
    """The callback sender (`signalyard callbacks run`, and under `dev`)."""
    configure_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    store = build_store(settings, database_url(settings))
    worker = build_callback_worker(settings, store)
    try:
        worker.run(stop)
    finally:
        worker.sender.close()
        store.close()


def build_health_checker(settings: Settings, store: EventStore, **options: object):
    from workers.health.checker import HealthChecker

    services = InfraServices(store, secret_box(settings))
    return HealthChecker(
        services,
        database_url(settings),
        unhealthy_after=settings.health_unhealthy_after,
        **options,  # type: ignore[arg-type]
    )


def run_health(settings: Settings) -> None:
    """The infra health checker (`signalyard health run`, and under `dev`)."""
    configure_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    store = build_store(settings, database_url(settings))
    try:
        build_health_checker(settings, store).run(stop)
    finally:
        store.close()


MIGRATION_STEPS = ("event store schema", "event store tables", "read models", "admin user")


def prepare(settings: Settings, step: Callable[[str], None] | None = None) -> str | None:
    """Create every table (idempotent) and the bootstrap admin; return a new admin token.
    `step` is told each of MIGRATION_STEPS as it starts."""
    from projections.engine.operations import ensure_schema
    from signalyard.eventstore.append_sql import outcome_tables
    from workers.adapters.secret_backends.data_keys import create_tables as data_key_tables

    starting = step or (lambda _name: None)
    url = database_url(settings)
    starting(MIGRATION_STEPS[0])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                psycopg.sql.Identifier(settings.event_schema)
            )
        )
        for statement in outcome_tables(settings.event_schema):
            conn.execute(statement)
        for statement in side_tables(settings.event_schema):
            conn.execute(statement)
        data_key_tables(conn)  # mutable on purpose: crypto-shredding deletes from it
    starting(MIGRATION_STEPS[1])
    store = build_store(settings, url, create_tables=True)
    try:
        starting(MIGRATION_STEPS[2])
        ensure_schema(url, read_models())
        starting(MIGRATION_STEPS[3])
        issued = IdentityService(store).bootstrap_admin("Administrator", settings.bootstrap_token)
    finally:
        store.close()
    if issued is None or settings.bootstrap_token:
        return None
    return issued.secret


def mint_dispatcher_credential(
    settings: Settings, dispatcher_name: str, name: str, kept: Path | None = None
) -> str:
    """A dispatcher credential minted as the system (`signalyard dev`'s local dispatcher);
    the secret is returned once, for the dispatcher's environment only. With `kept` (a file
    holding the id, never the secret, of the one minted last time), that one is revoked
    first, so restarts leave no live credential behind."""
    from uuid import UUID

    from domain.core.context import system_context
    from domain.core.errors import Conflict, InvalidInput, NotFound

    store = build_store(settings, database_url(settings))
    try:
        service = DispatchService(store)
        if kept is not None and kept.is_file():
            with contextlib.suppress(ValueError, NotFound, Conflict, InvalidInput):
                service.revoke(system_context(), UUID(kept.read_text().strip()))
        issued = service.issue(system_context(), dispatcher_name, name)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(str(issued.result.entity.id))
        return issued.secret
    finally:
        store.close()


def local_dispatcher_name(settings: Settings, runtime_kind: str) -> str:
    import socket

    return settings.dispatcher_name or f"{socket.gethostname()}-{runtime_kind}"


def build_api(settings: Settings):  # -> FastAPI
    from eventsourcing.persistence import OperationalError as StoreOperationalError

    from api.app import create_app
    from api.idempotency import IdempotencyStore
    from api.services import Services
    from domain.tasks.agent_work import AgentWork
    from projections.engine.waiter import ProgressWaiter
    from signalyard.eventstore.append_sql import OUTCOMES_TABLE, SESSIONS_TABLE
    from signalyard.secrets_wiring import build_secrets
    from workers.adapters.blobstore import FileBlobStore
    from workers.adapters.logstore import FileLogStore

    url = database_url(settings)
    store = build_store(settings, url)
    sandbox = route_sandbox(settings, prestart=False)
    blobs = FileBlobStore(settings.blob_path)
    secrets, data_key_pool = build_secrets(settings, url, store)
    read_pool = async_pool(
        url,
        min_size=1,
        max_size=settings.pool_size,
        # Waiting longer for a connection than a writer waits for its lock helps nobody.
        timeout=settings.lock_timeout_seconds,
        open=False,
        kwargs={"row_factory": dict_row, "autocommit": True},
    )
    services = Services(
        store=store,
        identity=IdentityService(store),
        tenancy=TenancyService(store),
        read_pool=read_pool,
        waiter=ProgressWaiter(url),
        idempotency=IdempotencyStore(
            read_pool,
            psycopg.sql.Identifier(settings.event_schema, OUTCOMES_TABLE),
            settings.idempotency_lease_seconds,
            settings.idempotency_ttl_hours * 3600,
        ),
        session_positions=psycopg.sql.Identifier(settings.event_schema, SESSIONS_TABLE),
        event_log=psycopg.sql.Identifier(settings.event_schema, store.recorder.events_table_name),
        projection_names=tuple(p.name for p in read_models()),
        catalog=CatalogService(store, blobs, settings.max_bundle_bytes),
        callbacks=build_callbacks(settings, store, url),
        infra=InfraServices(store, secret_box(settings)),
        routing=RoutingService(
            store,
            sandbox,
            to_cloudevent=bus_mapping(store),
            max_replay_events=settings.route_replay_max_events,
        ),
        tasks=TaskService(store, blobs),
        dispatch=DispatchService(store, callback_policy(settings)),
        workflow_templates=WorkflowTemplateService(store),
        bus=bus_credential_service(settings, store),
        task_logs=FileLogStore(settings.log_path),
        bus_stream=settings.nats_stream,
        max_body_bytes=settings.max_body_bytes,
        read_your_writes_timeout=settings.read_your_writes_timeout_seconds,
        secrets=secrets,
        agents=AgentWork(
            store,
            blobs,
            FileLogStore(settings.log_path),
            timedelta(seconds=settings.agent_progress_interval_seconds),
        ),
    )
    services.workflow_instances = build_workflow_instances(settings, store, services.routing)
    app = create_app(
        services,
        unavailable=(StoreOperationalError, psycopg.OperationalError),
        role=settings.api_role,
    )

    @asynccontextmanager
    async def lifespan(_app):
        await read_pool.open()
        await services.waiter.start()
        settle_gc()
        try:
            yield
        finally:
            await services.waiter.stop()
            await read_pool.close()
            sandbox.close()
            data_key_pool.close()
            store.close()

    app.router.lifespan_context = lifespan
    return app


def build_workflow_instances(settings: Settings, store: EventStore, routing: RoutingService):
    """The instance use cases users call (-> WorkflowInstances); their start installs the
    org's system routes, which name the worker's task queue."""
    from domain.workflows.instance_routes import WorkflowRoutes
    from domain.workflows.instance_service import WorkflowInstances
    from domain.workflows.instance_templates import PublishedTemplates

    routes = WorkflowRoutes(routing.routes, settings.workflow_task_queue)
    return WorkflowInstances(store, PublishedTemplates(store), routes)


def route_sandbox(settings: Settings, *, prestart: bool = True):  # -> SandboxEvaluator
    """Where users' jq and CEL run (the RouteEvaluator port), for the API's `:test`/`:replay`
    and for the router; the router starts its processes at once, the API on first use."""
    from workers.router.sandbox import SandboxEvaluator

    return SandboxEvaluator(
        timeout_ms=settings.route_eval_timeout_ms,
        memory_mb=settings.route_eval_memory_mb,
        workers=settings.route_eval_workers,
        prestart=prestart,
    )


def run_api(settings: Settings) -> None:
    import uvicorn

    configure_logging(settings.log_level)
    options = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": False,
    }
    if settings.api_workers == 1:
        uvicorn.run(build_api(settings), **options)
        return
    # Worker processes import the app themselves (signalyard.asgi) and read their settings
    # from the environment: hand them the database this process resolved (embedded or not).
    os.environ["DATABASE_URL"] = database_url(settings)
    os.environ["SIGNALYARD_API_ROLE"] = settings.api_role
    uvicorn.run("signalyard.asgi:create_app", factory=True, workers=settings.api_workers, **options)


def build_api_from_env():  # -> FastAPI; an API worker process's entry point
    return build_api(Settings.from_env())


def _event_log(settings: Settings) -> tuple[EventStore, EventLog]:
    store = build_store(settings, database_url(settings))
    return store, EventLog(store)


def run_projections(settings: Settings) -> None:
    from projections.engine.runner import run_projections as run_all

    configure_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    store, event_log = _event_log(settings)
    settle_gc()
    try:
        run_all(
            database_url(settings),
            read_models(),
            event_log,
            stop,
            min_batch_interval=settings.projection_batch_interval_ms / 1000,
        )
    finally:
        store.close()


def projections_status(settings: Settings) -> list[dict]:
    from projections.engine.operations import status

    store, event_log = _event_log(settings)
    try:
        return status(database_url(settings), read_models(), event_log)
    finally:
        store.close()


def rebuild_projections(
    settings: Settings, name: str | None, done: Callable[[str, int], None] | None = None
) -> list[tuple[str, int]]:
    """Rebuild one read model or all; `done` is told each one's name and position."""
    from projections.engine.operations import rebuild

    chosen = [p for p in read_models() if name in (None, p.name)]
    if not chosen:
        raise SystemExit(
            f"unknown projection {name!r}; known: " + ", ".join(p.name for p in read_models())
        )
    store, event_log = _event_log(settings)
    settle_gc()
    url, rebuilt = database_url(settings), []
    try:
        for projection in chosen:
            position = rebuild(url, projection, event_log)
            rebuilt.append((projection.name, position))
            if done is not None:
                done(projection.name, position)
        return rebuilt
    finally:
        store.close()


def projection_names(name: str | None = None) -> list[str]:
    return [p.name for p in read_models() if name in (None, p.name)]


def list_dead_letters(settings: Settings, name: str | None) -> list[dict]:
    from projections.engine.operations import list_dead_letters as listing

    return listing(database_url(settings), name)


def redrive_dead_letter(settings: Settings, dead_letter_id: int) -> bool:
    """True if the quarantined event applied (a parked one failing after it is quarantined)."""
    from projections.engine.operations import redrive

    store, event_log = _event_log(settings)
    try:
        return redrive(database_url(settings), read_models(), event_log, dead_letter_id)
    finally:
        store.close()


def skip_dead_letter(settings: Settings, dead_letter_id: int) -> None:
    from projections.engine.operations import skip

    skip(database_url(settings), dead_letter_id)


def bus_config(settings: Settings):  # -> workers.adapters.bus.BusConfig
    """The bus as the settings describe it (NATS_URL + NATS_CREDS, or the embedded NATS of
    `dev` with the control plane's creds from its data dir)."""
    from signalyard.bus import required_bus_config

    return required_bus_config(settings)


def build_relay(settings: Settings, event_log: EventLog, **runner_options: object):
    """The relay's runner (ProjectionRunner over a RelayFollower) and its publisher."""
    from projections.engine.runner import ProjectionRunner
    from workers.relay.follower import RELAY_BATCH, RelayFollower
    from workers.relay.publisher import JetStreamPublisher

    publisher = JetStreamPublisher(bus_config(settings))
    runner_options.setdefault("batch_size", RELAY_BATCH)
    runner = ProjectionRunner(
        database_url(settings), RelayFollower(publisher), event_log, **runner_options
    )
    return runner, publisher


def run_relay(settings: Settings) -> None:
    """Publish every event of the log to JetStream until SIGINT/SIGTERM."""
    configure_logging(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    store, event_log = _event_log(settings)
    runner, publisher = build_relay(settings, event_log)
    settle_gc()
    try:
        runner.run_forever(stop)
    finally:
        publisher.close()
        store.close()


def tail_events(settings: Settings, show: Callable[[object], None], **filters: object) -> None:
    """Show each event of the bus (see workers.subscribers.tail.watch) until Ctrl-C, or
    until `count` events were shown."""
    import asyncio

    from workers.adapters.bus import connect
    from workers.subscribers.tail import watch

    count = filters.pop("count", None)
    bus = bus_config(settings)

    async def run() -> None:
        nc = await connect(bus, name="signalyard-events-tail")
        shown = 0
        try:
            async for event in watch(nc, bus, **filters):  # type: ignore[arg-type]
                show(event)
                shown += 1
                if count is not None and shown >= count:  # type: ignore[operator]
                    return
        finally:
            await nc.close()

    asyncio.run(run())


def bus_mapping(store: EventStore):  # -> domain.routing.trials.ToCloudEvent
    """A stored event as the relay publishes it (same id, names and public payload), for
    the API's route `:test` and `:replay`: what a route is tried on is what it will see."""
    from types import SimpleNamespace

    from workers.relay.mapping import EntityNames, cloud_event

    names = EntityNames(EventLog(store).first_event, size=10_000)

    def to_cloudevent(event: Any, position: int, _entity: str | None = None) -> dict | None:
        return cloud_event(SimpleNamespace(id=position), event, names.of(event))  # type: ignore[arg-type]

    return to_cloudevent


def build_dispatcher(settings: Settings, store: EventStore, runtime_kind: str):
    """The pull dispatcher on a runtime (`signalyard dispatcher`, and under `dev`)."""

    from domain.tasks.attempt_access import AttemptTokens
    from domain.tasks.lifecycle import TaskLifecycle
    from signalyard.bus import required_bus_config
    from signalyard.runtimes import build_runtime
    from workers.adapters.blobstore import FileBlobStore
    from workers.dispatcher.agent_access import AgentAccess
    from workers.dispatcher.callbacks import TaskCallbacks
    from workers.dispatcher.dispatcher import Dispatcher, DispatcherOptions
    from workers.dispatcher.launch import LaunchBuilder

    options = DispatcherOptions(
        name=local_dispatcher_name(settings, runtime_kind),
        runtime_kind=runtime_kind,
        conninfo=database_url(settings),
        heartbeat_seconds=settings.dispatcher_heartbeat_seconds,
        lost_after_seconds=settings.dispatcher_lost_after_seconds,
        sweep_seconds=settings.dispatcher_sweep_seconds,
        max_concurrent=settings.dispatcher_max_concurrent,
    )
    tokens = AttemptTokens(store, timedelta(seconds=settings.agent_token_grace_seconds))
    access = AgentAccess(tokens, settings.agent_api_base_url)
    launch = LaunchBuilder(store, FileBlobStore(settings.blob_path), access)
    runtime = build_runtime(settings, runtime_kind)  # type: ignore[arg-type]
    scheduler = build_callbacks(settings, store, database_url(settings))
    callbacks = TaskCallbacks(store, scheduler)
    bus = required_bus_config(settings)
    offers = build_task_offers(settings, store, scheduler)
    api = dispatch_api(settings)
    lifecycle = TaskLifecycle(store)
    gate = launch_gate(settings, store, lifecycle, options.name)
    return Dispatcher(store, lifecycle, launch, runtime, bus, options, api, callbacks, offers, gate)


def build_task_offers(settings: Settings, store: EventStore, scheduler: Any = None):
    """Push dispatch's offers of queued tasks (a shared consumer in every dispatcher)."""
    from workers.dispatcher.offers import TaskOffers

    url = database_url(settings)
    scheduler = scheduler or build_callbacks(settings, store, url)
    return TaskOffers(store, scheduler, url, settings.dispatcher_lost_after_seconds)


def dispatch_api(settings: Settings):  # -> DispatchApi
    """The dispatcher's client of the API, with its credential (SIGNALYARD_DISPATCHER_TOKEN)."""
    from workers.adapters.dispatch_api import DispatchApi

    if not settings.dispatcher_token:
        raise SystemExit(
            "SIGNALYARD_DISPATCHER_TOKEN is not set: a platform admin mints one with"
            " POST /v1/dispatcher-credentials"
        )
    return DispatchApi(settings.dispatcher_api_url, settings.dispatcher_token)


def launch_gate(settings: Settings, store: EventStore, lifecycle: Any, name: str):
    """What a dispatcher checks before a start: target health, the attempt's secrets."""
    from signalyard.secrets_wiring import build_secrets
    from workers.dispatcher.gate import LaunchGate

    context, pool = build_secrets(settings, database_url(settings), store)
    resolver = context.resolver if context.service.backends else None
    return LaunchGate(store, lifecycle, name, resolver, close=pool.close)


def run_dispatcher(settings: Settings, runtime_kind: str) -> None:
    """Take queued tasks and run them until SIGINT/SIGTERM."""
    import asyncio

    configure_logging(settings.log_level)
    store = build_store(settings, database_url(settings))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await build_dispatcher(settings, store, runtime_kind).run(stop)

    try:
        asyncio.run(main())
    finally:
        store.close()
