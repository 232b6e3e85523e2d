"""URLs the platform stores and shows (callbacks, endpoints): http(s), a host, no secrets."""

from __future__ import annotations

from urllib.parse import urlsplit

from domain.core.errors import InvalidInput

MAX_URL = 2048


def validate_url(url: object, field: str) -> str | None:
    """http(s) only, a host, and no credentials: the URL is stored and shown."""
    if url is None:
        return None
    if not isinstance(url, str) or not 1 <= len(url) <= MAX_URL or not url.isprintable():
        raise InvalidInput(f"{field} must be a URL of at most {MAX_URL} characters", field=field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidInput(f"{field} is not a valid URL", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"{field} must use http or https", field=field)
    if not parts.hostname or " " in url:
        raise InvalidInput(f"{field} must name a host", field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{field} must not carry credentials", field=field)
    return url
