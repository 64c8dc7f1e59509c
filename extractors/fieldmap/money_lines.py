"""Every amount of a page with the label that introduces it: the candidates money fields are
chosen from.

A row is read left to right as label text and amounts. An amount's label is the text since
the amount before it on the row ("ITEM:5  Total 25.85" gives a count of 5 and a total of
25.85); an amount right after another one keeps the label of its group ("Total: 24 473.30"
gives 24 and 473.30, both labelled "Total"). A label row without amounts gives its label to
the amount under it (a stacked "Total" over "120.00"). Text after the last amount of a row
("5.00 RM", "4.53 SR") labels nothing.

Two zones matter besides the labels. The *tax summary* (the rows under a "GST Summary",
"Tax code", "MwSt-Übersicht" header) restates the totals per tax rate, so its amounts are
never the document's total or tax. The *items* are the rows above the first totals label
that end in an amount with cents: their sum checks a subtotal or total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from extractors.fieldmap.amount_labels import LabelReading, MoneyRole, is_summary_header, read_label
from extractors.fieldmap.amounts import Amount, read_amounts
from extractors.fieldmap.layout import Cell, Row

# Roles whose first appearance ends the items of a page.
TOTALS_ROLES = frozenset(
    {MoneyRole.TOTAL, MoneyRole.SUBTOTAL, MoneyRole.NET, MoneyRole.TAX, MoneyRole.CASH, MoneyRole.CHANGE}
)
_NOT_ITEMS = TOTALS_ROLES | {MoneyRole.ROUNDING, MoneyRole.SUMMARY}
_SUMMARY_ROWS = 8  # a tax summary is a few rates long; it never runs to the end of a page


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

    @property
    def role(self) -> MoneyRole:
        return self.reading.role

    @property
    def value(self) -> Decimal:
        return self.amount.value

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (*self.label_cells, self.cell)


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


def _row_pieces(row: Row) -> list[tuple[str, Cell, Amount | None]]:
    """The row as (text, cell, amount) pieces: label text has no amount, amounts no text."""
    pieces: list[tuple[str, Cell, Amount | None]] = []
    for cell in row.cells:
        position = 0
        for amount in read_amounts(cell.text):
            text = cell.text[position : amount.start]
            if text.strip():
                pieces.append((text, cell, None))
            pieces.append(("", cell, amount))
            position = amount.end
        if cell.text[position:].strip():
            pieces.append((cell.text[position:], cell, None))
    return pieces


def _lines_of_row(r: int, row: Row, extra: tuple[tuple[str, MoneyRole], ...]) -> list[MoneyLine]:
    out: list[MoneyLine] = []
    label: list[tuple[str, Cell]] = []
    group: tuple[str, tuple[Cell, ...]] = ("", ())
    after_amount = False
    for text, cell, amount in _row_pieces(row):
        if amount is None:
            label.append((text, cell))
            after_amount = False
            continue
        if label:
            group = (" ".join(t.strip() for t, _ in label), tuple(dict.fromkeys(c for _, c in label)))
        elif not after_amount:
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
    return out


def _stacked_line(
    rows: Sequence[Row], r: int, unit: float, extra: tuple[tuple[str, MoneyRole], ...]
) -> MoneyLine | None:
    """A label row without amounts over a lone amount: "Total" with "120.00" under it."""
    row = rows[r]
    if len(row.cells) > 2 or r + 1 >= len(rows) or any(read_amounts(c.text) for c in row.cells):
        return None
    if is_summary_header(row.text):
        return None
    below = rows[r + 1]
    if below.y0 - row.y1 > 2.2 * max(unit, row.height):
        return None
    label_cell = row.cells[-1]
    reading = read_label(label_cell.text, extra)
    if reading.role is MoneyRole.OTHER:
        return None
    for cell in below.cells:
        amounts = read_amounts(cell.text)
        if len(amounts) == 1 and amounts[0].has_decimals and cell.overlaps_x(label_cell, slack=0.05) > 0:
            rest = cell.text[: amounts[0].start] + cell.text[amounts[0].end :]
            if not any(ch.isalpha() for ch in rest.replace("RM", "")):
                return MoneyLine(
                    r + 1, amounts[0], cell, label_cell.text, (label_cell,), reading, 0.93, False, False
                )
    return None


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
        if not left:
            continue
        ends = any(x.reading.final or x.role in (MoneyRole.CASH, MoneyRole.CHANGE) for x in row_lines)
        if ends or (not row_lines and seen):
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
    lines: list[MoneyLine] = []
    for r, row in enumerate(rows):
        row_lines = _lines_of_row(r, row, extra)
        if not row_lines:
            stacked = _stacked_line(rows, r, unit, extra)
            row_lines = [stacked] if stacked is not None else []
        lines.extend(row_lines)
    summary = _summary_rows(rows, lines)
    lines = [_in_summary(line) if line.row in summary else line for line in lines]
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


def _in_summary(line: MoneyLine) -> MoneyLine:
    return MoneyLine(
        line.row, line.amount, line.cell, line.label, line.label_cells, line.reading, line.placement,
        line.follows_amount, in_summary=True,
    )  # fmt: skip
