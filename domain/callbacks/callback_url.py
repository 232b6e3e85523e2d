"""A callback URL as accepted at submission: http(s), a host, no credentials, and no
literal address the SSRF guard would refuse anyway (host names are checked again after
DNS resolution, at connect time, by the sender)."""

from __future__ import annotations

from urllib.parse import urlsplit

from domain.callbacks.addresses import CallbackPolicy, literal_ip, refusal
from domain.core.errors import InvalidInput

MAX_URL = 2000


def validate_callback_url(
    value: object, policy: CallbackPolicy, field: str = "callback_url"
) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL:
        raise InvalidInput(f"{field} must be a URL of 1-{MAX_URL} characters", field=field)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{field} is not a valid URL", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"{field} must be an http or https URL", field=field)
    host = parts.hostname
    if not host or any(c.isspace() for c in value):
        raise InvalidInput(f"{field} must name a host", field=field)
    if parts.username is not None or parts.password is not None:
        # They would be stored in events; receivers authenticate us by the signature.
        raise InvalidInput(f"{field} must not carry credentials", field=field)
    if port == 0:
        raise InvalidInput(f"{field} has an invalid port", field=field)
    ip = literal_ip(host)
    if ip is not None and not policy.allows_host(host):
        reason = refusal(ip)
        if reason is not None:
            raise InvalidInput(f"{field} is not allowed: {reason}", field=field)
    return value
