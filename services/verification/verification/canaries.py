"""Event-path canaries: operators' end-to-end probe of accounts' events reaching
verification (``pipeline_canary_sent``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from verification import repository as repo


def record_pipeline_canary(
    session: Session, canary_id: str, correlation_id: str | None, now: datetime
) -> None:
    repo.insert_pipeline_canary(session, canary_id, correlation_id, now)


def get_pipeline_canary(session: Session, canary_id: str) -> dict:
    row = repo.get_pipeline_canary(session, canary_id)
    return {
        "canary_id": canary_id,
        "received": row is not None,
        "received_at": row.received_at.isoformat() if row else None,
        "correlation_id": row.correlation_id if row else None,
    }
