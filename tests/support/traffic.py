"""Reads and writes over HTTP from client threads, each request recorded with its timing
and result, for tests that break something underneath a serving API."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Request:
    kind: str  # "read" or "write"
    started: float
    finished: float
    status: int | None  # None: no HTTP answer
    detail: str

    @property
    def seconds(self) -> float:
        return self.finished - self.started


class Traffic:
    def __init__(
        self, base_url: str, token: str, read_paths: list[str], prefix: str, threads: int = 4
    ) -> None:
        self.base_url, self.token, self.read_paths = base_url, token, read_paths
        self.prefix = prefix
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(kind, n), daemon=True)
            for n in range(threads)
            for kind in ("read", "write")
        ]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _client(self, kind: str, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as http:
            sequence = 0
            while not self._stop.is_set():
                sequence += 1
                if kind == "read":
                    path = self.read_paths[sequence % len(self.read_paths)]
                    self._record(kind, lambda p=path: http.get(p))
                else:
                    body = {"name": f"{self.prefix}-{number}-{sequence}"}
                    key = {"Idempotency-Key": uuid.uuid4().hex}
                    self._record(
                        kind, lambda b=body, k=key: http.post("/v1/orgs", json=b, headers=k)
                    )
                time.sleep(0.01)

    def _record(self, kind: str, send) -> None:
        started = time.monotonic()
        try:
            answer = send()
            status, detail = answer.status_code, answer.text[:200]
        except httpx.HTTPError as exc:
            status, detail = None, repr(exc)
        self.requests.append(Request(kind, started, time.monotonic(), status, detail))
