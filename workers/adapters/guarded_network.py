"""The SSRF guard at connect time: an httpcore network backend that resolves the host
itself, refuses it if any address it resolves to is not public (unless allowed by
configuration), and connects to an approved address — the one it checked, so a DNS answer
that changes between the check and the connect (rebinding) cannot redirect it. TLS still
verifies the certificate against the URL's host name (httpcore passes it as SNI)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpcore

from domain.callbacks.addresses import CallbackPolicy, refusal

# host, port -> the IP addresses (as text) to connect to, in order of preference.
Resolver = Callable[[str, int], list[str]]


class AddressRefused(httpcore.ConnectError):
    """The callback's host resolves to an address the policy refuses."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def approved_addresses(
    host: str, port: int, policy: CallbackPolicy, resolver: Resolver
) -> list[str]:
    addresses = resolver(host, port)
    if not addresses:
        raise httpcore.ConnectError(f"{host} resolves to no address")
    if policy.allows_host(host):
        return addresses
    for address in addresses:
        if policy.allows_host(address):
            continue
        reason = refusal(ipaddress.ip_address(address.split("%", 1)[0]))
        if reason is not None:
            raise AddressRefused(f"{host} is not allowed: {reason}")
    return addresses


class GuardedBackend(httpcore.SyncBackend):
    def __init__(self, policy: CallbackPolicy, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in approved_addresses(host, port, self.policy, self.resolver):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise AddressRefused("callbacks never use unix sockets")
