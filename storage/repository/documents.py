"""Documents, the queue of record: idempotent registration (from any source, and an upload
in one statement), look-ups and listings, the pages preparation found, and the single-row
UPDATE that every status change goes through. Claims, leases and status changes themselves
are in ``storage.repository.leases``; the policy and quote records in ``billing``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.errors import ConfigurationError
from core.logging import get_logger
from core.reasons import one_line, tenant_reason
from models.document import DocumentStatus, FileKind
from models.page import PreparedPage
from storage.repository.dialect import dialect_name, insert_for
from storage.repository.errors import DocumentNotFoundError
from storage.tables import Document, Page, Tenant, new_document_id, utcnow

IDEMPOTENCY_KEY = ("tenant_id", "sha256", "schema_name")
# Rows per INSERT: keeps the bound parameters under SQLite's limit for the largest documents.
_PAGE_BATCH = 500

log = get_logger("repository")


def stored_reason(document_id: str, reason: str | None) -> str | None:
    """``reason`` as the tenant may read it (no paths, SQL or tracebacks: core.reasons); the
    original goes to the log with the document id when anything had to be taken out."""
    shown = tenant_reason(reason)
    if shown is not None and reason is not None and shown != one_line(reason):
        log.warning("document %s: reason withheld from the tenant: %s", document_id, reason)
    return shown


def register_document(  # noqa: PLR0913 - keyword-only, one per filter or stored column
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


def register_upload(  # noqa: PLR0913 - keyword-only, one per filter or stored column
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


def get_document(session: Session, document_id: str, *, tenant_id: int | None = None) -> Document | None:
    """The document, or None; with ``tenant_id``, only if it belongs to that tenant."""
    statement = sa.select(Document).where(Document.id == document_id)
    if tenant_id is not None:
        statement = statement.where(Document.tenant_id == tenant_id)
    return session.scalars(statement).one_or_none()


def reload_document(session: Session, document_id: str) -> Document:
    """The document as the database has it now (refreshing any copy the session holds)."""
    document = session.scalars(
        sa.select(Document).where(Document.id == document_id).execution_options(populate_existing=True)
    ).one_or_none()
    if document is None:
        raise DocumentNotFoundError(f"document {document_id} does not exist")
    return document


def find_document(session: Session, *, tenant_id: int, sha256: str, schema_name: str) -> Document | None:
    """The document registered for (tenant, sha256, schema), or None (for dry runs)."""
    return session.scalars(
        sa.select(Document).where(
            Document.tenant_id == tenant_id,
            Document.sha256 == sha256,
            Document.schema_name == schema_name,
        )
    ).one_or_none()


def document_tenant(session: Session, *, document_id: str) -> tuple[Tenant, Document]:
    """The document and its tenant, as the database has them now."""
    document = reload_document(session, document_id)
    tenant = session.get(Tenant, document.tenant_id)
    if tenant is None:  # the foreign key makes this impossible
        raise ConfigurationError(f"document {document_id} has no tenant")
    return tenant, document


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


@dataclass(frozen=True)
class DocumentPage:
    """One page of a listing: the rows and how many match in all."""

    documents: list[Document]
    total: int


def page_documents(  # noqa: PLR0913 - keyword-only, one per filter or stored column
    session: Session,
    *,
    tenant_id: int | None,
    status: DocumentStatus | None = None,
    schema_name: str | None = None,
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    tenant_name: str | None = None,
    after: tuple[dt.datetime, str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> DocumentPage:
    """Documents newest first, filtered (``tenant_id`` None: every tenant's; ``tenant_name``
    one tenant by name). ``after``: the ``(created_at, id)`` of the last document of the
    previous page (keyset: the page after it, whatever was added since); else ``offset``."""
    conditions: list[sa.ColumnElement[bool]] = []
    if tenant_id is not None:
        conditions.append(Document.tenant_id == tenant_id)
    if tenant_name is not None:
        named = sa.select(Tenant.id).where(Tenant.name == tenant_name).scalar_subquery()
        conditions.append(Document.tenant_id == named)
    if status is not None:
        conditions.append(Document.status == DocumentStatus(status))
    if schema_name is not None:
        conditions.append(Document.schema_name == schema_name)
    if created_after is not None:
        conditions.append(Document.created_at >= created_after)
    if created_before is not None:
        conditions.append(Document.created_at < created_before)
    total = session.scalar(sa.select(sa.func.count()).select_from(Document).where(*conditions))
    statement = sa.select(Document).where(*conditions)
    if after is not None:
        created, last_id = after
        statement = statement.where(
            sa.or_(
                Document.created_at < created,
                sa.and_(Document.created_at == created, Document.id < last_id),
            )
        )
    else:
        statement = statement.offset(offset)
    rows = session.scalars(statement.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit))
    return DocumentPage(documents=list(rows), total=int(total or 0))


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


def final_document_ids(session: Session, document_ids: Sequence[str]) -> set[str]:
    """Those of these documents that have reached a final status."""
    if not document_ids:
        return set()
    final = [s for s in DocumentStatus if s.is_final]
    statement = sa.select(Document.id).where(Document.id.in_(list(document_ids)), Document.status.in_(final))
    return set(session.scalars(statement))


def update_document(session: Session, document_id: str, values: dict[str, Any], *conditions: Any) -> bool:
    """UPDATE one document with ``values``; False when extra ``conditions`` kept it from matching.

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


def _page_row(document_id: str, page: PreparedPage) -> dict[str, Any]:
    image = page.image
    return {
        "document_id": document_id,
        "page_number": page.page_number,
        "width_pt": page.width_pt,
        "height_pt": page.height_pt,
        "text_quality": page.text_quality,
        "route": page.route,
        "estimated_text_tokens": page.estimated_text_tokens,
        "estimated_image_tokens": image.estimated_tokens if image is not None else 0,
        "image_width": image.width if image is not None else None,
        "image_height": image.height if image is not None else None,
        "tiles": image.grid.tiles if image is not None else None,
        "prepare_ms": page.prepare_ms,
        "status": "failed" if page.failed else "ok",
        "error_code": page.error_code,
        "error": page.error,
    }


def save_pages(session: Session, *, document_id: str, pages: Sequence[PreparedPage]) -> None:
    """Store what preparation found on each page; a page stored before is replaced."""
    rows = [_page_row(document_id, page) for page in pages]
    key = ("document_id", "page_number")
    for start in range(0, len(rows), _PAGE_BATCH):
        insert = insert_for(session, Page.__table__).values(rows[start : start + _PAGE_BATCH])
        insert = insert.on_conflict_do_update(
            index_elements=list(key),
            set_={name: insert.excluded[name] for name in rows[0] if name not in key},
        )
        session.execute(insert)


def pages_of(session: Session, document_id: str) -> list[Page]:
    """The stored pages of a document, in page order."""
    return list(
        session.scalars(
            sa.select(Page)
            .where(Page.document_id == document_id)
            .order_by(Page.page_number)
            .execution_options(populate_existing=True)
        )
    )
