"""Which database errors are transient, and how long to wait before trying again.

A transient error says nothing about the event being applied: the same batch succeeds once
the deadlock, the lock holder, the memory pressure or the network fault is gone. Such a
batch is rolled back and retried whole; nothing is quarantined. Anything else that fails
the same way every time (a handler's own exception, a data error 22xxx or 23xxx) is poison.
"""

from __future__ import annotations

import random

import psycopg
from psycopg.errors import PipelineAborted

# 08: connection exception; 40: serialization failure, deadlock; 53: insufficient
# resources; 57P0x: the server terminated the session or is shutting down.
TRANSIENT_CLASSES = ("08", "40", "53")
TRANSIENT_STATES = frozenset({"55P03", "57014", "57P01", "57P02", "57P03"})

FIRST_DELAY = 0.05
MAX_DELAY = 10.0


class TransientDatabaseError(Exception):
    """Raised out of a batch so that its whole transaction is rolled back and retried."""


def is_transient(exc: BaseException, conn: psycopg.Connection | None = None) -> bool:
    if conn is not None and (conn.broken or conn.closed):
        return True
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 8:  # a handler may have wrapped the database error
        if isinstance(cause, TransientDatabaseError):
            return True
        # An earlier statement of the pipeline failed: that error, if any, decides.
        if isinstance(cause, psycopg.Error) and not isinstance(cause, PipelineAborted):
            state = cause.sqlstate
            if state is None:  # no answer from the server at all: the connection failed
                return isinstance(cause, psycopg.OperationalError)
            return state[:2] in TRANSIENT_CLASSES or state in TRANSIENT_STATES
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return False


def describe_error(exc: BaseException) -> str:
    state = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{state}: {text}" if state else text


def backoff(attempt: int) -> float:
    """Exponential from FIRST_DELAY, capped, with jitter so that runners do not retry in
    step against the same lock."""
    delay = min(MAX_DELAY, FIRST_DELAY * 2 ** max(attempt - 1, 0))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - not for security
