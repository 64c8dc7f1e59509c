"""The ``generic`` schema: every "Label: value" pair and every table on a page.

Keys are the labels in snake_case ("Invoice No." -> ``invoice_no``); a repeated key gets a
suffix (``date_2``). Values are typed when the whole value is one: a date becomes ISO 8601,
an amount a number, anything else stays text. A row of plain labels with a row of values
under it (a "stacked" block) gives one pair per column. Tables: see
``tables.find_free_tables``; they become ``tables["table_1"]``, ... with snake_case columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from extractors.fieldmap.layout import Cell, Row, build_rows, typical_height
from extractors.fieldmap.tables import find_free_tables
from extractors.fieldmap.values import find_amounts, find_dates, infer_day_first, snake_case
from models.extraction import ExtractedField, ExtractedRow, FieldScalar, PageExtraction
from models.page import TextLine

# How a field is stored: label, value text, the cells it was read from, quality.
_Put = Callable[[str, str, Sequence[Cell], float], None]
_PAIR = re.compile(r"^(?P<label>[^:]{1,40}?)\s*:\s*(?P<value>.*)$")


def _typed(text: str, day_first: bool) -> FieldScalar:
    """A date or an amount when it makes up the whole text, else the text."""
    stripped = text.strip()
    dates = find_dates(stripped, day_first=day_first)
    if len(dates) == 1 and len(stripped) - (dates[0].end - dates[0].start) <= 1:
        return dates[0].value.isoformat()
    amounts = find_amounts(stripped)
    if len(amounts) == 1 and amounts[0].start == 0 and amounts[0].end >= len(stripped) - 1:
        amount = amounts[0]
        return float(amount.value) if amount.has_decimals or amount.currency else int(amount.value)
    return stripped


def _field(value: FieldScalar, cells: Sequence[Cell], page: int, quality: float) -> ExtractedField:
    ocr = sum(c.confidence for c in cells) / len(cells)
    return ExtractedField(
        value=value,
        confidence=round(min(1.0, ocr * quality), 4),
        page=page,
        source_text=" ".join(dict.fromkeys(c.text for c in cells)),
        bbox=(
            min(c.x0 for c in cells),
            min(c.y0 for c in cells),
            max(c.x1 for c in cells),
            max(c.y1 for c in cells),
        ),
    )


def _is_plain_label(cell: Cell) -> bool:
    words = cell.text.split()
    return 1 <= len(words) <= 4 and not re.search(r"[\d:]", cell.text) and cell.text[0].isupper()


def _value_cell(rows: Sequence[Row], r: int, c: int, used: set[int], unit: float) -> Cell | None:
    """The value of an empty "Label:" cell: the next cell on its row unless that is a label
    itself, else the cell under it on the next row."""
    row, cell = rows[r], rows[r].cells[c]
    if c + 1 < len(row.cells) and not _PAIR.match(row.cells[c + 1].text):
        return row.cells[c + 1]
    if r + 1 < len(rows) and rows[r + 1].y0 - row.y1 <= 1.5 * unit:
        return next(
            (
                v
                for v in rows[r + 1].cells
                if v.overlaps_x(cell) > 0 and id(v) not in used and not _PAIR.match(v.text)
            ),
            None,
        )
    return None


def map_free_form(lines: Sequence[TextLine], *, page_number: int) -> PageExtraction:
    """Every labelled value as a snake_case field and every table as ``table_<n>``."""
    rows = build_rows(lines)
    unit = typical_height(rows)
    day_first = infer_day_first(row.text for row in rows)
    used: set[int] = set()
    tables = _tables(rows, unit, day_first, page_number, used)
    fields: dict[str, ExtractedField] = {}

    def put(label: str, value_text: str, cells: Sequence[Cell], quality: float) -> None:
        key, n = snake_case(label), 2
        while key in fields:
            key, n = f"{snake_case(label)}_{n}", n + 1
        fields[key] = _field(_typed(value_text, day_first), cells, page_number, quality)

    for r, row in enumerate(rows):
        for c in range(len(row.cells)):
            _put_pair(rows, r, c, unit, used, put)
        _put_stacked(rows, r, unit, used, put)
    return PageExtraction(page_numbers=[page_number], fields=fields, tables=tables)


def _tables(
    rows: list[Row], unit: float, day_first: bool, page_number: int, used: set[int]
) -> dict[str, list[ExtractedRow]]:
    """The page's tables as ``table_<n>``; their cells are added to ``used``."""
    tables: dict[str, list[ExtractedRow]] = {}
    for number, (_, raw) in enumerate(find_free_tables(rows, unit), start=1):
        keys = {column: snake_case(column) for column in raw.columns}
        table_rows = []
        for body in raw.rows:
            table_rows.append(
                {
                    keys[column]: _field(
                        _typed(" ".join(c.text for c in cells), day_first), cells, page_number, raw.quality
                    )
                    for column, cells in body.items()
                }
            )
            used.update(id(c) for cells in body.values() for c in cells)
        tables[f"table_{number}"] = table_rows
    return tables


def _put_pair(rows: list[Row], r: int, c: int, unit: float, used: set[int], put: _Put) -> None:
    """Cell ``c`` of row ``r`` as "Label: value", the value in the cell or in a neighbour."""
    row = rows[r]
    cell = row.cells[c]
    if id(cell) in used:
        return
    pair = _PAIR.match(cell.text)
    if not pair or not re.search(r"[A-Za-z]", pair["label"]):
        return
    value_text, cells, quality = pair["value"].strip(), [cell], 1.0
    if not value_text:
        value_cell = _value_cell(rows, r, c, used, unit)
        if value_cell is not None:
            value_text, cells = value_cell.text, [cell, value_cell]
            quality = 0.97 if value_cell in row.cells else 0.93
            used.add(id(value_cell))
    if value_text:
        put(pair["label"], value_text, cells, quality)
        used.add(id(cell))


def _put_stacked(rows: list[Row], r: int, unit: float, used: set[int], put: _Put) -> None:
    """A stacked block: row ``r`` of plain labels, each with its value right under it."""
    row = rows[r]
    if r + 1 >= len(rows) or len(row.cells) < 2 or not all(map(_is_plain_label, row.cells)):
        return
    below = rows[r + 1]
    aligned = len(below.cells) == len(row.cells) and all(re.search(r"\d", v.text) for v in below.cells)
    if not aligned or below.y0 - row.y1 > 1.5 * unit:
        return
    for cell in row.cells:
        under = next((v for v in below.cells if v.overlaps_x(cell) > 0 and id(v) not in used), None)
        if under is not None and id(cell) not in used:
            put(cell.text, under.text, [cell, under], 0.93)
            used.update((id(cell), id(under)))
