"""Outbound callbacks: where a document's final status goes, and one row per delivery attempt."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.tables import CallbackDelivery, Document, Tenant


def callback_url_for(session: Session, *, document_id: str) -> str | None:
    """Where a document's final status goes: its own callback URL, else its tenant's, else
    None."""
    row = session.execute(
        sa.select(Document.callback_url, Tenant.callback_url)
        .join(Tenant, Tenant.id == Document.tenant_id)
        .where(Document.id == document_id)
    ).one_or_none()
    if row is None:
        return None
    return row[0] or row[1] or None


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
