"""Per-request lines of HTTP clients stay out of the processes' logs; their warnings do not."""

from __future__ import annotations

import logging

from signalyard.logs import configure_logging


def test_http_client_request_lines_are_quiet_and_their_warnings_heard():
    root = logging.getLogger()
    before = root.level, [logging.getLogger(n).level for n in ("httpx", "httpcore")]
    try:
        root.setLevel(logging.INFO)
        configure_logging("INFO")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
        assert logging.getLogger("workers.dispatcher").isEnabledFor(logging.INFO)
    finally:
        root.setLevel(before[0])
        for name, level in zip(("httpx", "httpcore"), before[1], strict=True):
            logging.getLogger(name).setLevel(level)
