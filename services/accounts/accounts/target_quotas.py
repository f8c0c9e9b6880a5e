"""Quotas per target: how often one document or organisation code may be asked
about, whoever asks (issue 12, finding 1).

The gateway limits each client address; an answer that tells whether something
is registered is also limited per thing asked about, so that many addresses (or
many phones) cannot poll one document. The subject is the keyed blind index of
``accounts.personal_data``, never the number in clear; counted by servicekit's
one rate limiter (``deps.quotas``, keys under ``<prefix>accounts:quota``).

Fail-open or closed? Closed: if Redis is down the count raises and the request
fails with 503, as a login does; these answers are what the quota protects.
"""

from __future__ import annotations

from contracts.errors import RateLimited

from accounts.deps import Deps

WINDOW_SECONDS = 3600


def require(
    deps: Deps,
    name: str,
    subject: str,
    limit: int,
    code: str,
    window: int = WINDOW_SECONDS,
    message: str = "Too many requests about this document; try again later.",
) -> None:
    """Count one question about ``subject``; ``RateLimited`` (``code``,
    ``retry_after``) past ``limit`` a ``window`` (seconds). A limit of 0 turns it
    off; so does a caller without Redis (``deps.quotas`` None: the CLI, which
    never registers or corrects)."""
    if limit <= 0 or deps.quotas is None:
        return
    wait = deps.quotas.hit(name, subject, limit, window)
    if wait:
        raise RateLimited(code, message, {"retry_after": wait})
