"""The model's per-page answer -> ``ExtractedField``s: value, confidence, page, source text,
box, and the flags ``ungrounded`` and ``confidence_unknown``.

Confidence comes from the token log-probabilities (``logprobs``); a value whose tokens could
not be placed on the answer has confidence None and the flag ``confidence_unknown``.

Grounding (text-routed pages only, where the model saw nothing but the text layer; not with
``llm_witness=off``): a value must be stated by the page text, compared loosely (see
``extractors.witness.states``). A value that is not found gets the flag ``ungrounded``
(``extractors.checks`` turns it into a review flag). The line it was found on becomes
``source_text`` and ``bbox``. Essential values get the fuller witness check afterwards
(``extractors.witness``), on image pages too.
"""

from __future__ import annotations

from typing import Any

from extractors.fieldmap.values import snake_case
from extractors.llama.logprobs import TokenConfidence
from extractors.llama.responses import Path
from extractors.witness import UNGROUNDED, states
from models.extraction import ExtractedField, ExtractedRow, FieldScalar
from models.page import PageRoute, PreparedPage, TextLine
from models.schemas import ExtractionSchema, FieldKind, FieldSpec

CONFIDENCE_UNKNOWN = "confidence_unknown"
# ExtractedField.method of every llama value: the confidence is the tokens' probability.
METHOD = "logprob"


class PageFields:
    """Builds one page's fields and tables from the model's values for that page."""

    def __init__(
        self,
        page: PreparedPage,
        spans: dict[Path, tuple[int, int]],
        prefix: Path,
        confidence: TokenConfidence,
        *,
        grounding: bool = True,
    ) -> None:
        """``grounding``: check values against the text layer of a text-routed page."""
        self._page = page
        self._spans = spans
        self._prefix = prefix
        self._confidence = confidence
        self._grounding = grounding and page.route is PageRoute.TEXT and bool(page.text.strip())
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
        line, found = self._find(scalar, kind) if self._grounding else (None, True)
        flags = [] if found else [UNGROUNDED]
        if confidence is None:
            flags.append(CONFIDENCE_UNKNOWN)
        return ExtractedField(
            value=scalar,
            confidence=confidence,
            page=self._page.page_number,
            source_text=line.text if line is not None else None,
            bbox=line.bbox if line is not None and self._page.lines else None,
            flags=flags,
            method=METHOD,
        )

    def _find(self, value: FieldScalar, kind: FieldKind | None) -> tuple[TextLine | None, bool]:
        """The line that states ``value`` and whether the page text states it at all."""
        if isinstance(value, bool):
            return None, True
        for line in self._lines:
            if states(line.text, value, kind):
                return line, True
        return None, states(self._page.text, value, kind)  # values spanning lines (addresses)
