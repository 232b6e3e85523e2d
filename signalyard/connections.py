"""How the processes connect to Postgres: TCP keepalives and a connect timeout on every
connection, and a check of every pooled connection at checkout.

After a database restart every pooled connection is dead, and psycopg_pool, when a checked
connection fails, waits 1 s, 2 s, 4 s... before trying the next one: with a pool full of
dead connections the first requests after the restart would fail or hang for seconds. So
the first dead connection found sweeps the pool (`pool.check()`: every idle connection is
pinged, the dead are replaced) and the request waits only for a fresh connection.

The check itself costs no round trip for a connection in steady use: an idle pooled
connection has nothing to read, so a readable socket means the server closed it or said
something unasked (a restart, a terminated backend, an idle timeout) and only then is it
pinged; one that sat unused for a while (where a silent network drop could hide) is
pinged anyway. A command checks out a connection for every query it makes (about two
dozen for a create), so a ping on each checkout would cost that many round trips.
"""

from __future__ import annotations

import select
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool, ConnectionPool

# Notice a silently dropped peer within about half a minute instead of the OS default of
# hours (a waiting reader would otherwise hang that long).
OPTIONS: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "connect_timeout": 5,
}
IDLE_PING_SECONDS = 2.0


def with_options(url: str) -> str:
    """The URL with OPTIONS added (what the URL sets itself wins)."""
    info = conninfo_to_dict(url)
    return make_conninfo(**{**OPTIONS, **info})


def _readable(conn: Any) -> bool:
    try:
        fd = conn.fileno()
    except Exception:  # noqa: BLE001 - closed: certainly not usable
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Suspicion:
    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._last_seen: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def needs_ping(self, conn: Any) -> bool:
        now = time.monotonic()
        last = self._last_seen.get(conn)
        self._last_seen[conn] = now
        return last is None or now - last > self.idle_seconds or _readable(conn)


class CheckoutCheck(_Suspicion):
    """The `check` of a ConnectionPool (set with `guard`)."""

    def __init__(self, sweep: Callable[[], None], idle_seconds: float = IDLE_PING_SECONDS):
        super().__init__(idle_seconds)
        self.sweep = sweep

    def __call__(self, conn: Any) -> None:
        if not self.needs_ping(conn):
            return
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            self.sweep()
            raise


class AsyncCheckoutCheck(_Suspicion):
    """The `check` of an AsyncConnectionPool (built with `async_pool`)."""

    def __init__(self, idle_seconds: float = IDLE_PING_SECONDS) -> None:
        super().__init__(idle_seconds)
        self.sweep: Callable[[], Awaitable[None]] | None = None

    async def __call__(self, conn: Any) -> None:
        if not self.needs_ping(conn):
            return
        try:
            await AsyncConnectionPool.check_connection(conn)
        except Exception:
            if self.sweep is not None:
                await self.sweep()
            raise


def guard(pool: ConnectionPool, *, check: bool = True, idle_seconds: float = IDLE_PING_SECONDS):
    """Connection options and the checkout check for a pool built elsewhere, before it opens."""
    pool.kwargs = {**OPTIONS, **(pool.kwargs or {})}
    if check:  # psycopg_pool keeps the check callback here
        pool._check = CheckoutCheck(pool.check, idle_seconds)  # noqa: SLF001


def async_pool(url: str, **options: Any) -> AsyncConnectionPool:
    check = AsyncCheckoutCheck()
    pool = AsyncConnectionPool(with_options(url), check=check, **options)
    check.sweep = pool.check
    return pool
