"""Read-your-writes for the async query API: wait until projections reach a position.

One connection per process LISTENs on the progress channel that every runner notifies in
its batch transaction; positions are kept in memory and waiting requests are futures that
are resolved as notifications arrive, so a request costs no query and no polling. A slow
re-read of all tracking rows covers anything missed while reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import sql

from projections.engine.base import PROGRESS_CHANNEL, TRACKING_TABLE

logger = logging.getLogger(__name__)

# Live schemas only: a rebuild's shadow must not count as progress of the live model.
_DISCOVER = (
    "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relname = %s AND n.nspname LIKE 'rm\\_%%'"
    " AND n.nspname NOT LIKE '%%\\_\\_rebuild' AND n.nspname NOT LIKE '%%\\_\\_old'"
)

_LISTEN = sql.SQL("LISTEN {}").format(sql.Identifier(PROGRESS_CHANNEL))


class ProgressWaiter:
    def __init__(
        self, conninfo: str, *, refresh_interval: float = 5.0, reconnect_delay: float = 1.0
    ) -> None:
        self.conninfo = conninfo
        self.refresh_interval = refresh_interval
        self.reconnect_delay = reconnect_delay
        self._positions: dict[str, int] = {}
        self._waiting: dict[int, tuple[tuple[str, ...], int, asyncio.Future[bool]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    async def start(self, ready_timeout: float = 5.0) -> None:
        """Returns once positions are loaded (or after `ready_timeout`; it keeps trying)."""
        self._ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="progress-waiter")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ready_timeout):
                await self._ready.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for _, _, future in self._waiting.values():
            if not future.done():
                future.set_result(False)

    def position(self, name: str) -> int:
        return self._positions.get(name, 0)

    async def wait_for(self, names: list[str], min_position: int, timeout: float) -> bool:
        key = tuple(names)
        if self._reached(key, min_position):
            return True
        if timeout <= 0:
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[id(future)] = (key, min_position, future)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            return self._reached(key, min_position)
        finally:
            self._waiting.pop(id(future), None)

    def reached(self, names: tuple[str, ...] | list[str], min_position: int) -> bool:
        """Whether every named read model has applied the log up to this position."""
        return self._reached(tuple(names), min_position)

    def _reached(self, names: tuple[str, ...], min_position: int) -> bool:
        return all(self._positions.get(name, 0) >= min_position for name in names)

    def _advance(self, name: str, position: int) -> None:
        # Kept monotonic: a re-read can race notifications of earlier commits.
        if position <= self._positions.get(name, 0):
            return
        self._positions[name] = position
        for names, min_position, future in self._waiting.values():
            if name in names and not future.done() and self._reached(names, min_position):
                future.set_result(True)

    async def _run(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo,
                    autocommit=True,
                    application_name="signalyard-progress-waiter",
                    # Notice a silently dropped connection instead of waiting forever.
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=3,
                ) as conn:
                    await conn.execute(_LISTEN)
                    # After LISTEN, so nothing committed between the two is missed.
                    await self._refresh(conn)
                    assert self._ready is not None
                    self._ready.set()
                    while True:
                        async for notify in conn.notifies(timeout=self.refresh_interval):
                            self._on_notify(notify.payload)
                        await self._refresh(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep serving; waits time out meanwhile
                logger.warning("progress waiter: %s; reconnecting", exc)
                await asyncio.sleep(self.reconnect_delay)

    def _on_notify(self, payload: str) -> None:
        name, _, position = payload.rpartition(":")
        try:
            self._advance(name, int(position))
        except ValueError:
            logger.warning("progress waiter: bad payload %r", payload)

    async def _refresh(self, conn: psycopg.AsyncConnection) -> None:
        cur = await conn.execute(_DISCOVER, (TRACKING_TABLE,))
        schemas = [row[0] for row in await cur.fetchall()]
        if not schemas:
            return
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}, position FROM {}").format(
                sql.Literal(schema[len("rm_") :]), sql.Identifier(schema, TRACKING_TABLE)
            )
            for schema in schemas
        )
        try:
            cur = await conn.execute(query)
        except psycopg.errors.UndefinedTable:  # dropped since discovery: next round
            return
        for name, position in await cur.fetchall():
            self._advance(name, position)
