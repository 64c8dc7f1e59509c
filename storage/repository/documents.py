"""Documents: idempotent registration, look-ups, intermediate and final statuses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import InternalError
from core.logging import get_logger
from core.reasons import one_line, tenant_reason
from models.document import DocumentStatus, FileKind
from storage.repository.dialect import insert_for
from storage.repository.errors import DocumentNotFoundError, LeaseLostError
from storage.tables import Document, UsageLedgerEntry, new_document_id, utcnow

IDEMPOTENCY_KEY = ("tenant_id", "sha256", "schema_name")

log = get_logger("repository")


def stored_reason(document_id: str, reason: str | None) -> str | None:
    """``reason`` as the tenant may read it (no paths, SQL or tracebacks: core.reasons); the
    original goes to the log with the document id when anything had to be taken out."""
    shown = tenant_reason(reason)
    if shown is not None and reason is not None and shown != one_line(reason):
        log.warning("document %s: reason withheld from the tenant: %s", document_id, reason)
    return shown


def register_document(
    session: Session,
    *,
    tenant_id: int,
    sha256: str,
    schema_name: str,
    file_name: str,
    kind: FileKind | None,
    media_type: str,
    size_bytes: int,
    blob_key: str | None,
    licence_tier: str,
    source: str,
    status: DocumentStatus = DocumentStatus.QUEUED,
    reason: str | None = None,
    error_code: str | None = None,
    priority: int = 0,
) -> tuple[Document, bool]:
    """The document for (tenant, sha256, schema), and whether this call created it.

    Idempotent and race-safe: concurrent registrations of the same bytes produce one row;
    the later callers get the first one's document (with its name, status and id) and False.
    A document registered in a final status (e.g. ``rejected``) is finished at once;
    ``kind`` is None for a file whose type could not be told (it is ``rejected``).
    """
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_document_id(),
        "tenant_id": tenant_id,
        "sha256": sha256,
        "schema_name": schema_name,
        "file_name": file_name,
        "kind": FileKind(kind) if kind is not None else None,
        "media_type": media_type,
        "size_bytes": size_bytes,
        "blob_key": blob_key,
        "licence_tier": licence_tier,
        "source": source,
        "status": DocumentStatus(status),
        "error_code": error_code,
        "priority": priority,
        "created_at": now,
        "updated_at": now,
        "finished_at": now if DocumentStatus(status).is_final else None,
    }
    values["reason"] = stored_reason(values["id"], reason)
    statement = (
        insert_for(session, Document.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(IDEMPOTENCY_KEY))
        .returning(Document.__table__.c.id)
    )
    # RETURNING yields a row only when this INSERT made one (a conflict yields nothing).
    created = session.execute(statement).first() is not None
    document = session.scalars(
        sa.select(Document).where(
            Document.tenant_id == tenant_id,
            Document.sha256 == sha256,
            Document.schema_name == schema_name,
        )
    ).one()
    return document, created


def get_document(session: Session, document_id: str, *, tenant_id: int | None = None) -> Document | None:
    """The document, or None; with ``tenant_id``, only if it belongs to that tenant."""
    statement = sa.select(Document).where(Document.id == document_id)
    if tenant_id is not None:
        statement = statement.where(Document.tenant_id == tenant_id)
    return session.scalars(statement).one_or_none()


def document_ids_with_prefix(session: Session, prefix: str, *, limit: int = 2) -> list[str]:
    """Ids starting with ``prefix`` (a bound LIKE pattern; wildcards in the prefix escaped)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = (
        sa.select(Document.id)
        .where(Document.id.like(f"{escaped}%", escape="\\"))
        .order_by(Document.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def list_documents(
    session: Session,
    *,
    tenant_id: int | None = None,
    status: DocumentStatus | None = None,
    limit: int = 100,
) -> list[Document]:
    """The newest documents first, optionally of one tenant and in one status."""
    statement = sa.select(Document)
    if tenant_id is not None:
        statement = statement.where(Document.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(Document.status == DocumentStatus(status))
    statement = statement.order_by(Document.created_at.desc(), Document.id).limit(limit)
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
    _update_one(session, document_id, values)
    return reload_document(session, document_id)


def finish_document(
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
    if not _update_one(session, document_id, values, *conditions):
        holder = session.scalar(sa.select(Document.lease_owner).where(Document.id == document_id))
        raise LeaseLostError(f"document {document_id} is no longer leased to {owner!r} (held by {holder!r})")
    return reload_document(session, document_id)


def reload_document(session: Session, document_id: str) -> Document:
    """The document as the database has it now (refreshing any copy the session holds)."""
    document = session.scalars(
        sa.select(Document).where(Document.id == document_id).execution_options(populate_existing=True)
    ).one_or_none()
    if document is None:
        raise DocumentNotFoundError(f"document {document_id} does not exist")
    return document


def _update_one(session: Session, document_id: str, values: dict[str, Any], *conditions: Any) -> bool:
    """UPDATE one document; False when extra ``conditions`` kept it from matching.

    Raises ``DocumentNotFoundError`` when the document does not exist at all.
    """
    statement = (
        sa.update(Document)
        .where(Document.id == document_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], session.execute(statement)).rowcount == 1:
        return True
    if session.scalar(sa.select(Document.id).where(Document.id == document_id)) is None:
        raise DocumentNotFoundError(f"document {document_id} does not exist")
    return False


# Final statuses a reprocess may start again from; a rejected file stays rejected (its
# bytes will not change), and queued or processing documents are already on their way.
_REQUEUEABLE = tuple(s for s in DocumentStatus if s.is_final and s is not DocumentStatus.REJECTED)


def requeue_document(session: Session, *, document_id: str, reason: str | None = None) -> bool:
    """Put a finished document back in the queue to be processed again.

    True when the document is queued afterwards (it was finished, or already queued);
    False when it is being processed, was rejected, or does not exist. Earlier extraction
    versions and ledger rows stay: the reprocess adds a version and more ledger rows.
    """
    now = utcnow()
    statement = (
        sa.update(Document)
        .where(Document.id == document_id, Document.status.in_(_REQUEUEABLE))
        .values(
            status=DocumentStatus.QUEUED,
            reason=stored_reason(document_id, reason),
            error_code=None,
            finished_at=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], session.execute(statement)).rowcount == 1:
        return True
    status = session.scalar(sa.select(Document.status).where(Document.id == document_id))
    return status is DocumentStatus.QUEUED


def count_final(session: Session, document_ids: Sequence[str]) -> int:
    """How many of these documents have reached a final status."""
    if not document_ids:
        return 0
    final = [s for s in DocumentStatus if s.is_final]
    statement = (
        sa.select(sa.func.count())
        .select_from(Document)
        .where(Document.id.in_(list(document_ids)), Document.status.in_(final))
    )
    return session.scalar(statement) or 0
