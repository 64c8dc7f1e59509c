"""What the HTTP API needs beyond registration: an upload registered in one statement (with
its callback URL and idempotency key), listing pages of a tenant's documents, and the
sweeper's look-up of lost or stuck documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.document import DocumentStatus, FileKind
from storage.repository.dialect import dialect_name
from storage.repository.errors import DocumentNotFoundError
from storage.tables import Document, Tenant, new_document_id, utcnow


@dataclass(frozen=True)
class UploadRegistered:
    """What an upload became: the document's id and status, whether this call created it, and
    whether it answered to an idempotency key given earlier with other bytes or schema."""

    document_id: str
    status: DocumentStatus
    created: bool
    key_conflict: bool = False


_UPLOAD_COLUMNS = (
    "id",
    "sha256",
    "schema_name",
    "file_name",
    "kind",
    "media_type",
    "size_bytes",
    "blob_key",
    "source",
    "status",
    "created_at",
    "updated_at",
    "callback_url",
    "idempotency_key",
)


@lru_cache(maxsize=16)  # a statement is immutable; building one per upload costs more than running it
def _upload_insert(dialect: str, tier_priorities: tuple[tuple[str, int], ...]) -> Any:
    """INSERT INTO documents (...) SELECT :values..., tenant's tier, its priority FROM tenants
    WHERE id = :tenant_id ON CONFLICT DO NOTHING RETURNING id."""
    table = cast(sa.Table, Document.__table__)
    tenants = cast(sa.Table, Tenant.__table__)
    columns = [sa.bindparam(name, type_=table.c[name].type).label(name) for name in _UPLOAD_COLUMNS]
    priority = (
        sa.case(dict(tier_priorities), value=tenants.c.tier, else_=0) if tier_priorities else sa.literal(0)
    )
    select = sa.select(
        *columns,
        tenants.c.id.label("tenant_id"),
        tenants.c.tier.label("licence_tier"),
        priority.label("priority"),
    ).where(tenants.c.id == sa.bindparam("tenant_id"))
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return (
        insert.from_select([*_UPLOAD_COLUMNS, "tenant_id", "licence_tier", "priority"], select)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )


def register_upload(
    session: Session,
    *,
    tenant_id: int,
    sha256: str,
    schema_name: str,
    file_name: str,
    kind: FileKind,
    size_bytes: int,
    blob_key: str,
    source: str,
    tier_priorities: Mapping[str, int],
    callback_url: str | None = None,
    idempotency_key: str | None = None,
) -> UploadRegistered:
    """Register a stored upload as a ``queued`` document: one INSERT ... SELECT (the tenant's
    tier and that tier's priority read in the same statement), ``ON CONFLICT DO NOTHING``.

    A conflict means the document exists: the same bytes and schema for this tenant (that
    document, ``created`` False), or the same idempotency key (that document, with
    ``key_conflict`` True when it holds other bytes or another schema). Race-safe on both
    databases: concurrent uploads of one file make one row. Raises ``DocumentNotFoundError``
    when the tenant does not exist.
    """
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_document_id(),
        "tenant_id": tenant_id,
        "sha256": sha256,
        "schema_name": schema_name,
        "file_name": file_name,
        "kind": FileKind(kind),
        "media_type": kind.media_type,
        "size_bytes": size_bytes,
        "blob_key": blob_key,
        "source": source,
        "status": DocumentStatus.QUEUED,
        "created_at": now,
        "updated_at": now,
        "callback_url": callback_url,
        "idempotency_key": idempotency_key,
    }
    statement = _upload_insert(dialect_name(session), tuple(sorted(tier_priorities.items())))
    created_id = session.execute(statement, values).scalar()
    if created_id is not None:
        return UploadRegistered(document_id=created_id, status=DocumentStatus.QUEUED, created=True)
    same_content = sa.and_(Document.sha256 == sha256, Document.schema_name == schema_name)
    same_key = Document.idempotency_key == idempotency_key if idempotency_key is not None else sa.false()
    rows = session.execute(
        sa.select(
            Document.id, Document.status, Document.sha256, Document.schema_name, Document.idempotency_key
        ).where(Document.tenant_id == tenant_id, sa.or_(same_content, same_key))
    ).all()
    keyed = [r for r in rows if idempotency_key is not None and r.idempotency_key == idempotency_key]
    if keyed:
        row = keyed[0]
        conflict = row.sha256 != sha256 or row.schema_name != schema_name
        return UploadRegistered(row.id, DocumentStatus(row.status), created=False, key_conflict=conflict)
    if rows:
        return UploadRegistered(rows[0].id, DocumentStatus(rows[0].status), created=False)
    raise DocumentNotFoundError(f"tenant {tenant_id} does not exist; the upload was not registered")


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
