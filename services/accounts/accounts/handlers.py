"""The accounts use cases, as plain functions (no Nameko import)."""

from __future__ import annotations

import uuid

from contracts.errors import InvalidInput, field_error


def send_pipeline_canary(emit, canary_id: str) -> dict:
    """Emit ``pipeline_canary_sent``; ``emit`` writes to the outbox."""
    try:
        canonical = str(uuid.UUID(canary_id))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(
            "canary_id_invalid",
            "canary_id must be a UUID",
            {"errors": [field_error("canary_id", "canary_id_invalid", "not a UUID")]},
        ) from None
    emit("pipeline_canary_sent", {"canary_id": canonical})
    return {"canary_id": canonical}
