"""The platform's one clock: an aware UTC ``datetime`` (never a float, never naive).

Use cases take a ``clock`` argument so tests can hand them a fixed one; the
services hand them this.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)
