"""Which address a request comes from, for per-client quotas.

``X-Forwarded-For`` is believed only as far as it was written by a proxy listed
in ``TRUSTED_PROXIES``: walking the header from the right (the nearest hop
first), every hop that is itself a trusted proxy is skipped, and the first one
that is not is the client. Anyone can send the header, so without trusted
proxies it is ignored entirely.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    remote_addr: str | None, forwarded_for: str | None, networks: tuple[Network, ...]
) -> str:
    address = remote_addr or ""
    if not networks or not forwarded_for:
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    while _trusted(address, networks) and hops:
        hop = hops.pop()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # A garbled header: stop at the last hop we can vouch for. Fail closed:
            # everyone behind that proxy then shares its quota.
            break
        address = hop
    return address
