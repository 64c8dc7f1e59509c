"""The model's per-page answer -> ``ExtractedField``s: value, confidence, page, source text,
box, and the ``ungrounded`` flag.

Grounding (text-routed pages only, where the model saw nothing but the text layer): a value
must be findable in the page text, compared loosely: text case- and punctuation-blind with
whitespace collapsed; numbers as amounts in any printed format (``1.234,50`` = ``1234.5``);
dates in any printed format (``23.03.2025`` = ``2025-03-23``); currencies by code or symbol.
A value that is not found gets the flag ``ungrounded`` (``extractors.checks`` turns it into
a review flag). The line it was found on becomes ``source_text`` and ``bbox``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from extractors.fieldmap.values import detect_currency, find_amounts, find_dates, snake_case
from extractors.llama.responses import Path, TokenConfidence
from models.extraction import ExtractedField, ExtractedRow, FieldScalar
from models.page import PageRoute, PreparedPage, TextLine
from models.schemas import ExtractionSchema, FieldKind, FieldSpec

UNGROUNDED = "ungrounded"
_WORDS = re.compile(r"[\W_]+")
_HALF_CENT = Decimal("0.005")


class PageFields:
    """Builds one page's fields and tables from the model's values for that page."""

    def __init__(
        self,
        page: PreparedPage,
        spans: dict[Path, tuple[int, int]],
        prefix: Path,
        confidence: TokenConfidence,
    ) -> None:
        self._page = page
        self._spans = spans
        self._prefix = prefix
        self._confidence = confidence
        self._grounding = page.route is PageRoute.TEXT and bool(page.text.strip())
        self._lines = list(page.lines) or [
            TextLine(text=row, bbox=(0.0, 0.0, 1.0, 1.0)) for row in page.text.splitlines()
        ]

    def build(
        self, schema: ExtractionSchema, values: dict[str, Any]
    ) -> tuple[dict[str, ExtractedField], dict[str, list[ExtractedRow]]]:
        """Fields (null values left out) and tables (rows with at least one value)."""
        if schema.free_form:
            return self._free_form(values)
        fields: dict[str, ExtractedField] = {}
        tables: dict[str, list[ExtractedRow]] = {}
        for spec in schema.fields:
            raw = values.get(spec.name)
            if spec.kind is FieldKind.TABLE:
                rows = self._rows(spec, raw if isinstance(raw, list) else [], (spec.name,))
                if rows:
                    tables[spec.name] = rows
            elif raw is not None:
                fields[spec.name] = self._field(raw, spec.kind, (spec.name,))
        return fields, tables

    def _rows(self, spec: FieldSpec, raw_rows: list[Any], path: Path) -> list[ExtractedRow]:
        rows: list[ExtractedRow] = []
        for index, raw in enumerate(raw_rows):
            if not isinstance(raw, dict):
                continue
            row = {
                col.name: self._field(raw[col.name], col.kind, (*path, index, col.name))
                for col in spec.columns
                if raw.get(col.name) is not None
            }
            if row:
                rows.append(row)
        return rows

    def _free_form(
        self, values: dict[str, Any]
    ) -> tuple[dict[str, ExtractedField], dict[str, list[ExtractedRow]]]:
        fields: dict[str, ExtractedField] = {}
        for index, pair in enumerate(values.get("fields", [])):
            key = snake_case(str(pair.get("key", "")))
            if pair.get("value") is not None and key not in fields:
                fields[key] = self._field(pair["value"], None, ("fields", index, "value"))
        tables: dict[str, list[ExtractedRow]] = {}
        for t_index, table in enumerate(values.get("tables", [])):
            name = snake_case(str(table.get("name") or f"table_{t_index + 1}"))
            rows: list[ExtractedRow] = []
            for r_index, row in enumerate(table.get("rows", [])):
                cells: ExtractedRow = {}
                for c_index, cell in enumerate(row.get("cells", [])):
                    if cell.get("value") is None:
                        continue
                    path = ("tables", t_index, "rows", r_index, "cells", c_index, "value")
                    cells.setdefault(
                        snake_case(str(cell.get("column", ""))), self._field(cell["value"], None, path)
                    )
                if cells:
                    rows.append(cells)
            if rows:
                tables.setdefault(name, []).extend(rows)
        return fields, tables

    def _field(self, value: Any, kind: FieldKind | None, path: Path) -> ExtractedField:
        scalar: FieldScalar = value if isinstance(value, str | int | float | bool) else str(value)
        confidence = self._confidence.of(self._spans.get((*self._prefix, *path)))
        line, found = self._find(scalar, kind)
        flags = [UNGROUNDED] if self._grounding and not found else []
        return ExtractedField(
            value=scalar,
            confidence=confidence,
            page=self._page.page_number,
            source_text=line.text if line is not None else None,
            bbox=line.bbox if line is not None and self._page.lines else None,
            flags=flags,
        )

    def _find(self, value: FieldScalar, kind: FieldKind | None) -> tuple[TextLine | None, bool]:
        """The line that states ``value`` and whether the page text states it at all."""
        if isinstance(value, bool):
            return None, True
        matcher = _matcher(value, kind)
        for line in self._lines:
            if matcher(line.text):
                return line, True
        return None, matcher(self._page.text)  # values spanning lines (addresses)


def _matcher(value: FieldScalar, kind: FieldKind | None) -> Any:
    if isinstance(value, int | float):
        number = Decimal(str(value))
        return lambda text: _has_amount(text, number)
    text_value = str(value)
    if kind is FieldKind.CURRENCY:
        return lambda text: _has_currency(text, text_value)
    if kind is FieldKind.DATE or (kind is None and _iso_date(text_value) is not None):
        day = _iso_date(text_value)
        if day is not None:
            return lambda text: _has_date(text, day) or _norm(text_value) in _norm(text)
    wanted = _norm(text_value)
    return lambda text: wanted in _norm(text)


def _norm(text: str) -> str:
    return f" {_WORDS.sub(' ', text.casefold()).strip()} "


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _amounts_in(text: str) -> tuple[Decimal, ...]:
    """The absolute amounts printed in ``text``; cached because every numeric field of a
    response is checked against every line of its pages (profiled: the client's top cost)."""
    return tuple(abs(match.value) for match in find_amounts(text))


def _has_amount(text: str, number: Decimal) -> bool:
    wanted = abs(number)
    for amount in _amounts_in(text):
        try:
            if abs(amount - wanted) < _HALF_CENT:
                return True
        except InvalidOperation:
            continue
    return False


def _has_date(text: str, day: dt.date) -> bool:
    return any(m.value == day for first in (True, False) for m in find_dates(text, day_first=first))


def _has_currency(text: str, code: str) -> bool:
    if re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![A-Za-z])", text):
        return True
    evidence = detect_currency([text])
    return evidence is not None and evidence.code == code
