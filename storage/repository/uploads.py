"""What the HTTP API needs beyond registration: upload options, idempotency keys, listing
pages of a tenant's documents, and the sweeper's look-up of lost or stuck documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.document import DocumentStatus
from storage.tables import Document, utcnow


def find_by_idempotency_key(session: Session, *, tenant_id: int, key: str) -> Document | None:
    """The tenant's document registered with this idempotency key, or None."""
    return session.scalars(
        sa.select(Document).where(Document.tenant_id == tenant_id, Document.idempotency_key == key)
    ).one_or_none()


def set_upload_options(
    session: Session, *, document_id: str, callback_url: str | None, idempotency_key: str | None
) -> None:
    """Store the uploader's callback URL and idempotency key on a new document."""
    session.execute(
        sa.update(Document)
        .where(Document.id == document_id)
        .values(callback_url=callback_url, idempotency_key=idempotency_key)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class DocumentPage:
    """One page of a listing: the rows and how many match in all."""

    documents: list[Document]
    total: int


def page_documents(
    session: Session,
    *,
    tenant_id: int | None,
    status: DocumentStatus | None = None,
    schema_name: str | None = None,
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> DocumentPage:
    """Documents newest first, filtered (``tenant_id`` None: every tenant's)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if tenant_id is not None:
        conditions.append(Document.tenant_id == tenant_id)
    if status is not None:
        conditions.append(Document.status == DocumentStatus(status))
    if schema_name is not None:
        conditions.append(Document.schema_name == schema_name)
    if created_after is not None:
        conditions.append(Document.created_at >= created_after)
    if created_before is not None:
        conditions.append(Document.created_at < created_before)
    total = session.scalar(sa.select(sa.func.count()).select_from(Document).where(*conditions))
    rows = session.scalars(
        sa.select(Document)
        .where(*conditions)
        .order_by(Document.created_at.desc(), Document.id)
        .offset(offset)
        .limit(limit)
    )
    return DocumentPage(documents=list(rows), total=int(total or 0))


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
