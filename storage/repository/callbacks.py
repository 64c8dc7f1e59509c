"""Outbound callback deliveries: one row per attempt."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.tables import CallbackDelivery


def record_delivery(
    session: Session,
    *,
    document_id: str,
    url: str,
    event: str,
    attempt: int,
    status_code: int | None,
    error: str | None,
) -> CallbackDelivery:
    """Record one delivery attempt."""
    row = CallbackDelivery(
        document_id=document_id,
        url=url,
        event=event,
        attempt=attempt,
        status_code=status_code,
        error=error,
    )
    session.add(row)
    session.flush()
    return row


def deliveries_for(session: Session, *, document_id: str) -> list[CallbackDelivery]:
    """Every recorded attempt for a document, oldest first."""
    return list(
        session.scalars(
            sa.select(CallbackDelivery)
            .where(CallbackDelivery.document_id == document_id)
            .order_by(CallbackDelivery.id)
        )
    )
