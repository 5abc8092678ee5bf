"""The guard of every fetch the service makes for a user: public addresses only.

``public_address`` decides one IP address: global unicast only, so no loopback, private,
shared (100.64/10), link-local (the cloud metadata 169.254.169.254), unspecified
(0.0.0.0, ::), multicast, broadcast or reserved ranges; an IPv6 address that carries an
IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) is judged by the IPv4 address it carries.

``GuardedResolver`` is the aiohttp resolver of a fetch: it resolves with an injected
resolver (aiohttp's by default), keeps only the addresses the guard allows and hands
those to the connector, which connects to exactly them. The check and the connection
use the same address, so a second DNS answer cannot slip a private address in; every
redirect is a new connection and is checked again. ``allowed_networks`` lets tests
reach 127.0.0.1 (a test-only setting, never the default).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to (as text)
Lookup = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class AddressRefused(OSError):
    """A host resolved to no address the guard allows."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    value = int(ip)
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def public_address(address: str | IPAddress, allowed_networks: Sequence[Any] = ()) -> bool:
    """Whether the service may connect to ``address``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return False
    if any(ip in ipaddress.ip_network(net) for net in allowed_networks):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried is not None:
            return public_address(carried)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback
                                 or ip.is_link_local or ip.is_private)


async def _default_lookup(host: str, port: int) -> list[str]:
    resolver = DefaultResolver()
    try:
        return [r["host"] for r in await resolver.resolve(host, port, family=socket.AF_UNSPEC)]
    finally:
        await resolver.close()


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver interface: only the addresses ``public_address`` allows."""

    def __init__(self, lookup: Lookup | None = None, allowed_networks: Sequence[str] = ()) -> None:
        self.lookup = lookup or _default_lookup
        self.allowed_networks = tuple(allowed_networks)

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_UNSPEC) -> list[dict[str, Any]]:
        addresses = await self.lookup(host, port)
        allowed = [a for a in addresses if public_address(a, self.allowed_networks)]
        if not allowed:
            raise AddressRefused(f"{host} resolves to no public address ({', '.join(addresses) or 'none'})")
        return [
            {"hostname": host, "host": a, "port": port, "proto": 0, "flags": socket.AI_NUMERICHOST,
             "family": socket.AF_INET6 if ":" in a else socket.AF_INET}
            for a in allowed
        ]

    async def close(self) -> None:
        pass


__all__ = ["AddressRefused", "GuardedResolver", "Lookup", "embedded_ipv4", "public_address"]
