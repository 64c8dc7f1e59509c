"""The seller's address: the lines under its name, after any registration lines, up to a
phone, tax-id, title or label line, a buyer label ("Cliente", "Bill to": the buyer's block) or
another organisation's name, joined with ", "; else the column right of the name, else
the address parts printed with the name again (footer, sender line).

Methods (``ExtractedField.method``) and their raw quality before OCR confidence:

| method | what found it | quality |
|---|---|---|
| ``party:address-below`` | lines under the seller's name | 0.85, 0.6 without street words |
| ``party:address-footer`` | the footer or sender line's other parts | 0.7 |
| ``party:address-footer`` | the lines under a footer name whose own line holds no address | 0.5 |

A footer prints its columns side by side, and OCR often reads them as one line with wide gaps
("Nordlicht Ltd      Tel. 0151 ...      VAT No. GB ..."): under such a name, each line is cut
at its wide gaps and only its address parts are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.fieldmap.buyer import is_buyer_label
from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import is_title_text
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.party_lines import (
    TIME_OF_DAY,
    compact,
    is_address_line,
    is_contact_line,
    is_label_text,
    is_registration_line,
    legal_form,
    letters,
    segments,
    street_start,
)
from extractors.fieldmap.spacing import repair_confusions, respace
from extractors.fieldmap.values import find_dates


def read_seller_address(rows: Sequence[Row], unit: float, seller: Finding) -> Finding | None:
    """The seller's address: the lines under its name, else the column right of it, else
    the footer's lines that carry its name (see the module docstring)."""
    if seller.method in ("party:footer", "party:sender-line"):
        on_line = _address_from_line(seller)
        if on_line is not None:
            return on_line
        if seller.method == "party:sender-line":  # a sender line OCR garbled: the name again
            return _address_in_footer(rows, unit, seller)
        return _address_under_footer_name(rows, unit, seller)
    last = seller.cells[-1]
    start = next((r for r, row in enumerate(rows) if last in row.cells), None)
    if start is None:
        return None
    on_row = [c for c in seller.cells if c in rows[start].cells]  # a name cut into cells spans them all
    anchor = Cell(
        last.text, min(c.x0 for c in on_row), last.y0, max(c.x1 for c in on_row), last.y1, last.confidence
    )
    found = _walk_address(rows, unit, anchor, start)
    where = "under the seller's name"
    if found is None:  # a letterhead with the address in a column to the right of the name
        right = [c for c in rows[start].cells if c.x0 > anchor.x1 and street_start(c.text)]
        if right:
            found = _walk_address(rows, unit, right[0], start, include_anchor=True)
            where = "right of the seller's name"
    if found is None:
        return _address_in_footer(rows, unit, seller)
    parts, cells, notes = found
    located = any(is_address_line(p) for p in parts)
    evidence = (f"{len(parts)} line(s) {where}", *notes)
    return Finding(", ".join(parts), cells, 0.85 if located else 0.6, "party:address-below", evidence)


def _address_parts(text: str, *, columns: bool = False) -> str | None:
    """The address parts of a line: a line of parts ("CIF B908 · Calle del Olmo, 31 · 46002
    Valencia · +34 ...") keeps only its address parts; None when no part is one. With
    ``columns``, wide gaps also cut parts (footer columns OCR read as one line)."""
    cut = r"\s+[·•|]\s+|\s+[-–]\s+" + (r"|\s{3,}" if columns else "")
    parts = [p.strip() for p in re.split(cut, text) if p.strip()]
    if len(parts) == 1:
        return text
    kept = [
        p for p in parts if not is_contact_line(p) and not is_registration_line(p) and not is_label_text(p)
    ]
    return ", ".join(kept) if any(street_start(p) for p in kept) else None


def _walk_address(
    rows: Sequence[Row],
    unit: float,
    anchor: Cell,
    start: int,
    *,
    include_anchor: bool = False,
    columns: bool = False,
) -> tuple[list[str], tuple[Cell, ...], list[str]] | None:
    """Lines stacked under ``anchor`` (and ``anchor`` itself when asked), after any
    registration lines, up to a phone, tax-id, title, label or buyer-label line or another
    organisation's name; ``columns``: see ``_address_parts``."""
    lines: list[tuple[str, tuple[Cell, ...]]] = []
    if include_anchor:
        lines.append((anchor.text, (anchor,)))
    skipped: list[tuple[str, tuple[Cell, ...]]] = []
    previous = anchor
    for row in rows[start + 1 : start + 10]:
        if row.y0 - previous.y1 > 1.8 * max(unit, previous.height) or len(lines) >= 6:
            break
        # the row's cells within the name's span: an address line OCR cut in two stays whole
        span = tuple(c for c in row.cells if c.overlaps_x(anchor, slack=0.1) > 0)
        if not span:
            break
        printed = ("   " if columns else " ").join(c.text for c in span)  # columns: cells apart
        text = _address_parts(printed, columns=columns)
        if text is None:  # a line of contact or registration parts only
            if lines:
                break
            previous = span[0]
            continue
        labelled = is_label_text(text)
        address = street_start(text) and not labelled
        stop = (
            labelled
            or is_title_text(text)
            or is_contact_line(text)
            or bool(TIME_OF_DAY.search(text))
            or is_buyer_label(text)  # the buyer's block: its address is not the seller's
        )
        if not lines:
            if is_registration_line(text) or (find_dates(text) and letters(text) < 8):
                previous = span[0]
                continue
            if stop:
                break
            if not address and len(skipped) < 2 and legal_form(text) is None:
                skipped.append((text, span))  # a brand, branch or "Licensee of ..." line
                previous = span[0]
                continue
        elif stop or _ends_address(text, address=address):
            break
        lines.append((text, span))
        previous = span[0]
    if not lines:
        return None
    parts, notes = [], []
    for text, _ in lines:
        spaced = respace(repair_confusions(text))
        if spaced != text:
            notes.append(f"respaced {text!r} -> {spaced!r}")
        parts.append(spaced.strip(" ,;"))
    cells = tuple(c for _, span in lines for c in span)
    return [p for p in parts if p], cells, notes


def _ends_address(text: str, *, address: bool) -> bool:
    """A line after the first of an address that ends it: a registration line, a date, or
    another organisation's name (the next block: a buyer printed under the seller)."""
    return (
        is_registration_line(text) or bool(find_dates(text) and not address) or legal_form(text) is not None
    )


def _address_in_footer(rows: Sequence[Row], unit: float, seller: Finding) -> Finding | None:
    """The seller's name printed again (footer, sender line), with its address beside or
    under it; the footer first."""
    name = compact(seller.text)
    for r in range(len(rows) - 1, -1, -1):
        for cell in rows[r].cells:
            if any(cell is c for c in seller.cells) or name not in compact(cell.text) or len(name) < 4:
                continue
            on_line = _address_from_line(Finding(seller.text, (cell,), 0.0, "party:footer"))
            if on_line is not None:
                return on_line
            found = _walk_address(rows, unit, cell, r)
            if found is not None:
                parts, cells, notes = found
                evidence = ("under the seller's name in the footer", *notes)
                return Finding(", ".join(parts), cells, 0.7, "party:address-footer", evidence)
    return None


def _address_under_footer_name(rows: Sequence[Row], unit: float, seller: Finding) -> Finding | None:
    """The lines under a footer name whose own line holds no address (its other parts are a
    phone, a VAT number): the name's column, cut at wide gaps (see the module docstring)."""
    cell = seller.cells[0]
    r = next((i for i, row in enumerate(rows) if any(c is cell for c in row.cells)), None)
    at = cell.text.find(seller.text[:6]) if seller.text else -1
    if r is None or at < 0:
        return None
    # the name's share of its cell's width, as its share of the characters
    width = (cell.x1 - cell.x0) / max(1, len(cell.text))
    x0 = cell.x0 + width * at
    anchor = Cell(seller.text, x0, cell.y0, x0 + width * len(seller.text), cell.y1, cell.confidence)
    found = _walk_address(rows, unit, anchor, r, columns=True)
    if found is None:
        return None
    parts, cells, notes = found
    if not any(street_start(p) for p in parts):
        return None
    evidence = ("under the seller's name in the footer, its columns cut apart", *notes)
    return Finding(", ".join(parts), cells, 0.5, "party:address-footer", evidence)


def _address_from_line(seller: Finding) -> Finding | None:
    cell = seller.cells[0]
    parts = segments(cell)
    name = compact(seller.text)
    at = next((i for i, p in enumerate(parts) if name and name in compact(p)), 0)
    address = [
        respace(p).strip(" ,;")
        for p in parts[at + 1 :]
        if not is_contact_line(p) and not is_registration_line(p) and not is_label_text(p) and p.strip()
    ]
    if not address or not any(street_start(p) for p in address):
        return None
    evidence = ("the parts after the name on its line",)
    return Finding(", ".join(address), (cell,), 0.7, "party:address-footer", evidence)
