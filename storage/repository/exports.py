"""Rows of analysts' exports: one per document with its fields typed, or one per table row.

Documents are read in id order, a batch at a time (keyset: each batch is its own query,
read in full), and each batch's field rows and review flags come in two more queries, so
memory stays bounded whatever the count and no cursor stays open across queries. A value is
read from the typed column its export column asks for (``storage.export.Column.type``):
text from ``value_text``, so an identifier keeps its leading zeros; amounts from
``value_number``; dates from ``value_date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.export import DOCUMENTS, Column
from storage.repository.queries import DocumentQuery, matching_documents
from storage.tables import Document, Extraction, ExtractionField

_BATCH = 1000  # documents per round of queries


def schema_names(session: Session, *, query: DocumentQuery, tenant_scope: int | None) -> list[str]:
    """The schemas of the documents ``query`` matches, by name."""
    inner = matching_documents(session, query=query, tenant_scope=tenant_scope).subquery()
    return sorted(session.execute(sa.select(inner.c.schema_name).distinct()).scalars())


def field_names(
    session: Session, *, schema_name: str, table: str = DOCUMENTS, tenant_scope: int | None
) -> list[str]:
    """Names found in the current results of ``schema_name`` (of table ``table``'s cells):
    the columns of a free-form schema, whose fields are whatever its documents hold."""
    f = ExtractionField
    statement = sa.select(f.name).distinct().where(f.schema_name == schema_name)
    statement = statement.where(f.table_name.is_(None) if table == DOCUMENTS else f.table_name == table)
    if tenant_scope is not None:
        statement = statement.where(f.tenant_id == tenant_scope)
    return sorted(session.execute(statement).scalars())


def _typed(kind: str, text: str | None, number: Decimal | None, date: dt.date | None) -> Any:
    if kind == "text":
        return text
    if kind == "date":
        return date
    if number is None:
        return None
    if kind == "integer":
        return int(number)
    return float(number) if kind == "float" else number


def _document_batches(
    session: Session, query: DocumentQuery, tenant_scope: int | None
) -> Iterator[list[dict[str, Any]]]:
    statement = matching_documents(session, query=query, tenant_scope=tenant_scope).add_columns(
        Document.reason
    )
    last: str | None = None
    while True:
        page = statement if last is None else statement.where(Document.id > last)
        rows = [dict(r) for r in session.execute(page.order_by(Document.id).limit(_BATCH)).mappings()]
        if not rows:
            return
        for row in rows:
            row["status"] = str(row["status"])
        yield rows
        last = rows[-1]["document_id"]


def _cells(session: Session, ids: list[str], table: str) -> Any:
    f = ExtractionField
    return session.execute(
        sa.select(
            f.document_id, f.row_index, f.name, f.value_text, f.value_number, f.value_date, f.confidence
        )
        .where(
            f.document_id.in_(ids),
            f.table_name.is_(None) if table == DOCUMENTS else f.table_name == table,
        )
        .order_by(f.document_id, f.row_index, f.id)
    )


def _lowest(confidences: list[float | None]) -> float | None:
    # Like DocumentExtraction.min_confidence: the lowest known confidence; unknown ones skipped.
    known = [c for c in confidences if c is not None]
    return min(known) if known else None


def iter_export_documents(
    session: Session, *, query: DocumentQuery, tenant_scope: int | None, fields: Sequence[Column]
) -> Iterator[dict[str, Any]]:
    """Every matching document with status, reason, review flags, lowest confidence, engine,
    model, cost and file, and the value of each of ``fields`` typed as its column says."""
    by_field = {c.field: c for c in fields if c.field is not None}
    for documents in _document_batches(session, query, tenant_scope):
        ids = [d["document_id"] for d in documents]
        rows = {d["document_id"]: {**d, "review_flags": []} for d in documents}
        confidences: dict[str, list[float | None]] = {i: [] for i in ids}
        for document_id, _, name, text, number, date, confidence in _cells(session, ids, DOCUMENTS):
            confidences[document_id].append(confidence)
            column = by_field.get(name)
            if column is not None:
                rows[document_id][column.name] = _typed(column.type, text, number, date)
        flags = session.execute(
            sa.select(Extraction.document_id, Extraction.review_flags).where(
                Extraction.document_id.in_(ids), Extraction.is_current.is_(True)
            )
        )
        for document_id, review_flags in flags:
            rows[document_id]["review_flags"] = list(review_flags or [])
        for document_id in ids:
            rows[document_id]["lowest_confidence"] = _lowest(confidences[document_id])
            yield rows[document_id]


def iter_export_table(
    session: Session,
    *,
    query: DocumentQuery,
    tenant_scope: int | None,
    table: str,
    fields: Sequence[Column],
) -> Iterator[dict[str, Any]]:
    """One row per row of table ``table`` (e.g. ``line_items``) of every matching document:
    the document's id, tenant, schema, file and status, the 1-based ``row``, each of
    ``fields`` typed, and the row's lowest known confidence."""
    by_field = {c.field: c for c in fields if c.field is not None}
    keep = ("document_id", "tenant", "schema_name", "file_name", "status")
    for documents in _document_batches(session, query, tenant_scope):
        by_id = {d["document_id"]: d for d in documents}
        current: dict[str, Any] | None = None
        confidences: list[float | None] = []
        for document_id, index, name, text, number, date, confidence in _cells(session, list(by_id), table):
            if current is None or (current["document_id"], current["row"]) != (document_id, index + 1):
                if current is not None:
                    yield {**current, "lowest_confidence": _lowest(confidences)}
                current = {k: by_id[document_id][k] for k in keep} | {"row": index + 1}
                confidences = []
            confidences.append(confidence)
            column = by_field.get(name)
            if column is not None:
                current[column.name] = _typed(column.type, text, number, date)
        if current is not None:
            yield {**current, "lowest_confidence": _lowest(confidences)}
