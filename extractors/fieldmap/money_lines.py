"""Every amount of a page with the label that introduces it: the candidates money fields are
chosen from.

A row is read left to right as label text and amounts. An amount's label is the text since
the amount before it on the row ("ITEM:5  Total 25.85" gives a count of 5 and a total of
25.85); an amount right after another one keeps the label of its group ("Total: 24 473.30"
gives 24 and 473.30, both labelled "Total"). A label row without amounts gives its labels to
the unlabelled amounts under them (a stacked "Total" over "120.00", or a totals header
"Imponibile  Aliquota IVA  Imposta  Totale documento" over its row of values). Text after
the last amount of a row ("5.00 RM", "4.53 SR") labels nothing.

Two zones matter besides the labels. The *tax summary* (the rows under a "GST Summary",
"Tax code", "MwSt-Übersicht" header, or rows that start with a rate alone, "10%  204,06
20,41  224,47", with the sum row under them) restates the totals per tax rate, so its
amounts are never the document's total, and its subtotal and tax count only when the main
block has none. The *items* are the rows above the first totals label
that end in an amount with cents: their sum checks a subtotal or total.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from extractors.fieldmap.amount_labels import LabelReading, MoneyRole, is_summary_header, read_label
from extractors.fieldmap.amounts import Amount, read_amounts
from extractors.fieldmap.layout import Cell, Row

# Roles whose first appearance ends the items of a page.
TOTALS_ROLES = frozenset(
    {MoneyRole.TOTAL, MoneyRole.SUBTOTAL, MoneyRole.NET, MoneyRole.TAX, MoneyRole.CASH, MoneyRole.CHANGE}
)
_NOT_ITEMS = TOTALS_ROLES | {MoneyRole.ROUNDING, MoneyRole.SUMMARY}
# Roles a totals header row names ("Net  VAT  Total"): two of them make it one.
_HEADER_ROLES = frozenset({MoneyRole.SUBTOTAL, MoneyRole.NET, MoneyRole.TAX, MoneyRole.TOTAL})
_SUMMARY_ROWS = 8
_SLANT = 1.2  # text heights: how far off its value's row a slanted photo may put a label
_CENTS_MARK = re.compile(r"\d([.,])\d{2}(?![\d.,])")
_NEAR_HEADER = 0.25  # page widths: how far a value's centre may sit from its header word's
# A row that starts with a tax rate alone ("10%", "SR @ 6%", "Z=0%") and carries several
# amounts restates one rate of a tax summary.
_RATE_ROW = re.compile(
    r"^\W*(?:[A-Za-z]{1,3}\W{0,3}){0,2}\d{1,2}(?:[.,]\d{1,3})?\s?%\W*$"
)  # a tax summary is a few rates long; it never runs to the end of a page


@dataclass(frozen=True)
class MoneyLine:
    """One amount on a page, with its label, where it sits and what zone it is in."""

    row: int
    amount: Amount
    cell: Cell  # the cell the amount is printed in
    label: str  # the label text ("" when none)
    label_cells: tuple[Cell, ...]
    reading: LabelReading
    placement: float  # 1.0 amount in the label's cell, 0.97 on its row, 0.93 under it
    follows_amount: bool  # printed right after another amount (its label is the group's)
    in_summary: bool
    # No amount follows it in its group: the value of its label, not a base or a quantity
    # printed before the value ("MwSt. 19 % auf 60,08  11,42": 11,42 is the tax).
    last_in_group: bool = True

    @property
    def role(self) -> MoneyRole:
        return self.reading.role

    @property
    def value(self) -> Decimal:
        return self.amount.value

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (*self.label_cells, self.cell)

    @property
    def place(self) -> tuple[int, float]:
        """Reading order on the page: row, then left to right."""
        return (self.row, self.cell.x0)


@dataclass(frozen=True)
class MoneyPage:
    """The money lines of a page, its item sum, and how its amounts are usually printed."""

    lines: tuple[MoneyLine, ...]
    items_sum: Decimal | None
    item_count: int
    decimal_share: float  # share of the page's non-zero amounts printed with cents

    def of(self, *roles: MoneyRole) -> list[MoneyLine]:
        """Lines of these roles outside the tax summary."""
        return [line for line in self.lines if line.role in roles and not line.in_summary]


def _row_pieces(row: Row, decimal_comma: bool | None) -> list[tuple[str, Cell, Amount | None]]:
    """The row as (text, cell, amount) pieces: label text has no amount, amounts no text."""
    pieces: list[tuple[str, Cell, Amount | None]] = []
    for cell in row.cells:
        position = 0
        for amount in read_amounts(cell.text, decimal_comma=decimal_comma):
            text = cell.text[position : amount.start]
            if text.strip():
                pieces.append((text, cell, None))
            pieces.append(("", cell, amount))
            position = amount.end
        if cell.text[position:].strip():
            pieces.append((cell.text[position:], cell, None))
    return pieces


def _lines_of_row(
    r: int, row: Row, extra: tuple[tuple[str, MoneyRole], ...], decimal_comma: bool | None = None
) -> list[MoneyLine]:
    out: list[MoneyLine] = []
    label: list[tuple[str, Cell]] = []
    group: tuple[str, tuple[Cell, ...]] = ("", ())
    after_amount = False
    for text, cell, amount in _row_pieces(row, decimal_comma):
        if amount is None:
            label.append((text, cell))
            after_amount = False
            continue
        worded = sum(ch.isalpha() for t, _ in label for ch in t) >= 2  # "Σ", "x", "22%": no label
        if worded:
            group = (" ".join(t.strip() for t, _ in label), tuple(dict.fromkeys(c for _, c in label)))
        elif label or not after_amount:
            group = ("", ())
        label_text, label_cells = group
        placement = 1.0 if label_cells == (cell,) else 0.97
        out.append(
            MoneyLine(
                r, amount, cell, label_text, label_cells, read_label(label_text, extra), placement,
                follows_amount=not label and after_amount, in_summary=False,
            )
        )  # fmt: skip
        label = []
        after_amount = True
    return _groups_ended(out)


def _groups_ended(row_lines: list[MoneyLine]) -> list[MoneyLine]:
    """The row's lines with ``last_in_group`` set: no amount follows them in their group."""
    return [
        replace(line, last_in_group=not (i + 1 < len(row_lines) and row_lines[i + 1].follows_amount))
        for i, line in enumerate(row_lines)
    ]


def _next_amounts(rows: Sequence[Row], at: int) -> list[Cell]:
    """Cells of the row after ``at`` that hold an amount."""
    if at + 1 >= len(rows):
        return []
    return [cell for cell in rows[at + 1].cells if read_amounts(cell.text)]


def _label_row_over(
    rows: Sequence[Row],
    r: int,
    at: int,
    below: list[MoneyLine],
    unit: float,
    extra: tuple[tuple[str, MoneyRole], ...],
) -> list[MoneyLine]:
    """The amounts of row ``at`` labelled by the label row ``r`` above them: a stacked
    "Total" over "120.00", or a totals header ("Base imponible  % IVA  Cuota IVA  TOTAL")
    over its row of values. A wider label row must name at least two totals to count, so
    that an item table's header never labels its first item."""
    row = rows[r]
    if rows[at].y0 - rows[at - 1].y1 > 2.2 * max(unit, row.height) or is_summary_header(row.text):
        return below
    readings = [read_label(cell.text, extra) for cell in row.cells]
    # One value alone on its row, no column of amounts under it, may take its header from
    # any label row ("Importo bollo  Sconto  Arr.  Totale documento" over "5.486,57").
    lone = (
        at == r + 1
        and len(below) == 1
        and not any(x.overlaps_x(below[0].cell) > 0 for x in _next_amounts(rows, at))
    )
    if len(row.cells) > 2 and sum(x.role in _HEADER_ROLES for x in readings) < 2 and not lone:
        return below
    if len(row.cells) <= 2 and at > r + 1:
        return below  # a lone label names one value, not a column of them
    out = []
    wide = len(row.cells) > 2
    for line in below:
        over = [
            (line.cell.overlaps_x(cell, slack=0.05), cell, reading)
            for cell, reading in zip(row.cells, readings, strict=True)
        ]
        overlap, cell, reading = max(over, key=lambda o: o[0])
        if overlap <= 0 and wide:  # right-aligned values under left-aligned header words
            centre = (line.cell.x0 + line.cell.x1) / 2
            cell, reading = min(
                zip(row.cells, readings, strict=True), key=lambda o: abs((o[0].x0 + o[0].x1) / 2 - centre)
            )
            overlap = 1.0 if abs((cell.x0 + cell.x1) / 2 - centre) < _NEAR_HEADER else 0.0
        if line.label or overlap <= 0 or reading.role is MoneyRole.OTHER or not line.amount.has_decimals:
            out.append(line)
            continue
        out.append(
            replace(
                line, label=cell.text, label_cells=(cell,), reading=reading, placement=0.93,
                follows_amount=False, last_in_group=True,
            )
        )  # fmt: skip
    return out


def _in_column(rows: Sequence[Row], per_row: Sequence[list[MoneyLine]], line: MoneyLine) -> bool:
    """Whether the next row has an amount under this one: a column of a table, not a value."""
    nxt = line.row + 1
    return nxt < len(rows) and any(x.cell.overlaps_x(line.cell) > 0 for x in per_row[nxt])


def _label_above(
    rows: Sequence[Row],
    per_row: Sequence[list[MoneyLine]],
    line: MoneyLine,
    unit: float,
    extra: tuple[tuple[str, MoneyRole], ...],
) -> MoneyLine:
    """A bare amount labelled by a label cell up to three rows above it ("Amount due" over
    "£171.94" with an address line between), unless it heads a column of amounts."""
    if line.label or not line.amount.has_decimals or _in_column(rows, per_row, line):
        return line
    for r in range(line.row - 1, max(-1, line.row - 4), -1):
        if line.cell.y0 - rows[r].y1 > 2.5 * max(unit, line.cell.height):
            break
        for cell in rows[r].cells:
            if cell.overlaps_x(line.cell, slack=0.05) <= 0 or read_amounts(cell.text):
                continue
            reading = read_label(cell.text, extra)
            header = sum(read_label(c.text, extra).role in _HEADER_ROLES for c in rows[r].cells)
            if reading.role is MoneyRole.OTHER or (len(rows[r].cells) > 2 and header < 2):
                return line
            return replace(line, label=cell.text, label_cells=(cell,), reading=reading, placement=0.93)
    return line


def _decimal_comma(rows: Sequence[Row]) -> bool | None:
    """Whether the page writes cents after a comma (1.234,56), a point (1,234.56), or None
    when it does not say: OCR then reads "1.853.37" in the page's way."""
    counts = Counter(m.group(1) for row in rows for m in _CENTS_MARK.finditer(row.text))
    if counts[","] == counts["."]:
        return None
    return counts[","] > counts["."]


def _label_beside(
    rows: Sequence[Row],
    per_row: Sequence[list[MoneyLine]],
    line: MoneyLine,
    extra: tuple[tuple[str, MoneyRole], ...],
) -> MoneyLine:
    """A bare amount labelled by a label alone on the row just above or below, left of it: a
    photo's slant puts "Rechnungsbetrag EUR" and its "1.348,20" on rows of their own."""
    if line.label or not line.amount.has_decimals:
        return line
    centre = (line.cell.y0 + line.cell.y1) / 2
    for r in (line.row - 1, line.row + 1):
        if not 0 <= r < len(rows) or per_row[r]:
            continue
        header = sum(read_label(c.text, extra).role in _HEADER_ROLES for c in rows[r].cells)
        if len(rows[r].cells) > 2 and header < 2:
            continue  # a table's header row ("Omschrijving  Aantal  Prijs  Btw  Bedrag")
        for cell in reversed(rows[r].cells):
            if cell.x1 > line.cell.x0 + 0.01 or abs((cell.y0 + cell.y1) / 2 - centre) > _SLANT * cell.height:
                continue
            reading = read_label(cell.text, extra)
            if reading.role in _HEADER_ROLES:
                return replace(line, label=cell.text, label_cells=(cell,), reading=reading, placement=0.93)
    return line


def _summary_rows(rows: Sequence[Row], lines: Sequence[MoneyLine]) -> set[int]:
    """Rows of tax summaries: under a summary header, while rows carry amounts (a column
    header row may come first), at most ``_SUMMARY_ROWS``, ended early by an amount to pay
    or a payment line (those are never restated per tax rate)."""
    by_row: dict[int, list[MoneyLine]] = {}
    for line in lines:
        by_row.setdefault(line.row, []).append(line)
    out: set[int] = set()
    left, seen = 0, False
    for r, row in enumerate(rows):
        row_lines = by_row.get(r, [])
        if is_summary_header(row.text):
            left, seen = _SUMMARY_ROWS, False
            continue
        if _RATE_ROW.match(row.cells[0].text) and len(row_lines) >= 2:
            left = max(left, _SUMMARY_ROWS)  # "10%  204,06  20,41  224,47": one rate restated
        if not left:
            continue
        ends = any(x.reading.final or x.role in (MoneyRole.CASH, MoneyRole.CHANGE) for x in row_lines)
        if ends or (not row_lines and seen) or (seen and len(row_lines) < 2):
            left = 0
            continue
        if row_lines:
            out.add(r)
            seen = True
        left -= 1
    return out


def read_money_page(
    rows: Sequence[Row], unit: float, extra: tuple[tuple[str, MoneyRole], ...] = ()
) -> MoneyPage:
    """The money lines of a page (see the module docstring); ``extra`` adds label words."""
    decimal_comma = _decimal_comma(rows)
    per_row = [_lines_of_row(r, row, extra, decimal_comma) for r, row in enumerate(rows)]
    for r in range(len(rows) - 1):
        if per_row[r] or not per_row[r + 1]:
            continue
        below = r + 1  # the header labels every row of bare values under it ("10%", "0%", "Σ")
        while below < len(rows) and per_row[below] and not any(line.label for line in per_row[below]):
            per_row[below] = _label_row_over(rows, r, below, per_row[below], unit, extra)
            below += 1
    for r in range(1, len(rows)):
        per_row[r] = [_label_above(rows, per_row, line, unit, extra) for line in per_row[r]]
    for r in range(len(rows)):
        per_row[r] = [_label_beside(rows, per_row, line, extra) for line in per_row[r]]
    per_row = [_groups_ended(row_lines) for row_lines in per_row]  # labels above changed groups
    lines = [line for row_lines in per_row for line in row_lines]
    summary = _summary_rows(rows, lines)
    lines = [replace(line, in_summary=True) if line.row in summary else line for line in lines]
    labelled_totals = (line.row for line in lines if line.role in TOTALS_ROLES and line.label)
    first_totals = min(labelled_totals, default=len(rows))
    items: list[Decimal] = []
    for r in range(first_totals):
        row_lines = [line for line in lines if line.row == r and line.placement > 0.93]
        if not row_lines or any(line.role in _NOT_ITEMS for line in row_lines):
            continue
        priced = [line for line in row_lines if line.amount.has_decimals]
        if priced:  # the line amount: the last with cents ("3.50*1  3.50  2" ends in a tax code)
            items.append(priced[-1].value)
    amounts = [line.amount for line in lines if line.value != 0]
    share = sum(a.has_decimals for a in amounts) / len(amounts) if amounts else 0.0
    return MoneyPage(tuple(lines), sum(items, Decimal(0)) if items else None, len(items), share)
