"""The usage ledger: one row per engine call, failed attempts included."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.usage import EngineCall
from storage.tables import UsageLedgerEntry


def add_usage(
    session: Session,
    *,
    document_id: str,
    extraction_id: int | None,
    calls: Sequence[EngineCall],
) -> list[UsageLedgerEntry]:
    """Record each engine call as a ledger row (flushed, so the rows have their ids)."""
    rows = [
        UsageLedgerEntry(
            document_id=document_id,
            extraction_id=extraction_id,
            page_numbers=list(call.page_numbers),
            engine=call.engine,
            model=call.model,
            attempt=call.attempt,
            estimated_prompt_tokens=call.estimated_prompt_tokens,
            estimated_image_tokens=call.estimated_image_tokens,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            image_tokens=call.image_tokens,
            latency_ms=call.latency_ms,
            first_token_ms=call.first_token_ms,
            tokens_per_s=call.tokens_per_s,
            finish_reason=call.finish_reason,
            http_status=call.http_status,
            cost_usd=call.cost_usd,
            price_version=call.price_version,
            error_code=call.error_code,
            error=call.error,
        )
        for call in calls
    ]
    session.add_all(rows)
    session.flush()
    return rows


def ledger_for(session: Session, document_id: str) -> list[UsageLedgerEntry]:
    """The document's ledger rows in the order they were recorded."""
    return list(
        session.scalars(
            sa.select(UsageLedgerEntry)
            .where(UsageLedgerEntry.document_id == document_id)
            .order_by(UsageLedgerEntry.id)
        )
    )
