"""Extraction results: versions of a document's result (exactly one current) and the typed
field rows of the current version, with the rollups the field report reads.

:func:`add_extraction` writes a version, its field rows (:func:`replace_fields`) and the
rollups in one transaction, so queries never see a version's JSON without its fields, nor
the previous version's fields after it. Values are typed by what they are: JSON numbers
(and plain numerals) fill ``value_number``, ISO 8601 dates fill ``value_date``, and every
found value also has its text in ``value_text`` (and, lower-cased for case-insensitive
filters, in ``value_key``). ``field_rollups`` follows each replacement: the document's old
rows are taken out of the sums and its new rows put in, with the SQL that migration 0008's
backfill uses.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.extraction import DocumentExtraction, ExtractedField
from storage.repository.dialect import dialect_name, insert_for
from storage.repository.errors import DocumentNotFoundError
from storage.tables import Document, Extraction, ExtractionCount, ExtractionField, FieldRollup

TEXT_LIMIT = 600  # keeps every value_text under PostgreSQL's btree row limit
_NUMERAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Review flags look like "low_confidence: total_amount (0.41)" or "missing: x was not found".
_FLAG_SUBJECT = re.compile(r"^[a-z_]+: ([A-Za-z0-9_.\[\]]+)")
_BATCH = 500  # field rows per INSERT
# Advisory lock class shared with migration 0008's cost triggers (PostgreSQL).
_ROLLUP_LOCK_CLASS = 7007


def add_extraction(
    session: Session,
    *,
    document_id: str,
    extraction: DocumentExtraction,
    fingerprint: dict[str, Any],
    source: str = "engine",
    author: str | None = None,
) -> Extraction:
    """Store a new version of the document's result and make it the current one.

    ``source`` is ``engine`` for the pipeline's results and ``human`` for a reviewer's
    correction (``author`` names the person). Versions count 1, 2, ... per document. The
    previous current version is un-marked in the same transaction; the partial unique index
    guarantees there is never a second current row, whatever the caller does.
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
        source=source,
        author=author,
    )
    session.add(row)
    session.flush()
    # Typed field rows in the same transaction: queries never see a version's JSON
    # without its fields, nor the previous version's fields after it.
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


def typed_value(value: Any) -> tuple[str | None, Decimal | None, dt.date | None]:
    """``(text, number, date)`` for one extracted value; None stays all-null."""
    if value is None:
        return None, None, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None, None
    if isinstance(value, int | float):
        exact = Decimal(str(value))
        return str(value)[:TEXT_LIMIT], exact if exact.is_finite() else None, None
    text = str(value)
    stripped = text.strip()
    number: Decimal | None = None
    if _NUMERAL.match(stripped):
        try:
            number = Decimal(stripped)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numerals
            number = None
    date = None
    if _DATE.match(stripped):
        try:
            date = dt.date.fromisoformat(stripped)
        except ValueError:
            date = None
    return text[:TEXT_LIMIT], number, date


def flagged_subjects(review_flags: list[str]) -> set[str]:
    """The field names (or ``table[row].column`` paths, first word) review flags point at."""
    subjects = set()
    for flag in review_flags:
        match = _FLAG_SUBJECT.match(flag)
        if match:
            subjects.add(match.group(1))
    return subjects


def _row(
    name: str, found: ExtractedField, *, table: str | None, row: int | None, flagged: bool
) -> dict[str, Any]:
    text, number, date = typed_value(found.value)
    return {
        "table_name": table,
        "row_index": row,
        "name": name,
        "value_text": text,
        "value_key": None if text is None else text.lower()[:TEXT_LIMIT],
        "value_number": number,
        "value_date": date,
        "confidence": found.confidence,
        "page": found.page,
        "flagged": flagged or bool(found.flags),
    }


def field_rows(extraction: DocumentExtraction) -> Iterator[dict[str, Any]]:
    """One row per single field and per table cell, plus a null row per missing field."""
    subjects = flagged_subjects(extraction.review_flags)
    for name, found in extraction.fields.items():
        yield _row(name, found, table=None, row=None, flagged=name in subjects)
    for table, rows in extraction.tables.items():
        table_flagged = table in subjects
        for index, cells in enumerate(rows):
            for column, cell in cells.items():
                yield _row(column, cell, table=table, row=index, flagged=table_flagged)
    # A field the checks found missing has no value, but it did fail review: a null,
    # flagged row keeps it in the fill and review rates.
    for flag in extraction.review_flags:
        if flag.startswith("missing: "):
            name = flag.removeprefix("missing: ").split(" ", 1)[0]
            if name not in extraction.fields and name not in extraction.tables:
                yield {
                    "table_name": None,
                    "row_index": None,
                    "name": name,
                    "value_text": None,
                    "value_key": None,
                    "value_number": None,
                    "value_date": None,
                    "confidence": None,
                    "page": None,
                    "flagged": True,
                }


def replace_fields(
    session: Session,
    *,
    tenant_id: int,
    document_id: str,
    extraction_id: int,
    extraction: DocumentExtraction,
) -> int:
    """Make the document's field rows those of ``extraction``; returns the rows written.

    ``field_rollups`` follows in the same transaction: the old rows' share out, the new in.
    """
    lock_tenant_rollups(session, tenant_id=tenant_id, document_id=document_id)
    _add_to_rollups(session, document_id=document_id, sign=-1)
    session.execute(sa.delete(ExtractionField).where(ExtractionField.document_id == document_id))
    common = {
        "tenant_id": tenant_id,
        "document_id": document_id,
        "extraction_id": extraction_id,
        "schema_name": extraction.schema_name,
    }
    rows = [{**common, **row} for row in field_rows(extraction)]
    for start in range(0, len(rows), _BATCH):
        session.execute(sa.insert(ExtractionField), rows[start : start + _BATCH])
    _add_to_rollups(session, document_id=document_id, sign=1)
    return len(rows)


def rollup_shard(document_id: str) -> str:
    """The rollup shard of a document: the last character of its id (as migration 0008)."""
    return document_id[-1:]


def lock_tenant_rollups(session: Session, *, tenant_id: int, document_id: str) -> None:
    """PostgreSQL: one rollup writer per tenant and shard until the transaction ends.

    Rollup rows are hot (every document of a tenant adds to the same few of its shard);
    taking them under one lock per tenant and shard means two transactions never take
    them in opposite orders (no deadlocks), while documents of other shards go on. The
    cost triggers take the same lock. SQLite has one writer anyway.
    """
    if dialect_name(session) == "postgresql":
        key = f"{tenant_id}:{rollup_shard(document_id)}"
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_ROLLUP_LOCK_CLASS, sa.func.hashtext(key))))


def _any_row(condition: Any) -> Any:
    """1 when some row of the group meets ``condition``: one document counts once."""
    return sa.func.max(sa.case((condition, 1), else_=0))


def _add_to_rollups(session: Session, *, document_id: str, sign: int) -> None:
    """Add (sign 1) or take out (sign -1) one document's field rows from ``field_rollups``."""
    f = ExtractionField
    path = sa.case((f.table_name.is_(None), f.name), else_=f.table_name + "." + f.name)
    units = sa.func.coalesce(
        sa.func.sum(sa.cast(sa.func.round(f.confidence * 1_000_000_000), sa.BigInteger)), 0
    )
    select = (
        sa.select(
            f.tenant_id,
            f.schema_name,
            path,
            sa.literal(rollup_shard(document_id)),
            sign * sa.func.count(),
            sign * _any_row(f.value_text.is_not(None)),
            sign * _any_row(f.flagged.is_(True)),
            sign * sa.func.count(f.confidence),
            sign * units,
        )
        .where(f.document_id == document_id)
        .group_by(f.tenant_id, f.schema_name, path)
        .order_by(f.tenant_id, f.schema_name, path)
    )
    sums = ("value_rows", "filled", "flagged", "confidence_count", "confidence_units")
    insert = insert_for(session, FieldRollup.__table__).from_select(
        ["tenant_id", "schema_name", "field", "shard", *sums], select
    )
    table = FieldRollup.__table__
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["tenant_id", "schema_name", "field", "shard"],
            set_={name: table.c[name] + insert.excluded[name] for name in sums},
        )
    )
