"""Follows the notification log for one follower (say a read model's live schema), exactly once.

One connection per runner does everything: it holds the leader advisory lock (so the lock
dies with the session and a standby takes over), it LISTENs on the log's channel (psycopg
keeps notifications that arrive during a batch in a backlog, so no wake-up is lost), and it
runs the batch transactions in which the follower takes in events and records its position.
A failed batch is rolled back and tried again after a capped, growing delay; the session
(and with it the lock and the LISTEN) is given up and made again unless the error was a
transient one on a sound session.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

import psycopg
from psycopg import sql

from projections.engine.base import Projection, batch_key, ensure_meta, leader_key, notify_progress
from projections.engine.follower import Follower, as_follower
from projections.engine.log import EventLog
from projections.engine.runner_state import clear, report_retrying
from projections.engine.transient import backoff, describe_error, is_transient

logger = logging.getLogger(__name__)

WAIT_SLICE = 0.1  # how often a waiting runner looks at its stop flag


def connect(
    conninfo: str, purpose: str, *, application_name: str | None = None
) -> psycopg.Connection:
    conn = psycopg.connect(
        conninfo,
        autocommit=True,
        application_name=application_name or f"signalyard-{purpose}",
        # The client notices a silently dropped connection within about half a minute
        # (instead of blocking on it for hours) and reconnects; ignored on Unix sockets.
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )
    # And the server notices a vanished leader (and frees its lock) as soon.
    conn.execute("SET tcp_keepalives_idle = 10")
    conn.execute("SET tcp_keepalives_interval = 5")
    conn.execute("SET tcp_keepalives_count = 3")
    return conn


class ProjectionRunner:
    def __init__(
        self,
        conninfo: str,
        follower: Follower | Projection,
        log: EventLog,
        *,
        batch_size: int = 500,
        max_attempts: int = 3,
        poll_interval: float = 1.0,
        standby_retry: float = 1.0,
        min_batch_interval: float = 0.0,
    ) -> None:
        self.conninfo = conninfo
        self.follower = as_follower(follower, max_attempts=max_attempts)
        self.log = log
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.standby_retry = standby_retry
        # Under a steady write load a NOTIFY arrives every few milliseconds; applying each
        # as its own batch costs a transaction of several round trips in every read model.
        # A batch starts at most this often while events keep coming (an idle model still
        # applies the next event as soon as it is notified).
        self.min_batch_interval = min_batch_interval
        self._batch_started = float("-inf")
        self.name = self.follower.name
        # Its own name in pg_stat_activity, apart from a standby's of the same projection.
        self.application_name = f"signalyard-projection-{self.name}-{secrets.token_hex(3)}"
        self._conn: psycopg.Connection | None = None
        self._leader = False
        self._failures = 0  # consecutive failed batches

    @property
    def is_leader(self) -> bool:
        return self._leader

    def run_forever(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    processed = self.process_batch()
                    self._recovered()
                    if not self._leader:
                        stop.wait(self.standby_retry)
                    elif processed < self.batch_size:
                        self._await_log(self.poll_interval, stop)
                        too_soon = self._batch_started + self.min_batch_interval
                        stop.wait(max(0.0, too_soon - time.monotonic()))
                except Exception as exc:
                    stop.wait(self._failed(exc))
        finally:
            self.close()

    def run_until(self, position: int, timeout: float) -> None:
        """Like run_forever until `position`; only transient errors are retried."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                processed = self.process_batch()
                self._recovered()
            except Exception as exc:
                if not is_transient(exc, self._conn):
                    raise
                processed = 0
                time.sleep(min(self._failed(exc), max(deadline - time.monotonic(), 0)))
            if self.position() >= position:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"projection {self.name} did not reach {position}")
            if processed < self.batch_size and not self._failures:
                if self._leader:
                    self._await_log(min(remaining, self.poll_interval))
                else:  # another process is the leader: watch its progress
                    time.sleep(min(remaining, 0.05))

    def process_batch(self) -> int:
        self._batch_started = time.monotonic()
        if not self._lead():
            return 0
        conn = self._conn  # the session holding the lock; if it broke, the batch fails
        assert conn is not None
        with conn.transaction():
            # Serialises with a rebuild's swap and with any overlapping former leader;
            # the tracking position is read only after it, so nothing is applied twice.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(self.name),))
            batch = self.follower.follow(conn, self.log, self.batch_size)
            if batch.count:
                with conn.cursor() as cur:
                    notify_progress(cur, self.name, batch.position)
        return batch.count

    def position(self) -> int:
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                return self.follower.position(cur)
        except psycopg.errors.UndefinedTable:
            return 0

    def __enter__(self) -> ProjectionRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Closing the session releases the leader lock for a standby."""
        self._leader = False
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _failed(self, exc: Exception) -> float:
        """Log the failed batch (already rolled back) and say how long to wait. A transient
        error on a sound session keeps it and its leadership; anything else, or a lost
        session, closes it: that frees the lock for a standby, and this one comes back."""
        self._failures += 1
        delay = backoff(self._failures)
        transient = is_transient(exc, self._conn)
        if transient:
            logger.warning(
                "projection %s: transient database error (%s); retry %d in %.2f s",
                self.name,
                describe_error(exc),
                self._failures,
                delay,
            )
        else:
            logger.exception(
                "projection %s: failed; retry %d in %.2f s", self.name, self._failures, delay
            )
        if self._leader:
            report_retrying(self._conn, self.name, describe_error(exc), self._failures)
        conn = self._conn
        if not transient or conn is None or conn.broken or conn.closed:
            self.close()
        return delay

    def _recovered(self) -> None:
        if self._failures and self._leader and self._conn is not None:
            clear(self._conn, self.name)
        self._failures = 0

    def _lead(self) -> bool:
        conn = self._connection()  # a broken session has lost the lock: start over
        if self._leader:
            return True
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (leader_key(self.name),)).fetchone()
        if not (row and row[0]):
            return False
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (batch_key(self.name),))
                ensure_meta(cur)
                self.follower.prepare(cur)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.log.channel)))
            clear(conn, self.name)  # whatever a former leader reported is over
        except Exception:
            self.close()
            raise
        logger.info("projection %s: leader (backend %s)", self.name, conn.info.backend_pid)
        self._leader = True
        return True

    def _connection(self) -> psycopg.Connection:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self.close()
        if self._conn is None:
            self._conn = connect(
                self.conninfo, "projection", application_name=self.application_name
            )
        return self._conn

    def _await_log(self, timeout: float, stop: threading.Event | None = None) -> None:
        """Return on a NOTIFY from the log (or one received during the last batch), on
        stop, or after `timeout`: the fallback poll."""
        conn = self._connection()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            if stop is not None and stop.is_set():
                return
            woken = False
            for _ in conn.notifies(timeout=min(WAIT_SLICE, remaining), stop_after=1):
                woken = True  # keep iterating: the generator drains the whole backlog
            if woken:
                return


def run_projections(
    conninfo: str,
    projections: list[Follower | Projection],
    log: EventLog,
    stop: threading.Event,
    *,
    min_batch_interval: float = 0.0,
) -> None:
    """Run each follower in its own thread (one connection each) until `stop` is set."""
    threads = [
        threading.Thread(
            target=ProjectionRunner(
                conninfo, projection, log, min_batch_interval=min_batch_interval
            ).run_forever,
            args=(stop,),
            name=f"projection-{projection.name}",
            daemon=True,
        )
        for projection in projections
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
