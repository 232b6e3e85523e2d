"""The API keeps serving across a Postgres restart: once the server answers again, no
request fails on a pooled connection that died while it was away, and none hangs."""

from __future__ import annotations

import time

import pytest
from support.stack import start_stack
from support.traffic import Traffic

from signalyard.embedded import EmbeddedPostgres

LOCK_TIMEOUT = 2


@pytest.fixture
def own_server(service_dir):
    # Its own server: restarting the shared session server would break other tests.
    server = EmbeddedPostgres(service_dir / "pg")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_requests_after_a_database_restart_succeed_and_none_hangs(own_server):
    stack = start_stack(own_server.url, lock_timeout_seconds=LOCK_TIMEOUT)
    try:
        admin = stack.admin()
        created = admin.post("/v1/orgs", json={"name": "Steady"})
        assert created.status_code == 201, created.text
        reads = ["/v1/orgs/steady", "/v1/orgs?page_size=5", "/v1/me"]
        # Enough concurrent clients to fill the pools with connections the restart kills;
        # then quiet while it restarts, so that no request discards them meanwhile.
        with Traffic(stack.base_url, stack.admin_token, reads, "warm") as warm:
            time.sleep(1.5)
        own_server.restart()
        with Traffic(stack.base_url, stack.admin_token, reads, "after") as after:
            time.sleep(2)
            # And once more with requests arriving while the server is away.
            second = time.monotonic()
            own_server.restart()
            back = time.monotonic()
            time.sleep(2)
    finally:
        stack.stop()
    assert all(r.status in (200, 201) for r in warm.requests), warm.requests[-3:]
    first = [r for r in after.requests if r.finished < second]
    assert len({r.kind for r in first}) == 2
    failed = [r for r in first if r.status not in (200, 201)]
    assert not failed, f"{len(failed)} of {len(first)} failed: {failed[:5]}"
    once_back = [r for r in after.requests if r.started > back]
    failed = [r for r in once_back if r.status not in (200, 201)]
    assert once_back and not failed, f"{len(failed)} of {len(once_back)} failed: {failed[:5]}"
    slowest = max(after.requests, key=lambda r: r.seconds)
    assert slowest.seconds < LOCK_TIMEOUT, slowest
    print(
        f"{len(first)} requests after a quiet restart, {len(once_back)} after a busy one; "
        f"slowest {slowest.seconds:.2f} s ({slowest.kind}, {slowest.status})"
    )
