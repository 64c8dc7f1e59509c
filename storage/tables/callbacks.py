"""Outbound callbacks: one row per attempt to post a document's final status."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, utcnow


class CallbackDelivery(Base):
    """One attempt to deliver a document's final-status event."""

    __tablename__ = "callback_deliveries"
    __table_args__ = {"comment": "Outbound callback attempts, one row each."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Attempt row number.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document the event is about."
    )
    url: Mapped[str] = mapped_column(sa.String(2000), comment="Where it was posted.")
    event: Mapped[str] = mapped_column(sa.String(64), comment="Event name, e.g. document.finished.")
    attempt: Mapped[int] = mapped_column(comment="1, 2, ... per event.")
    status_code: Mapped[int | None] = mapped_column(comment="HTTP status answered; null if none.")
    error: Mapped[str | None] = mapped_column(sa.Text, comment="Why the attempt failed, if it did.")
    delivered_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, comment="When the attempt was made (UTC)."
    )
