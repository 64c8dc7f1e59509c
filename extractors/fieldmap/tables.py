"""Tables: line items under a header row, receipt item lines, and free-form tables.

With a header: the row whose cells name at least two of the columns (by their aliases) is
the header; its cells' x-extents anchor the columns; rows below belong to the table until a
totals label, a row with no number (a wrapped description joins the row above), or a gap of
more than about two lines. A cell goes to the column it overlaps most (numbers are usually
right-aligned under their header, descriptions left-aligned), else the nearest one.

Without a header (receipts): rows that end in an amount with cents and start with text,
optionally with "2 x 3.50" in between, above the first totals label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from extractors.fieldmap.labels import aliases_for, match_label, squash
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.values import find_amounts, parse_number
from models.schemas import FieldKind, FieldSpec

_QTY_TIMES = re.compile(r"^\s*(?P<qty>\d+(?:[.,]\d+)?)\s*[xX×*@]\s*(?P<unit>.+)$")
TOTAL_WORDS = (
    "subtotal",
    "sub total",
    "total",
    "tax",
    "vat",
    "balance",
    "amount due",
    "grand total",
    "sum",
    "summe",
    "mwst",
    "net total",
)


@dataclass(frozen=True)
class RawTable:
    """Rows of a table as cells per column key (no typing yet)."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, tuple[Cell, ...]], ...]
    quality: float


def _header_match(cell: Cell, columns: Sequence[FieldSpec]) -> str | None:
    """The column a header cell names: its whole text must be one alias (plus punctuation)."""
    best, best_len = None, 0
    for spec in columns:
        for alias in aliases_for(spec):
            end = match_label(cell.text, alias)
            if end is not None and not squash(cell.text[end:]) and len(squash(alias)) > best_len:
                best, best_len = spec.name, len(squash(alias))
    return best


def _assign(cell: Cell, anchors: dict[str, Cell]) -> str:
    overlap = {name: cell.overlaps_x(anchor) for name, anchor in anchors.items()}
    name = max(overlap, key=lambda n: overlap[n])
    if overlap[name] > 0:
        return name
    centre = (cell.x0 + cell.x1) / 2
    return min(anchors, key=lambda n: abs((anchors[n].x0 + anchors[n].x1) / 2 - centre))


def _has_number(cells: Sequence[Cell]) -> bool:
    return any(re.search(r"\d", c.text) for c in cells)


def find_header_tables(
    rows: Sequence[Row], columns: Sequence[FieldSpec], is_stop: Callable[[Cell], bool], unit: float
) -> list[tuple[int, RawTable]]:
    """Tables introduced by a header row naming at least two columns; (header row, table)."""
    tables = []
    r = 0
    while r < len(rows):
        names = [_header_match(cell, columns) for cell in rows[r].cells]
        matched = {n for n in names if n}
        if len(matched) < 2 or len(matched) * 2 < len(rows[r].cells):
            r += 1
            continue
        anchors = {n: c for n, c in zip(names, rows[r].cells, strict=True) if n}
        text_column = next((s.name for s in columns if s.kind == FieldKind.TEXT and s.name in anchors), None)
        body: list[dict[str, tuple[Cell, ...]]] = []
        bottom = rows[r].y1
        end = r + 1
        while end < len(rows):
            row = rows[end]
            if row.y0 - bottom > 2.2 * unit or is_stop(row.cells[0]):
                break
            if _header_match(row.cells[0], columns) and len(row.cells) > 1:
                break  # the next table's header
            if not _has_number(row.cells):
                if body and text_column and len(row.cells) == 1:
                    body[-1][text_column] = (*body[-1].get(text_column, ()), row.cells[0])
                    bottom, end = row.y1, end + 1
                    continue
                break
            cells_by_column: dict[str, tuple[Cell, ...]] = {}
            for cell in row.cells:
                column = _assign(cell, anchors)
                cells_by_column[column] = (*cells_by_column.get(column, ()), cell)
            body.append(cells_by_column)
            bottom, end = row.y1, end + 1
        if body:
            tables.append((r, RawTable(tuple(anchors), tuple(body), 0.95)))
        r = end
    return tables


def find_item_lines(
    rows: Sequence[Row], columns: Sequence[FieldSpec], is_label: Callable[[Cell], bool]
) -> RawTable | None:
    """Receipt-style items without a header ("Coffee   2 x 3.50   7.00"), above the totals."""
    kinds = {spec.kind: spec.name for spec in reversed(columns)}
    names = [spec.name for spec in columns]
    description = kinds.get(FieldKind.TEXT)
    amount = next((n for n in reversed(names) if "amount" in n or "total" in n), kinds.get(FieldKind.MONEY))
    unit_price = next((n for n in names if "price" in n or "unit" in n), None)
    quantity = kinds.get(FieldKind.NUMBER) or kinds.get(FieldKind.INTEGER)
    if description is None or amount is None:
        return None
    body = []
    for row in rows:
        first, last = row.cells[0], row.cells[-1]
        if any(match_label(first.text, word) is not None for word in TOTAL_WORDS):
            break
        if len(row.cells) < 2 or is_label(first) or not re.search(r"[A-Za-z]", first.text):
            continue
        amounts = find_amounts(last.text)
        if len(amounts) != 1 or not amounts[0].has_decimals:
            continue
        if squash(last.text[: amounts[0].start] + last.text[amounts[0].end :]):
            continue  # the last cell holds more than an amount: not an item line
        item: dict[str, tuple[Cell, ...]] = {description: (first,), amount: (last,)}
        middle = row.cells[1:-1]
        times = _QTY_TIMES.match(middle[0].text) if len(middle) == 1 else None
        if times and quantity and unit_price and parse_number(times["qty"]) is not None:
            item[quantity] = (middle[0],)
            item[unit_price] = (middle[0],)
        elif middle:
            continue  # something we do not understand between name and amount
        body.append(item)
    if not body:
        return None
    return RawTable(tuple(c for c in (description, quantity, unit_price, amount) if c), tuple(body), 0.85)


def find_free_tables(rows: Sequence[Row], unit: float) -> list[tuple[int, RawTable]]:
    """Tables in a free-form page: a header row of three or more text cells (no digits, no
    colons) followed by at least two rows with two or more cells."""
    tables = []
    r = 0
    while r < len(rows):
        header = rows[r].cells
        plain = all(not re.search(r"[\d:]", c.text) for c in header)
        if len(header) < 3 or not plain:
            r += 1
            continue
        anchors = {c.text: c for c in header}
        body = []
        end, bottom = r + 1, rows[r].y1
        while (
            end < len(rows)
            and rows[end].y0 - bottom <= 2.2 * unit
            and len(rows[end].cells) >= 2
            and _has_number(rows[end].cells)
            and not rows[end].cells[0].text.rstrip().endswith(":")
        ):
            cells_by_column: dict[str, tuple[Cell, ...]] = {}
            for cell in rows[end].cells:
                column = _assign(cell, anchors)
                cells_by_column[column] = (*cells_by_column.get(column, ()), cell)
            body.append(cells_by_column)
            bottom, end = rows[end].y1, end + 1
        if len(body) >= 2:
            tables.append((r, RawTable(tuple(anchors), tuple(body), 0.9)))
            r = end
        else:
            r += 1
    return tables
