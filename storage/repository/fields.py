"""Typed field rows: every value of a document's current extraction, ready to filter on.

``add_extraction`` calls :func:`replace_fields` in its own transaction, so every writer
keeps ``extraction_fields`` in step with the current version. Values are typed by what
they are: JSON numbers (and plain numerals) fill ``value_number``, ISO 8601 dates fill
``value_date``, and every found value also has its text in ``value_text``.
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
from storage.tables import ExtractionField

TEXT_LIMIT = 600  # keeps every value_text under PostgreSQL's btree row limit
_NUMERAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Review flags look like "low_confidence: total_amount (0.41)" or "missing: x was not found".
_FLAG_SUBJECT = re.compile(r"^[a-z_]+: ([A-Za-z0-9_.\[\]]+)")
_BATCH = 500


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
    """Make the document's field rows those of ``extraction``; returns the rows written."""
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
    return len(rows)
