"""A real HTTP receiver of callbacks on 127.0.0.1: answers with scripted statuses and keeps
every request it got (headers and body), for tests to verify signatures against."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int]  # answered in order; the last one repeats
    redirect_to: str | None = None
    got: list[Received] = field(default_factory=list)
    # While set, the first request waits for it to be released before it is answered.
    hold_first: threading.Event | None = None

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@contextmanager
def receiver(statuses: list[int], redirect_to: str | None = None) -> Iterator[Receiver]:
    state = Receiver("", list(statuses), redirect_to)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            state.got.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if state.hold_first is not None and len(state.got) == 1:
                state.hold_first.wait(30)
            status = state.next_status()
            self.send_response(status)
            if 300 <= status < 400 and state.redirect_to:
                self.send_header("Location", state.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST  # noqa: N815 - health probes GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="test-receiver")
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
