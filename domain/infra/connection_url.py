"""An infra service's connection URL: checked for its service type, shown only masked
(`postgres://user:***@host/db`), and kept in full only sealed (see `Sealer`)."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from domain.core.errors import InvalidInput

MAX_URL = 2000
MASK = "***"
SERVICE_TYPES = ("postgres", "nats", "temporal", "vault", "kubernetes", "http")
SCHEMES = {
    "postgres": ("postgres", "postgresql"),
    "nats": ("nats", "tls"),
    "temporal": ("temporal", "temporals"),  # temporals: over TLS
    "vault": ("http", "https"),
    "kubernetes": ("http", "https"),
    "http": ("http", "https"),
}
# Query parameters whose values are credentials (libpq's password, a token...).
_SECRET_PARAMS = ("password", "passwd", "pwd", "token", "secret", "key", "sslpassword")


class Sealer(Protocol):
    """Encrypts what must be usable later but never shown (the composition root's box)."""

    def seal(self, plaintext: str, context: str) -> str: ...

    def open(self, ciphertext: str, context: str) -> str: ...


def validate_service_type(value: object) -> str:
    if value not in SERVICE_TYPES:
        raise InvalidInput(
            f"service_type must be one of {', '.join(SERVICE_TYPES)}", field="service_type"
        )
    return str(value)


def validate_connection_url(value: object, service_type: str) -> str:
    field = "connection_url"
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL:
        raise InvalidInput(f"{field} must be a URL of 1-{MAX_URL} characters", field=field)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidInput(f"{field} is not a valid URL", field=field) from None
    schemes = SCHEMES[service_type]
    if parts.scheme not in schemes:
        raise InvalidInput(
            f"{field} of a {service_type} service must use {' or '.join(schemes)}", field=field
        )
    if not parts.hostname or any(c.isspace() for c in value):
        raise InvalidInput(f"{field} must name a host", field=field)
    return value


def masked(url: str) -> str:
    """The URL with its password and credential-like query values replaced by ***."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
