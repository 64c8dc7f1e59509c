"""Pages as prepared, and versioned extraction results (exactly one current per document)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.extraction import DocumentExtraction
from models.page import PreparedPage
from storage.repository.dialect import insert_for
from storage.repository.errors import DocumentNotFoundError
from storage.repository.fields import lock_tenant_rollups, replace_fields, rollup_shard
from storage.tables import Document, Extraction, ExtractionCount, Page

# Rows per INSERT: keeps the bound parameters under SQLite's limit for the largest documents.
_PAGE_BATCH = 500


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


def add_extraction(
    session: Session,
    *,
    document_id: str,
    extraction: DocumentExtraction,
    fingerprint: dict[str, Any],
) -> Extraction:
    """Store a new version of the document's result and make it the current one.

    Versions count 1, 2, ... per document. The previous current version is un-marked in
    the same transaction; the partial unique index guarantees there is never a second
    current row, whatever the caller does.
    """
    # Serialise versioning per document: the row lock on PostgreSQL (SQLite ignores FOR
    # UPDATE, but its UPDATE below takes the database write lock before the version is read).
    tenant_id = session.execute(
        sa.select(Document.tenant_id).where(Document.id == document_id).with_for_update()
    ).scalar()
    if tenant_id is None:
        raise DocumentNotFoundError(f"no document {document_id} to add an extraction to")
    lock_tenant_rollups(session, tenant_id=tenant_id, document_id=document_id)
    previous_schema = session.scalar(
        sa.select(Extraction.schema_name).where(
            Extraction.document_id == document_id, Extraction.is_current.is_(True)
        )
    )
    session.execute(
        sa.update(Extraction)
        .where(Extraction.document_id == document_id, Extraction.is_current.is_(True))
        .values(is_current=False)
        .execution_options(synchronize_session="fetch")
    )
    latest = session.scalar(
        sa.select(sa.func.max(Extraction.version)).where(Extraction.document_id == document_id)
    )
    row = Extraction(
        document_id=document_id,
        version=(latest or 0) + 1,
        is_current=True,
        schema_name=extraction.schema_name,
        schema_version=extraction.schema_version,
        engine=extraction.engine,
        model=extraction.model,
        result=extraction.model_dump(mode="json"),
        review_flags=list(extraction.review_flags),
        fingerprint=fingerprint,
    )
    session.add(row)
    session.flush()
    # Typed field rows (issue 7) in the same transaction: queries never see a version's
    # JSON without its fields, nor the previous version's fields after it.
    replace_fields(
        session,
        tenant_id=tenant_id,
        document_id=document_id,
        extraction_id=row.id,
        extraction=extraction,
    )
    # The field report's denominators: current extractions per tenant and schema.
    shard = rollup_shard(document_id)
    if previous_schema is not None:
        _count_current(session, tenant_id=tenant_id, schema_name=previous_schema, shard=shard, change=-1)
    _count_current(session, tenant_id=tenant_id, schema_name=extraction.schema_name, shard=shard, change=1)
    return row


def _count_current(session: Session, *, tenant_id: int, schema_name: str, shard: str, change: int) -> None:
    insert = insert_for(session, ExtractionCount.__table__).values(
        tenant_id=tenant_id, schema_name=schema_name, shard=shard, documents=change
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["tenant_id", "schema_name", "shard"],
            set_={"documents": ExtractionCount.__table__.c.documents + insert.excluded.documents},
        )
    )


def current_extraction(session: Session, document_id: str) -> Extraction | None:
    """The current version of the document's result, or None if it has none."""
    return session.scalars(
        sa.select(Extraction).where(Extraction.document_id == document_id, Extraction.is_current.is_(True))
    ).one_or_none()


def extraction_history(session: Session, document_id: str) -> list[Extraction]:
    """Every stored version of the document's result, oldest first."""
    return list(
        session.scalars(
            sa.select(Extraction).where(Extraction.document_id == document_id).order_by(Extraction.version)
        )
    )
