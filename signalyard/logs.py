"""Each process's logging: the level from settings; HTTP clients' per-request lines (a
dispatcher's heartbeat every two seconds) only when something is wrong."""

from __future__ import annotations

import logging

QUIET = ("httpx", "httpcore")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
