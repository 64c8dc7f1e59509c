"""Schema-guided mapping: a page's lines -> the fields and tables of any extraction schema.

It works from ``FieldSpec`` alone (name, kind, aliases), so custom schemas work too.

Confidence of a field = OCR confidence of the cells it came from (text-layer lines count as
1.0) x how it was found: 1.0 value after its label in the same cell, 0.97 in the next cell
of the row, 0.93 under the label; x0.95 when the label only matched with OCR-glued spacing;
table cells x0.95 under a header, x0.85 on header-less item lines, and 0.6 for a quantity of
1 that a receipt did not print (flag ``inferred``). Parties (seller name and address, buyer),
document numbers and the currency have readers of their own (``readers``): their methods and
raw qualities are listed in ``parties``, ``identifiers`` and ``currency``. Money and date
fields are chosen by score among every candidate of the page (``totals``, ``dates``), whose
methods and strengths are listed there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from extractors.fieldmap import readers
from extractors.fieldmap.dates import DateOrderSetting, choose_dates
from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import (
    LabelHit,
    ValueCandidate,
    find_labels,
    match_label,
    value_candidates,
)
from extractors.fieldmap.layout import Cell, Row, build_rows, typical_height
from extractors.fieldmap.tables import (
    TOTAL_WORDS,
    RawTable,
    find_header_tables,
    find_item_lines,
)
from extractors.fieldmap.totals import choose_amounts
from extractors.fieldmap.values import (
    detect_currency,
    find_dates,
    infer_day_first,
    parse_amount,
    parse_number,
)
from models.extraction import ExtractedField, ExtractedRow, FieldScalar, PageExtraction
from models.page import TextLine
from models.schemas import ExtractionSchema, FieldKind, FieldSpec

MAPPER_VERSION = "fieldmap-3"


class PageContext:
    """What the mapping of one page shares: its rows, label cells and reading conventions."""

    def __init__(self, lines: Sequence[TextLine], page_number: int) -> None:
        self.page_number = page_number
        self.rows: list[Row] = build_rows(lines)
        self.unit = typical_height(self.rows)
        texts = [row.text for row in self.rows]
        self.currency = detect_currency(texts)
        self.day_first = infer_day_first(texts, self.currency.code if self.currency else None)
        self.used: set[tuple[int, int]] = set()  # cells that belong to tables
        self.label_cells: set[tuple[int, int]] = set()

    def typed(self, kind: FieldKind, text: str) -> FieldScalar:
        """``text`` read as ``kind``; None when it does not hold such a value."""
        if kind == FieldKind.DATE:
            dates = find_dates(text, day_first=self.day_first)
            return dates[0].value.isoformat() if dates else None
        if kind == FieldKind.MONEY:
            amount = parse_amount(text)
            return float(amount) if amount is not None else None
        if kind in (FieldKind.NUMBER, FieldKind.INTEGER):
            number = parse_number(text)
            if number is None:
                return None
            return int(number) if kind == FieldKind.INTEGER else float(number)
        if kind == FieldKind.CURRENCY:
            evidence = detect_currency([text])
            return evidence.code if evidence else None
        text = text.strip(" :;,")
        return text if re.search(r"\w", text) else None

    def field(
        self, value: FieldScalar, cells: Sequence[Cell], quality: float, flags: Sequence[str] = ()
    ) -> ExtractedField:
        """An ExtractedField with confidence, source text and box from its cells."""
        ocr = sum(c.confidence for c in cells) / len(cells)
        source = " ".join(dict.fromkeys(c.text for c in cells))
        return ExtractedField(
            value=value,
            confidence=round(max(0.0, min(1.0, ocr * quality)), 4),
            page=self.page_number,
            source_text=source,
            flags=list(flags),
            bbox=(
                min(c.x0 for c in cells),
                min(c.y0 for c in cells),
                max(c.x1 for c in cells),
                max(c.y1 for c in cells),
            ),
        )


def map_page(
    lines: Sequence[TextLine],
    schema: ExtractionSchema,
    *,
    page_number: int,
    date_order: DateOrderSetting = "auto",
) -> PageExtraction:
    """The fields and tables ``schema`` asks for, read from one page's lines; ``date_order``
    is the deployment's day/month order for dates the page does not order (``dates.day_order``)."""
    if schema.free_form:
        from extractors.fieldmap.freeform import map_free_form

        return map_free_form(lines, page_number=page_number)
    ctx = PageContext(lines, page_number)
    scalars = [s for s in schema.fields if s.kind != FieldKind.TABLE]
    money_labels = [s for s in scalars if s.kind == FieldKind.MONEY]

    def is_stop(cell: Cell) -> bool:  # a totals label ends a table
        labels = [*TOTAL_WORDS, *(a for s in money_labels for a in s.aliases)]
        return any(match_label(cell.text, word) is not None for word in labels)

    tables: dict[str, list[ExtractedRow]] = {}
    for spec in (s for s in schema.fields if s.kind == FieldKind.TABLE):
        tables[spec.name] = _read_table(ctx, spec, scalars, is_stop)
    hits = find_labels(ctx.rows, scalars, skip=ctx.used)
    ctx.label_cells = {(h.row, h.cell) for h in hits}
    fields: dict[str, ExtractedField] = {}
    sellers: dict[str, Finding] = {}  # party ("vendor") -> its name as found, for its address
    # Money and date fields are chosen by score among every candidate of the page.
    scored = choose_amounts(ctx.rows, scalars, unit=ctx.unit, page_number=page_number)
    scored.update(
        choose_dates(ctx.rows, scalars, unit=ctx.unit, page_number=page_number, date_order=date_order)
    )
    for spec in scalars:
        if spec.kind == FieldKind.ADDRESS:
            continue
        own_hits = [h for h in hits if h.field == spec.name]
        if readers.serves(spec):  # parties, document numbers, currency: readers of their own
            found = readers.read_field(ctx, spec, own_hits, sellers)
        elif spec.kind in (FieldKind.MONEY, FieldKind.DATE):
            found = scored.get(spec.name)
        else:
            found = _read_labelled(ctx, spec, own_hits)
        if found is None and spec.kind == FieldKind.CURRENCY:
            found = _read_currency(ctx)
        if found is not None:
            fields[spec.name] = found
    for spec in (s for s in scalars if s.kind == FieldKind.ADDRESS):
        own_hits = [h for h in hits if h.field == spec.name]
        served, found = readers.read_issuer_address(ctx, spec, own_hits, sellers)
        if not served:
            found = _read_address(ctx, spec, own_hits, fields)
        if found is not None:
            fields[spec.name] = found
    return PageExtraction(
        page_numbers=[page_number], fields=fields, tables={k: v for k, v in tables.items() if v}
    )


def _read_labelled(ctx: PageContext, spec: FieldSpec, hits: list[LabelHit]) -> ExtractedField | None:
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row, h.cell)):
        for candidate in value_candidates(ctx.rows, hit, ctx.label_cells, ctx.unit):
            value = ctx.typed(spec.kind, candidate.text)
            if value is not None:
                label = ctx.rows[hit.row].cells[hit.cell]
                quality = candidate.quality * (1.0 if hit.exact else 0.95) * (0.9 if hit.misread else 1.0)
                return ctx.field(value, _cells(label, candidate), quality)
    return None


def _cells(label: Cell, candidate: ValueCandidate) -> list[Cell]:
    return [label] if candidate.cells == (label,) else [label, *candidate.cells]


def _read_currency(ctx: PageContext) -> ExtractedField | None:
    if ctx.currency is None:
        return None
    row = ctx.rows[ctx.currency.line_index]
    return ctx.field(ctx.currency.code, row.cells, ctx.currency.confidence)


def _read_address(
    ctx: PageContext, spec: FieldSpec, hits: list[LabelHit], fields: dict[str, ExtractedField]
) -> ExtractedField | None:
    """An address: after its own label, else the lines under its party's name."""
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row)):
        candidates = value_candidates(ctx.rows, hit, ctx.label_cells, ctx.unit)
        if candidates:
            first = candidates[0]
            lines = [*first.cells, *_lines_below(ctx, first.cells[-1])]
            text = ", ".join([first.text, *(c.text for c in lines[len(first.cells) :])])
            return ctx.field(text, lines, first.quality)
    party = spec.name.removesuffix("_address")
    name_field = fields.get(f"{party}_name")
    if name_field is None or name_field.bbox is None:
        return None
    anchor = _cell_at(ctx, name_field.bbox)
    if anchor is None:
        return None
    lines = _lines_below(ctx, anchor)
    if not lines:
        return None
    return ctx.field(", ".join(c.text for c in lines), lines, 0.8)


def _cell_at(ctx: PageContext, bbox: tuple[float, float, float, float]) -> Cell | None:
    for row in ctx.rows:
        for cell in row.cells:
            if cell.bbox == bbox:
                return cell
    return None


def _lines_below(ctx: PageContext, anchor: Cell, limit: int = 4) -> list[Cell]:
    """Cells stacked under ``anchor`` line after line, until a gap, a label or a date."""
    out: list[Cell] = []
    previous = anchor
    for r, row in enumerate(ctx.rows):
        if row.y0 < previous.y1 - 0.3 * previous.height or len(out) >= limit:
            continue
        if row.y0 - previous.y1 > max(previous.height, ctx.unit):
            break
        match = next(((c, cell) for c, cell in enumerate(row.cells) if cell.overlaps_x(anchor) > 0), None)
        if match is None:
            break
        c, cell = match
        if (r, c) in ctx.label_cells or (r, c) in ctx.used or find_dates(cell.text):
            break
        out.append(cell)
        previous = cell
    return out


def _read_table(
    ctx: PageContext, spec: FieldSpec, scalars: Sequence[FieldSpec], is_stop: Callable[[Cell], bool]
) -> list[ExtractedRow]:
    found = find_header_tables(ctx.rows, spec.columns, is_stop, ctx.unit)
    raw: RawTable | None = found[0][1] if found else None
    if raw is None:
        hits = find_labels(ctx.rows, scalars)
        labelled = {id(ctx.rows[h.row].cells[h.cell]) for h in hits}
        raw = find_item_lines(ctx.rows, spec.columns, lambda cell: id(cell) in labelled)
    if raw is None:
        return []
    for r, row in enumerate(ctx.rows):  # table cells are not labels of other fields
        for c, cell in enumerate(row.cells):
            if any(cell in cells for body in raw.rows for cells in body.values()):
                ctx.used.add((r, c))
    kinds = {column.name: column.kind for column in spec.columns}
    out: list[ExtractedRow] = []
    for body in raw.rows:
        row_fields: ExtractedRow = {}
        for name, cells in body.items():
            text = " ".join(c.text for c in cells)
            value = ctx.typed(kinds[name], text)
            if value is not None:
                row_fields[name] = ctx.field(value, cells, raw.quality)
        _infer_single_quantity(row_fields, kinds, header=bool(found))
        if row_fields:
            out.append(row_fields)
    return out


def _infer_single_quantity(row: ExtractedRow, kinds: dict[str, FieldKind], *, header: bool) -> None:
    """A receipt line with no "2 x" prints one unit: quantity 1, unit price = amount."""
    if header:
        return
    quantity = next((n for n, k in kinds.items() if k in (FieldKind.NUMBER, FieldKind.INTEGER)), None)
    unit = next((n for n in kinds if "price" in n or "unit" in n), None)
    amount = next((n for n in reversed(list(kinds)) if "amount" in n or "total" in n), None)
    if quantity and unit and amount and amount in row and quantity not in row:
        source = row[amount]
        row[quantity] = source.model_copy(update={"value": 1.0, "confidence": 0.6, "flags": ["inferred"]})
        row[unit] = source.model_copy(update={"confidence": 0.6, "flags": ["inferred"]})
