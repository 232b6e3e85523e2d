"""The health checker: probes each due infra service with its timeout, counts failures in
the liveness table, and records a change of health (healthy after one good probe,
unhealthy after `unhealthy_after` consecutive failures) as an event.

Restart-safe: an event recorded whose liveness copy was not written is found again (the
use case is a no-op when the aggregate already has that health).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg

from domain.infra.infra_service_commands import InfraServices
from projections.infra_services import liveness
from workers.health.probes import probe

log = logging.getLogger(__name__)


class HealthChecker:
    def __init__(
        self,
        services: InfraServices,
        conninfo: str,
        *,
        unhealthy_after: int = 3,
        poll_seconds: float = 1.0,
        parallel: int = 8,
    ) -> None:
        self.services = services
        self.conninfo = conninfo
        self.unhealthy_after = unhealthy_after
        self.poll_seconds = poll_seconds
        self.pool = ThreadPoolExecutor(parallel, thread_name_prefix="probe")

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                except Exception:  # noqa: BLE001 - the checker outlives a bad round
                    log.warning("health checker: round failed, retrying", exc_info=True)
                stop.wait(self.poll_seconds)
        finally:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def run_once(self, now: datetime | None = None) -> int:
        """Probe every service due by `now` once; how many were probed."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            due = liveness.due_services(conn, now or datetime.now(tz=UTC), 200)
            results = list(self.pool.map(self._probe, due))
            for service_id, outcome in zip(due, results, strict=True):
                if outcome is not None:
                    self._record(conn, service_id, *outcome)
            return len(due)

    def _probe(self, service_id: UUID) -> tuple[str | None, float] | None:
        try:
            target = self.services.probe_target(service_id)
        except Exception:  # noqa: BLE001 - e.g. sealed with another key: unhealthy, say why
            log.warning("infra service %s: URL not readable", service_id, exc_info=True)
            return "the connection URL cannot be opened (sealing key changed?)", 60.0
        if target is None:
            return None
        service, url = target
        return probe(service.service_type, url, service.timeout_seconds), float(
            service.check_interval_seconds
        )

    def _record(
        self, conn: psycopg.Connection, service_id: UUID, error: str | None, interval: float
    ) -> None:
        now = datetime.now(tz=UTC)
        fails = liveness.record_probe(
            conn, service_id, error is None, error, now, now + timedelta(seconds=interval)
        )
        if error is None:
            self.services.record_health(service_id, True, 0, "probe succeeded")
            liveness.note_health(conn, service_id, True)
        elif fails >= self.unhealthy_after:
            reason = f"{fails} consecutive failed probes: {error}"
            self.services.record_health(service_id, False, fails, reason)
            liveness.note_health(conn, service_id, False)
