"""Which network addresses a callback may reach (the SSRF guard's rule, without I/O).

Anything not globally routable is refused (private, loopback, link-local, multicast,
reserved, unique-local IPv6, shared address space, 0.0.0.0), also when wrapped in an
IPv4-mapped or 6to4 IPv6 address, unless the operator allowed it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CallbackPolicy:
    """What the operator allows beyond the public internet (SIGNALYARD_CALLBACK_ALLOW_PRIVATE,
    SIGNALYARD_CALLBACK_ALLOWED_HOSTS: host names or IP addresses, compared lower-case)."""

    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    def allows_host(self, host: str) -> bool:
        return self.allow_private or host.lower().strip("[]") in self.allowed_hosts


def unwrapped(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped or 6to4), else the address itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def refusal(ip: IPAddress) -> str | None:
    """Why a callback may not connect to `ip`, or None when it is a public address."""
    inner = unwrapped(ip)
    # A mapped address is the IPv4 one it carries; a 6to4 one is checked as both.
    mapped = isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None
    for candidate in (inner,) if mapped else (ip, inner):
        if candidate.is_unspecified:
            return f"{ip} is unspecified"
        if candidate.is_loopback:
            return f"{ip} is a loopback address"
        if candidate.is_link_local:
            return f"{ip} is a link-local address"
        if candidate.is_multicast:
            return f"{ip} is a multicast address"
        if candidate.is_private:
            return f"{ip} is a private address"
        if candidate.is_reserved or not candidate.is_global:
            return f"{ip} is not a public address"
    return None


def literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
