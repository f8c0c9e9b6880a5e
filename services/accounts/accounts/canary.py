"""The event pipeline canary: an event written through the outbox so operators can
watch it arrive at its consumers (docs/runbook.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from contracts.accounts import PipelineCanarySent
from contracts.errors import InvalidInput, field_error
from contracts.events import Event


def send_pipeline_canary(emit: Callable[[Event], str], canary_id: str) -> dict:
    """Emit ``pipeline_canary_sent``; ``emit`` writes to the outbox.

    Returns ``{canary_id}`` (canonical form). Raises ``InvalidInput``
    (``canary_id_invalid``) when it is not a UUID.
    """
    try:
        canonical = str(uuid.UUID(canary_id))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(
            "canary_id_invalid",
            "canary_id must be a UUID",
            {"errors": [field_error("canary_id", "canary_id_invalid", "not a UUID")]},
        ) from None
    emit(PipelineCanarySent(canary_id=canonical))
    return {"canary_id": canonical}
