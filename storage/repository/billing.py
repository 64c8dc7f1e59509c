"""Billing: the policy decision and the quote stored on each document, and what a tenant
has used in a calendar month (what budgets are checked against)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.document import DocumentStatus
from storage.repository.dialect import usd_sum, usd_value
from storage.repository.documents import update_document
from storage.tables import Document, UsageLedgerEntry, utcnow

# Policy outcomes as stored in documents.policy_decision (models.policy.PolicyOutcome values).
ALLOWED, ROUTED, BLOCKED = "allowed", "routed", "blocked"


def record_policy(  # noqa: PLR0913 - one keyword per stored column
    session: Session,
    *,
    document_id: str,
    decision: str,
    reason: str | None,
    engine: str,
    model: str,
    model_licence: str,
    attribution: str | None,
    licence_reference: str | None,
) -> None:
    """Store the policy decision on the document: outcome, reason, model and its licence."""
    update_document(
        session,
        document_id,
        {
            "policy_decision": decision,
            "policy_reason": reason,
            "engine": engine,
            "model": model,
            "model_licence": model_licence,
            "attribution": attribution,
            "licence_reference": licence_reference,
            "updated_at": utcnow(),
        },
    )


def record_quote(
    session: Session,
    *,
    document_id: str,
    quoted_tokens: int,
    quoted_cost_usd: Decimal,
    price_version: str,
    quoted_at: dt.datetime,
    blocked_reason: str | None = None,
) -> None:
    """Store the quote on the document; with ``blocked_reason`` the decision becomes blocked."""
    values: dict[str, Any] = {
        "quoted_tokens": quoted_tokens,
        "quoted_cost_usd": quoted_cost_usd,
        "price_version": price_version,
        "quoted_at": quoted_at,
        "updated_at": utcnow(),
    }
    if blocked_reason is not None:
        values.update(policy_decision=BLOCKED, policy_reason=blocked_reason)
    update_document(session, document_id, values)


def monthly_usage(
    session: Session,
    *,
    tenant_id: int,
    start: dt.datetime,
    end: dt.datetime,
    exclude_document_id: str | None = None,
) -> tuple[int, Decimal]:
    """(pages, dollars) the tenant has used in [start, end).

    Pages: the pages of its documents quoted in the window and not refused (blocked or
    rejected documents use nothing). Dollars: its ledger rows recorded in the window, plus
    the quotes of its documents still being processed (their rows are not written yet).
    ``exclude_document_id``: the document being checked, which is not "used" yet.
    """
    counted = [
        Document.tenant_id == tenant_id,
        Document.quoted_at >= start,
        Document.quoted_at < end,
        Document.policy_decision.in_([ALLOWED, ROUTED]),
        Document.status.notin_([DocumentStatus.BLOCKED, DocumentStatus.REJECTED]),
    ]
    if exclude_document_id is not None:
        counted.append(Document.id != exclude_document_id)
    pages = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Document.page_count), 0)).where(*counted))
    ledger = session.scalar(
        sa.select(usd_sum(session, UsageLedgerEntry.cost_usd))
        .join(Document, Document.id == UsageLedgerEntry.document_id)
        .where(
            Document.tenant_id == tenant_id,
            UsageLedgerEntry.created_at >= start,
            UsageLedgerEntry.created_at < end,
        )
    )
    in_flight = session.scalar(
        sa.select(usd_sum(session, Document.quoted_cost_usd)).where(
            *counted, Document.status == DocumentStatus.PROCESSING
        )
    )
    return int(pages or 0), usd_value(session, ledger) + usd_value(session, in_flight)
