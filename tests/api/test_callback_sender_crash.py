"""The callback sender killed with SIGKILL while its POST is in flight: a new sender sends
the delivery again with the same webhook-id (at-least-once; receivers dedupe on it), and
the delivery ends delivered, with both requests signed with the organization's secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from standardwebhooks import Webhook
from support.api import created, unique
from support.receiver import receiver
from support.stack import TEST_WEBHOOK_KEY, running_stack


def _sender(database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SIGNALYARD_WEBHOOK_SECRET_KEY": TEST_WEBHOOK_KEY,
        "SIGNALYARD_CALLBACK_ALLOWED_HOSTS": "127.0.0.1",
        "SIGNALYARD_CALLBACK_BACKOFF_BASE": "0.05",
        "SIGNALYARD_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "signalyard", "callbacks", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _until(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_sender_killed_mid_send_sends_again_with_the_same_webhook_id(module_db_url):
    with running_stack(module_db_url, callback_allowed_hosts="127.0.0.1") as stack:
        with stack.admin() as admin, receiver([200]) as hook:
            hook.hold_first = threading.Event()
            org = created(admin.post("/v1/orgs", json={"name": unique("crash")}))["slug"]
            secret = created(admin.post(f"/v1/orgs/{org}/callback-signing-key:rotate"))["secret"]
            ping = admin.post(f"/v1/orgs/{org}/callback-deliveries:ping", json={"url": hook.url})
            guid = created(ping)["guid"]
            first = _sender(stack.settings.database_url)
            try:
                _until(lambda: len(hook.got) == 1)  # the POST is in flight, unanswered
                first.send_signal(signal.SIGKILL)
                first.wait(10)
            finally:
                first.kill()
                hook.hold_first.set()
            second = _sender(stack.settings.database_url)
            try:

                def delivered() -> bool:
                    row = admin.get(f"/v1/orgs/{org}/callback-deliveries/{guid}").json()
                    return row["status"] == "delivered"

                _until(delivered)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(10)
        assert len(hook.got) == 2
        assert {r.headers["webhook-id"] for r in hook.got} == {guid}
        assert hook.got[0].body == hook.got[1].body
        for request in hook.got:
            Webhook(secret).verify(request.body, request.headers)
