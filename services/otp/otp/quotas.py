"""How sends are grouped for the quotas: by client address and by day."""

from __future__ import annotations

import ipaddress

from otp.store import DAY_MS, HOUR_MS

# The global daily ceiling follows the calendar day in China (UTC+8, no DST).
CHINA_OFFSET_MS = 8 * HOUR_MS
UNKNOWN_CLIENT = "unknown"


def client_bucket(client_ip: object) -> str:
    """The unit the per-address cap counts: one IPv4 address, or one IPv6 /64
    (a single subscriber usually holds a whole /64, so counting single IPv6
    addresses would let one client rotate through billions of them).

    Fail closed: callers that pass no usable address share one bucket, so a
    missing address can never mean "no cap".
    """
    if not isinstance(client_ip, str) or not client_ip.strip():
        return UNKNOWN_CLIENT
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return UNKNOWN_CLIENT
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def global_day(now_ms: int) -> tuple[str, int]:
    """The day bucket of the global ceiling and the ms until the next one starts."""
    local = now_ms + CHINA_OFFSET_MS
    day = local // DAY_MS
    return str(day), (day + 1) * DAY_MS - local
