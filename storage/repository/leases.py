"""The queue of record in motion: claims and their leases, status changes, requeues, and
the sweeper's look-up of documents no worker has.

Each document goes to exactly one worker at a time. A document can be claimed when it is
``queued``, or ``processing`` with a lease that has lapsed (its worker died or hung). On
PostgreSQL a claim locks candidate rows with ``SELECT ... FOR UPDATE SKIP LOCKED``, so
concurrent workers pass over each other's rows instead of waiting. SQLite has one writer at
a time, so a single conditional ``UPDATE`` decides: the claim is won by whichever statement
changes the row. Final statuses settle the document's cost from its ledger rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import InternalError
from models.document import DocumentStatus
from storage.repository.dialect import dialect_name
from storage.repository.documents import reload_document, stored_reason, update_document
from storage.repository.errors import LeaseLostError
from storage.tables import Document, UsageLedgerEntry, utcnow


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        Document.status == DocumentStatus.QUEUED,
        sa.and_(
            Document.status == DocumentStatus.PROCESSING,
            sa.or_(Document.lease_expires_at.is_(None), Document.lease_expires_at <= now),
        ),
    )


# Higher priority first, then oldest first; the id makes the order total.
_QUEUE_ORDER = (Document.priority.desc(), Document.created_at, Document.id)


def _claim_values(owner: str, lease_seconds: float, now: dt.datetime) -> dict[str, Any]:
    return {
        "status": DocumentStatus.PROCESSING,
        "lease_owner": owner,
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
        "started_at": now,
        "updated_at": now,
        "attempts": Document.attempts + 1,
    }


def claim_document(
    session: Session,
    document_id: str,
    *,
    owner: str,
    lease_seconds: float,
    now: dt.datetime | None = None,
) -> Document | None:
    """Take one document for ``owner``; None if another worker holds it or it is final.

    The claim sets the status to ``processing``, the lease, ``started_at`` and counts an
    attempt. It is committed by the caller's transaction.
    """
    now = now or utcnow()
    if dialect_name(session) == "postgresql":
        locked = session.scalars(
            sa.select(Document.id)
            .where(Document.id == document_id, _claimable(now))
            .with_for_update(skip_locked=True)
        ).one_or_none()
        if locked is None:
            return None
    statement = (
        sa.update(Document)
        .where(Document.id == document_id, _claimable(now))
        .values(**_claim_values(owner, lease_seconds, now))
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], session.execute(statement)).rowcount != 1:
        return None
    return reload_document(session, document_id)


def claim_next_documents(
    session: Session,
    *,
    owner: str,
    lease_seconds: float,
    limit: int,
    now: dt.datetime | None = None,
) -> list[Document]:
    """Claim up to ``limit`` claimable documents, highest priority then oldest first."""
    now = now or utcnow()
    if limit <= 0:
        return []
    candidates = sa.select(Document.id).where(_claimable(now)).order_by(*_QUEUE_ORDER).limit(limit)
    if dialect_name(session) == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            return []
        target = Document.id.in_(ids)
    else:
        # One statement: the subquery is read under SQLite's write lock, so no two
        # workers can pick the same rows.
        target = Document.id.in_(candidates.scalar_subquery())
    statement = (
        sa.update(Document)
        .where(target, _claimable(now))
        .values(**_claim_values(owner, lease_seconds, now))
        .returning(Document.id)
        .execution_options(synchronize_session=False)
    )
    claimed = list(session.scalars(statement))
    if not claimed:
        return []
    return list(
        session.scalars(
            sa.select(Document)
            .where(Document.id.in_(claimed))
            .order_by(*_QUEUE_ORDER)
            .execution_options(populate_existing=True)
        )
    )


def renew_lease(
    session: Session,
    *,
    document_id: str,
    owner: str,
    lease_seconds: float,
    now: dt.datetime | None = None,
) -> Document:
    """Extend ``owner``'s lease to ``now + lease_seconds``.

    Raises ``LeaseLostError`` if the document is no longer processing under ``owner``
    (another worker reclaimed it after the lease lapsed): the caller must stop.
    """
    now = now or utcnow()
    statement = (
        sa.update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.PROCESSING,
            Document.lease_owner == owner,
        )
        .values(lease_expires_at=now + dt.timedelta(seconds=lease_seconds), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], session.execute(statement)).rowcount != 1:
        raise LeaseLostError(f"document {document_id} is no longer leased to {owner!r}")
    return reload_document(session, document_id)


def release_documents(
    session: Session,
    *,
    owner: str,
    document_ids: list[str] | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Give back ``owner``'s documents (all, or those of ``document_ids``) that are still
    ``processing``: each goes back to ``queued`` with its lease cleared, so another worker
    can claim it at once instead of waiting for the lease to lapse. Returns their ids.

    For a graceful stop; a document another worker holds, or one already final, is left
    alone. The attempt stays counted (the claim made it).
    """
    now = now or utcnow()
    conditions = [Document.status == DocumentStatus.PROCESSING, Document.lease_owner == owner]
    if document_ids is not None:
        if not document_ids:
            return []
        conditions.append(Document.id.in_(document_ids))
    statement = (
        sa.update(Document)
        .where(*conditions)
        .values(
            status=DocumentStatus.QUEUED,
            reason=reason,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .returning(Document.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def stale_document_ids(
    session: Session, *, queued_before: dt.datetime, now: dt.datetime | None = None, limit: int
) -> list[str]:
    """Documents a worker should have taken: queued since before ``queued_before``, or
    processing with a lapsed lease. Highest priority, then oldest, first."""
    now = now or utcnow()
    statement = (
        sa.select(Document.id)
        .where(
            sa.or_(
                sa.and_(Document.status == DocumentStatus.QUEUED, Document.created_at <= queued_before),
                sa.and_(
                    Document.status == DocumentStatus.PROCESSING,
                    sa.or_(Document.lease_expires_at.is_(None), Document.lease_expires_at <= now),
                ),
            )
        )
        .order_by(Document.priority.desc(), Document.created_at, Document.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def set_document_status(
    session: Session,
    *,
    document_id: str,
    status: DocumentStatus,
    reason: str | None = None,
    error_code: str | None = None,
    page_count: int | None = None,
) -> Document:
    """Move a document to an intermediate status (``queued`` or ``processing``).

    ``queued`` puts it back in the queue: the lease and the finish time are cleared, so a
    ``failed`` document can be retried. Final statuses go through :func:`finish_document`,
    which also settles the cost.
    """
    status = DocumentStatus(status)
    if status.is_final:
        raise InternalError(
            f"{status} is final: use finish_document, which also settles the cost",
            code="final_status",
        )
    values: dict[str, Any] = {
        "status": status,
        "reason": stored_reason(document_id, reason),
        "error_code": error_code,
        "updated_at": utcnow(),
    }
    if page_count is not None:
        values["page_count"] = page_count
    if status is DocumentStatus.QUEUED:
        values.update(lease_owner=None, lease_expires_at=None, finished_at=None)
    update_document(session, document_id, values)
    return reload_document(session, document_id)


def finish_document(  # noqa: PLR0913 - keyword-only, one per stored column
    session: Session,
    *,
    document_id: str,
    status: DocumentStatus,
    reason: str | None = None,
    error_code: str | None = None,
    engine: str | None = None,
    model: str | None = None,
    page_count: int | None = None,
    owner: str | None = None,
) -> Document:
    """Put a document in its final status, settle its cost and release its lease.

    ``cost_usd`` is recomputed in SQL as the sum of the document's ledger rows, so it can
    always be derived again from the ledger. With ``owner``, the update happens only while
    that worker still holds the lease; otherwise ``LeaseLostError`` is raised and nothing
    is written (another worker took the document over and will finish it).
    """
    status = DocumentStatus(status)
    if not status.is_final:
        raise InternalError(f"{status} is not a final status", code="not_final_status")
    session.flush()  # ledger rows added in this transaction must count in the sum
    ledger_sum = (
        sa.select(sa.func.coalesce(sa.func.sum(UsageLedgerEntry.cost_usd), 0))
        .where(UsageLedgerEntry.document_id == document_id)
        .scalar_subquery()
    )
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "reason": stored_reason(document_id, reason),
        "error_code": error_code,
        "cost_usd": ledger_sum,
        "finished_at": now,
        "updated_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    for name, value in (("engine", engine), ("model", model), ("page_count", page_count)):
        if value is not None:
            values[name] = value
    conditions = [Document.lease_owner == owner] if owner is not None else []
    if not update_document(session, document_id, values, *conditions):
        holder = session.scalar(sa.select(Document.lease_owner).where(Document.id == document_id))
        raise LeaseLostError(f"document {document_id} is no longer leased to {owner!r} (held by {holder!r})")
    return reload_document(session, document_id)


# Final statuses a reprocess may start again from; a rejected file stays rejected (its
# bytes will not change), and queued or processing documents are already on their way.
_REQUEUEABLE = tuple(s for s in DocumentStatus if s.is_final and s is not DocumentStatus.REJECTED)


def requeue_document(
    session: Session,
    *,
    document_id: str,
    reason: str | None = None,
    rejected: bool = False,
    licence_tier: str | None = None,
) -> bool:
    """Put a finished document back in the queue to be processed again.

    True when the document is queued afterwards (it was finished, or already queued);
    False when it is being processed, was rejected (unless ``rejected``: then a rejected
    document that has a file kind, i.e. was stored, is queued too), or does not exist.
    ``licence_tier``: the tier it is decided under from now on (its tenant's current one).
    Earlier extraction versions and ledger rows stay: the reprocess adds a version and more
    ledger rows.
    """
    now = utcnow()
    allowed: sa.ColumnElement[bool] = Document.status.in_(_REQUEUEABLE)
    if rejected:
        stored = sa.and_(
            Document.status == DocumentStatus.REJECTED,
            Document.kind.is_not(None),
            Document.blob_key.is_not(None),
        )
        allowed = sa.or_(allowed, stored)
    values: dict[str, Any] = {"licence_tier": licence_tier} if licence_tier else {}
    statement = (
        sa.update(Document)
        .where(Document.id == document_id, allowed)
        .values(
            status=DocumentStatus.QUEUED,
            reason=stored_reason(document_id, reason),
            error_code=None,
            finished_at=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], session.execute(statement)).rowcount == 1:
        return True
    status = session.scalar(sa.select(Document.status).where(Document.id == document_id))
    return status is DocumentStatus.QUEUED
