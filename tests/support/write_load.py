"""A steady create load over HTTP from client threads that retry like a careful client: the
same Idempotency-Key on connection errors, 5xx and "in progress" 409s, until the write gets
a final answer; then a count of the results in the read models."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

IN_PROGRESS = "Request in progress"  # the idempotency 409: the first try is still running


@dataclass
class Outcome:
    confirmed: dict[str, int] = field(default_factory=dict)  # name -> position of its 2xx
    rejected: dict[str, int] = field(default_factory=dict)  # name -> final 4xx status
    unresolved: list[str] = field(default_factory=list)  # no final answer in time
    retried: Counter[str] = field(default_factory=Counter)  # why a try was repeated


class WriteLoad:
    def __init__(
        self, base_url: str, token: str, prefix: str, *, threads: int = 4, give_up: float = 15
    ) -> None:
        self.base_url, self.token, self.prefix = base_url, token, prefix
        self.give_up = give_up
        self.outcome = Outcome()
        self._stop = threading.Event()
        self._last_try = float("inf")  # once stopped, writes in retry get a few more seconds
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(threads)
        ]

    def __enter__(self) -> WriteLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._last_try = time.monotonic() + 3
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.give_up + 10)

    def confirmed_count(self) -> int:
        with self._lock:
            return len(self.outcome.confirmed)

    def wait_for_more(self, count: int, timeout: float = 30) -> None:
        """Block until `count` more writes are confirmed: the tree serves writes again."""
        target = self.confirmed_count() + count
        deadline = time.monotonic() + timeout
        while self.confirmed_count() < target:
            assert time.monotonic() < deadline, f"writes stalled: {self.outcome.retried}"
            time.sleep(0.05)

    def _client(self, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=10) as http:
            sequence = 0
            while not self._stop.is_set():
                sequence += 1
                self._write(http, f"{self.prefix}-{number}-{sequence}")

    def _write(self, http: httpx.Client, name: str) -> None:
        key, deadline = uuid.uuid4().hex, time.monotonic() + self.give_up
        while time.monotonic() < min(deadline, self._last_try):
            try:
                answer = http.post(
                    "/v1/orgs", json={"name": name}, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError as exc:
                self._retry(type(exc).__name__)
                continue
            if answer.status_code >= 500 or (
                answer.status_code == 409 and answer.json().get("title") == IN_PROGRESS
            ):
                self._retry(str(answer.status_code))
                continue
            with self._lock:
                if answer.is_success:
                    position = int(answer.headers["X-Signalyard-Position"])
                    self.outcome.confirmed[name] = position
                else:
                    self.outcome.rejected[name] = answer.status_code
            return
        with self._lock:
            self.outcome.unresolved.append(name)

    def _retry(self, why: str) -> None:
        with self._lock:
            self.outcome.retried[why] += 1
        time.sleep(0.1)


def names_in_read_model(api: httpx.Client, prefix: str, min_position: int) -> Counter[str]:
    """Every org name with the prefix, as the query API lists them, once caught up."""
    names: Counter[str] = Counter()
    params: dict[str, str | int] = {"page_size": 200, "min_position": min_position}
    deadline = time.monotonic() + 30  # a restarted projection may still be catching up
    while True:
        page = api.get("/v1/orgs", params=params)
        if page.status_code == 503 and time.monotonic() < deadline:
            continue  # the API waited (bounded) for the position; ask again
        assert page.status_code == 200, page.text
        body = page.json()
        names.update(o["name"] for o in body["items"] if o["name"].startswith(prefix))
        if not body.get("next_page_token"):
            return names
        params = {"page_size": 200, "page_token": body["next_page_token"]}
