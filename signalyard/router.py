"""The router process, wired from settings: the bus consumer, the routes read model, the
sandbox, the delivery use cases and the Temporal client."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

from psycopg.rows import dict_row

from signalyard.bootstrap import build_store, bus_config, database_url, route_sandbox
from signalyard.connections import async_pool
from signalyard.logs import configure_logging
from signalyard.runtime import settle_gc
from signalyard.settings import Settings

STOP_GRACE_SECONDS = 5.0


def temporal_config(settings: Settings):  # -> workers.adapters.temporal_client.TemporalConfig
    """Temporal as the settings describe it (TEMPORAL_ADDRESS, or the embedded dev server)."""
    from signalyard.embedded import resolve_temporal_address
    from workers.adapters.temporal_client import TemporalConfig

    return TemporalConfig(
        address=resolve_temporal_address(settings),
        namespace=settings.temporal_namespace,
        tls=settings.temporal_tls,
    )


def router_policy(settings: Settings):  # -> (RouterPolicy, ConsumerSettings)
    from workers.router.consumer import ConsumerSettings
    from workers.router.routing import RouterPolicy

    policy = RouterPolicy(
        max_attempts=settings.router_max_attempts,
        retry_window_seconds=settings.router_retry_window_seconds,
    )
    consumer = ConsumerSettings(
        ack_wait_seconds=settings.router_ack_wait_seconds,
        max_attempts=settings.router_max_attempts,
    )
    return policy, consumer


@contextlib.asynccontextmanager
async def build_router(settings: Settings) -> AsyncIterator:  # -> RouterWorker
    """A ready RouterWorker and everything it holds, closed on the way out."""
    from domain.routing.delivery_service import DeliveryService
    from projections.engine.log import EventLog
    from workers.adapters.temporal_client import FAST_FAIL, connect
    from workers.router.route_cache import RouteCache
    from workers.router.routing import Router
    from workers.router.sources import LogEvents, ReadModelRoutes
    from workers.router.worker import RouterWorker

    url = database_url(settings)
    store = build_store(settings, url)
    pool = async_pool(
        url,
        min_size=1,
        max_size=2,
        open=False,
        kwargs={"row_factory": dict_row, "autocommit": True},
    )
    sandbox = route_sandbox(settings)
    try:
        await pool.open()
        # Start every sandbox process now (at once: each call takes an idle one), not inside
        # the deadline of the first events' evaluations.
        workers = range(settings.route_eval_workers)
        await asyncio.gather(*(asyncio.to_thread(sandbox.check, None, ".") for _ in workers))
        client = await connect(temporal_config(settings), name="router", retry=FAST_FAIL, lazy=True)
        policy, consumer = router_policy(settings)
        router = Router(
            client, sandbox, RouteCache(ReadModelRoutes(pool)), DeliveryService(store), policy
        )
        yield RouterWorker(router, LogEvents(EventLog(store)), bus_config(settings), consumer)
    finally:
        sandbox.close()
        await pool.close()
        store.close()


def run_router(settings: Settings) -> None:
    """Route the bus's events to Temporal until SIGINT/SIGTERM."""
    configure_logging(settings.log_level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with build_router(settings) as worker:
            settle_gc()
            running = asyncio.create_task(worker.run(stop))
            await asyncio.wait(
                [running, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
            )
            # The message in hand may be waiting out a Temporal outage: cut it short (it is
            # unacked, so it comes back, and its signal cannot be sent twice).
            done, _ = await asyncio.wait([running], timeout=STOP_GRACE_SECONDS)
            if not done:
                running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    asyncio.run(main())
