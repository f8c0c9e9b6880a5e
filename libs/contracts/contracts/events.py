"""The envelope every event travels in.

``{event_id, event_type, occurred_at, correlation_id, data}``. Events carry ids and
facts, never secrets, codes, passwords or raw personal data.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Envelope(TypedDict):
    event_id: str
    event_type: str
    source: str
    occurred_at: str
    correlation_id: str | None
    data: dict[str, Any]
