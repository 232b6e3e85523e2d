"""Reads retried once when their database connection turns out to be dead.

A pooled connection can die between its checkout check and its query (the server
restarted, the backend was terminated): a read is safe to run again, so it is, once, on a
fresh connection, instead of answering 503. Lock timeouts, cancelled queries and an
exhausted pool are not lost connections: they still answer 503 at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import psycopg
from fastapi import Request, Response
from fastapi.routing import APIRoute
from psycopg_pool import PoolTimeout

log = logging.getLogger("signalyard.api")

SAFE_METHODS = {"GET", "HEAD"}
# SQLSTATE classes of a connection that is gone: connection exception, operator
# intervention (admin or crash shutdown, cannot connect now).
_LOST_STATES = ("08", "57P")


def connection_lost(exc: BaseException) -> bool:
    # The event store wraps psycopg's errors in its own (raised `from` them).
    for error in (exc, exc.__cause__):
        if isinstance(error, psycopg.OperationalError) and not isinstance(error, PoolTimeout):
            state = error.sqlstate
            return state is None or state.startswith(_LOST_STATES)
    return False


class ReadRetryRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not self.methods or not self.methods <= SAFE_METHODS:
            return handler

        async def retrying(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                log.info("read on a lost connection, retrying: %s %s", request.url.path, exc)
                return await handler(request)

        return retrying
