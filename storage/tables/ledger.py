"""The usage ledger: one row per engine call, failed attempts included, with its cost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, JSONType, utcnow


class UsageLedgerEntry(Base):
    """One engine call (one attempt, failed ones included) and what it cost."""

    __tablename__ = "usage_ledger"
    __table_args__ = {"comment": "One row per engine call, retries included; costs sum here."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Ledger row number.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document the call was for."
    )
    extraction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("extractions.id", ondelete="SET NULL"),
        comment="Extraction the call contributed to, if any.",
    )
    page_numbers: Mapped[list[int]] = mapped_column(JSONType, comment="Pages sent (JSON list).")
    engine: Mapped[str] = mapped_column(sa.String(32), comment="Engine called.")
    model: Mapped[str | None] = mapped_column(sa.String(200), comment="Model that answered.")
    attempt: Mapped[int] = mapped_column(comment="1 for the first try, 2 for the first retry...")
    estimated_prompt_tokens: Mapped[int] = mapped_column(comment="Prompt tokens estimated.")
    estimated_image_tokens: Mapped[int] = mapped_column(comment="Image tokens estimated.")
    prompt_tokens: Mapped[int | None] = mapped_column(comment="Prompt tokens reported.")
    completion_tokens: Mapped[int | None] = mapped_column(comment="Completion tokens reported.")
    image_tokens: Mapped[int | None] = mapped_column(comment="Image tokens reported.")
    latency_ms: Mapped[float] = mapped_column(comment="Call latency, ms.")
    first_token_ms: Mapped[float | None] = mapped_column(
        comment="Time from sending the request to the first generated token, ms (streamed calls)."
    )
    tokens_per_s: Mapped[float | None] = mapped_column(
        comment="Decode rate after the first token, tokens per second (streamed calls)."
    )
    finish_reason: Mapped[str | None] = mapped_column(
        sa.String(32), comment="Finish reason from the server (stop, length, ...)."
    )
    http_status: Mapped[int | None] = mapped_column(comment="HTTP status of the call.")
    cost_usd: Mapped[Decimal] = mapped_column(comment="Cost of the call, USD.")
    price_version: Mapped[str | None] = mapped_column(
        sa.String(64), comment="Price list version used for the cost."
    )
    error_code: Mapped[str | None] = mapped_column(sa.String(64), comment="Error code, if failed.")
    error: Mapped[str | None] = mapped_column(sa.Text, comment="Error message, if failed.")
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, index=True, comment="When the call was recorded (UTC)."
    )
