"""A document as the outside world sees it: status, reason, fields, cost, tier."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from models.extraction import DocumentExtraction
from storage import repository as repo


def document_summary(session: Session, document_id: str) -> dict[str, Any]:
    """The stored state of one document as plain JSON-ready data."""
    document = repo.get_document(session, document_id)
    if document is None:
        raise KeyError(document_id)
    current = repo.current_extraction(session, document_id)
    fields: dict[str, Any] = {}
    review_flags: list[str] = []
    confidence: dict[str, float | None] = {}  # None: unknown (never a default)
    if current is not None:
        extraction = DocumentExtraction.model_validate(current.result)
        fields = extraction.values()
        review_flags = list(extraction.review_flags)
        confidence = {
            name: None if f.confidence is None else round(f.confidence, 3)
            for name, f in extraction.fields.items()
        }
    return {
        "document_id": document.id,
        "sha256": document.sha256,
        "status": document.status,
        "reason": document.reason,
        "schema": document.schema_name,
        "engine": document.engine,
        "model": document.model,
        "pages": document.page_count,
        "fields": fields,
        "confidence": confidence,
        "review_flags": review_flags,
        "cost_usd": document.cost_usd if document.cost_usd is not None else Decimal(0),
        "licence_tier": document.licence_tier,
        "extraction_version": current.version if current is not None else None,
    }


def resolve_document_id(session: Session, prefix: str) -> str:
    """The full id of the document whose id starts with ``prefix`` (unique), else LookupError."""
    matches = repo.document_ids_with_prefix(session, prefix, limit=2)
    if not matches:
        raise LookupError(f"no document with id {prefix!r}")
    if len(matches) > 1:
        raise LookupError(f"{prefix!r} matches several documents; give more of the id")
    return matches[0]


def document_detail(session: Session, id_or_prefix: str) -> dict[str, Any]:
    """``document_summary`` plus each field's evidence and the full tables."""
    document_id = resolve_document_id(session, id_or_prefix)
    summary = document_summary(session, document_id)
    document = repo.get_document(session, document_id)
    current = repo.current_extraction(session, document_id)
    evidence: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    if current is not None:
        extraction = DocumentExtraction.model_validate(current.result)
        evidence = {name: f.model_dump(mode="json") for name, f in extraction.fields.items()}
        tables = {
            name: [{col: cell.model_dump(mode="json") for col, cell in row.items()} for row in rows]
            for name, rows in extraction.tables.items()
        }
    return {
        **summary,
        "file_name": document.file_name if document else None,
        "evidence": evidence,
        "tables": tables,
    }
