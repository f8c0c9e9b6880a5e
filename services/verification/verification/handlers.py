"""The verification use cases, as plain functions (no Nameko import)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from verification.models import pipeline_canaries


def record_pipeline_canary(
    session: Session, canary_id: str, correlation_id: str | None, now: datetime
) -> None:
    session.execute(
        sa.insert(pipeline_canaries).values(
            canary_id=canary_id, correlation_id=correlation_id, received_at=now
        )
    )


def get_pipeline_canary(session: Session, canary_id: str) -> dict:
    row = session.execute(
        sa.select(pipeline_canaries).where(pipeline_canaries.c.canary_id == canary_id)
    ).first()
    return {
        "canary_id": canary_id,
        "received": row is not None,
        "received_at": row.received_at.isoformat() if row else None,
        "correlation_id": row.correlation_id if row else None,
    }
