"""Cursor pagination over a stable order (the position of each row's Created event)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

MAX_PAGE_SIZE = 200
_POSITION = re.compile(r"[0-9]{1,19}")  # ASCII only: int() would also read "١" and "1_0"


class BadPageToken(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    size: int = 50
    after: int = 0  # created_position of the last row of the previous page

    @classmethod
    def from_request(cls, page_size: int, page_token: str | None) -> Page:
        return cls(size=page_size, after=decode_token(page_token) if page_token else 0)


def encode_token(position: int) -> str:
    return base64.urlsafe_b64encode(f"p:{position}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, value = raw.split(":", 1)
        if prefix != "p" or not _POSITION.fullmatch(value):
            raise ValueError(prefix)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPageToken("page_token is not valid") from exc


def next_token(rows: list[dict], page: Page) -> str | None:
    """Rows were fetched with LIMIT size + 1: a surplus row means there is a next page."""
    if len(rows) <= page.size:
        return None
    del rows[page.size :]
    return encode_token(rows[-1]["created_position"])
