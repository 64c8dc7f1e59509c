"""The seller's address: the lines under its name, after any registration lines, up to a
phone, tax-id, title or label line, a buyer label ("Cliente", "Bill to": the buyer's block) or
another organisation's name, joined with ", "; else the column right of the name (from its
street lines above the name's baseline), else
the address parts printed with the name again (footer, sender line).

Methods (``ExtractedField.method``) and their raw quality before OCR confidence:

| method | what found it | quality |
|---|---|---|
| ``party:address-below`` | lines under the seller's name | 0.85, 0.6 without street words |
| ``party:address-footer`` | the footer or sender line's other parts | 0.7 |
| ``party:address-footer`` | the registered office named in the footer's legal sentence | 0.7 |
| ``party:address-footer`` | the lines under a footer name whose own line holds no address | 0.5 |

The address is the name's column: a line's cells count when they align with the name (left
edges, right edges or centres agree, the same way on every line) or run on from such a cell
across a word gap; a cell that merely overlaps the name belongs to another block (the buyer's
address beside a centred letterhead, a right-hand column). A line that prints the name or an
address part again (the sender line over the window) ends the address. A one-line address
whose separators OCR read without their spaces ("Hafenstraße 111-50667Köln-+49 ...") is cut
into its parts.

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

# Page widths: how far the edges (or centres) of one column's lines may disagree (OCR boxes,
# a slanted scan or photo).
_ALIGNED = 0.03
# A gap inside one printed line (text heights, and at most page widths): wider is a column.
_WORD_GAP = 2.0
_CELL_RUN = 0.05
_MODES = frozenset(("left", "right", "centre"))


def read_seller_address(rows: Sequence[Row], unit: float, seller: Finding) -> Finding | None:
    """The seller's address: the lines under its name, else the column right of it, else
    the footer's lines that carry its name (see the module docstring)."""
    if seller.method in ("party:footer", "party:sender-line"):
        on_line = _address_from_line(seller) or _registered_office(seller)
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
    if seller.method == "party:label" and len(on_row) > 1:
        on_row = on_row[1:]  # the label's value is the name; the lines under it align with it
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
            if found is not None:
                found = _with_lines_above(rows, unit, right[0], start, found)
    if found is None:
        return _address_in_footer(rows, unit, seller)
    parts, cells, notes = found
    located = any(is_address_line(p) for p in parts)
    evidence = (f"{len(parts)} line(s) {where}", *notes)
    return Finding(", ".join(parts), cells, 0.85 if located else 0.6, "party:address-below", evidence)


# A dash (or dot) between parts of a one-line address whose spaces OCR lost: after a house
# number and before a postcode ("Hafenstraße 111-50667Köln") or a street ("CIF B4713-Calle"),
# or before a phone number ("...-+49 711"). A middle dot, bullet or bar never stands inside
# an address part, with or without spaces.
_GLUED_DASH = r"(?<=\d)[-–.](?=\d{4,5}\s?[^\W\d_]{3,}|[A-Z][a-z]{2,})|\s*[-–.·]\s*(?=\+\d)"


def _address_parts(text: str, *, columns: bool = False) -> str | None:
    """The address parts of a line: a line of parts ("CIF B908 · Calle del Olmo, 31 · 46002
    Valencia · +34 ...", also with its separators' spaces lost: "Calle Mayor 5-46002Valencia")
    keeps only its address parts; None when no part is one. With ``columns``, wide gaps also
    cut parts (footer columns OCR read as one line)."""
    cut = r"\s*[·•|]\s*|\s+[-–]\s+|" + _GLUED_DASH + (r"|\s{3,}" if columns else "")
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
    modes = _MODES  # how the block is aligned, once its first line shows it
    for row in rows[start + 1 : start + 10]:
        if row.y0 - previous.y1 > 1.8 * max(unit, previous.height) or len(lines) >= 6:
            break
        span, aligned = _line_cells(row, anchor, unit, modes, columns=columns)
        if not span:
            break
        printed = ("   " if columns else " ").join(c.text for c in span)  # columns: cells apart
        text = _address_parts(printed, columns=columns)
        if text is None:  # a line of contact or registration parts only
            if lines:
                break
            previous = span[0]
            continue
        labelled = is_label_text(text) or text.rstrip().endswith((":", "："))  # "Indirizzo:"
        address = street_start(text) and not labelled
        stop = labelled or _stops_address(text)
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
        elif stop or _ends_address(text, address=address, before=[anchor.text, *(t for t, _ in lines)]):
            break
        lines.append((text, span))
        previous = span[0]
        modes = aligned
    if not lines:
        return None
    parts, notes = [], []
    for text, _ in lines:
        spaced = respace(_repair_address_letters(repair_confusions(text)))
        if spaced != text:
            notes.append(f"respaced {text!r} -> {spaced!r}")
        parts.append(spaced.strip(" ,;"))
    cells = tuple(c for _, span in lines for c in span)
    return [p for p in parts if p], cells, notes


def in_column(
    cells: Sequence[Cell],
    anchor: Cell,
    unit: float,
    modes: frozenset[str] = frozenset(("left", "right", "centre")),
) -> tuple[tuple[Cell, ...], frozenset[str]]:
    """The cells of a line that belong to ``anchor``'s column, and how they align with it:
    the cells aligned with it in one of ``modes`` (left edges, right edges or centres agree:
    a left-aligned, right-aligned or centred block) and the cells they run on into across a
    gap no wider than a word break (an address line OCR cut in two). A cell that merely
    overlaps the name is another block's: the buyer's address beside a centred letterhead,
    the document's details beside a right-hand one."""

    def ways(c: Cell) -> frozenset[str]:
        offsets = {
            "left": abs(c.x0 - anchor.x0),
            "right": abs(c.x1 - anchor.x1),
            "centre": abs(c.x0 + c.x1 - anchor.x0 - anchor.x1) / 2,
        }
        return frozenset(m for m in modes if offsets[m] <= _ALIGNED)

    aligned = [i for i, c in enumerate(cells) if ways(c)]
    if not aligned:
        return (), frozenset()
    reach = min(_WORD_GAP * max(unit, 1e-6), _CELL_RUN)
    first, last = aligned[0], aligned[0]
    while first > 0 and cells[first].x0 - cells[first - 1].x1 <= reach:
        first -= 1
    while last + 1 < len(cells) and cells[last + 1].x0 - cells[last].x1 <= reach:
        last += 1
    return tuple(cells[first : last + 1]), ways(cells[aligned[0]])


def _repeats(text: str, before: Sequence[str]) -> bool:
    """Whether ``text`` prints again the name or an address part read before it: the next
    block (a sender line over the address window) and not a line of this address."""
    squeezed = compact(text)
    parts = [compact(p) for t in before for p in re.split(r",\s*", t)]
    return any(len(p) >= 6 and p in squeezed for p in parts)


def _with_lines_above(
    rows: Sequence[Row],
    unit: float,
    anchor: Cell,
    start: int,
    found: tuple[list[str], tuple[Cell, ...], list[str]],
) -> tuple[list[str], tuple[Cell, ...], list[str]]:
    """``found`` (the column right of the name) with the street lines of the same column just
    above its first line: a block beside a tall name starts above the name's baseline."""
    parts, cells, notes = found
    previous = anchor
    for row in reversed(rows[max(0, start - 3) : start]):
        if previous.y0 - row.y1 > 1.8 * max(unit, row.height):
            break
        span, _ = in_column([c for c in row.cells if c.overlaps_x(anchor, slack=0.1) > 0], anchor, unit)
        text = " ".join(c.text for c in span)
        if not span or not street_start(text) or is_label_text(text) or _stops_address(text):
            break
        parts = [respace(_repair_address_letters(repair_confusions(text))).strip(" ,;"), *parts]
        cells = (*span, *cells)
        previous = span[0]
    return parts, cells, notes


def _repair_address_letters(text: str) -> str:
    """An address line with two misreadings of OCR undone: a "0" closing a word of small
    letters is an "o" ("Bilba0"), and a "B" between "stra" and "e" is an "ß" ("HafenstraBe")."""
    text = re.sub(r"(?<=[^\W\d_][a-zà-ÿ]{2})0\b", "o", text)
    return re.sub(r"(?<=[Ss]tra)B(?=e(?:\b|\d))", "ß", text)


def _line_cells(
    row: Row, anchor: Cell, unit: float, modes: frozenset[str], *, columns: bool
) -> tuple[tuple[Cell, ...], frozenset[str]]:
    """The cells of ``row`` that may continue the address under ``anchor`` and how they align
    with it: those in its column (``in_column``; aligned the way the lines above are, unless
    nothing else shares the line: a receipt's centred lines are not all centred alike), or
    with ``columns`` every cell within the name's span (a footer's columns are cut apart
    later)."""
    span = tuple(c for c in row.cells if c.overlaps_x(anchor, slack=0.1) > 0)
    if columns:
        return span, modes
    return in_column(span, anchor, unit, _MODES if len(span) == len(row.cells) else modes)


def _stops_address(text: str) -> bool:
    """A line no address runs into: a title, a phone or web line, a time of day, a buyer
    label (the buyer's block: its address is not the seller's)."""
    return (
        is_title_text(text) or is_contact_line(text) or bool(TIME_OF_DAY.search(text)) or is_buyer_label(text)
    )


def _ends_address(text: str, *, address: bool, before: Sequence[str]) -> bool:
    """A line after the first of an address that ends it: a registration line, a date,
    another organisation's name (the next block: a buyer printed under the seller), or the
    name or an address part read ``before`` printed again (``_repeats``)."""
    return (
        is_registration_line(text)
        or bool(find_dates(text) and not address)
        or legal_form(text) is not None
        or _repeats(text, before)
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


# The label of the registered office in a footer's legal sentence, and the address after it up
# to the end of its sentence ("... Registered office: 160 Ashgrove Road, Leeds, LS1 4DY. VAT").
_REGISTERED_OFFICE = re.compile(
    r"(?:registered\s*office|si[èe]ge\s*social|sede\s*legale|domicilio\s*social|gesch[äa]ftssitz|"
    r"statutaire\s*zetel)\s*[:：]?\s*(.+?)(?:\.(?=\s*[A-Z])|$)",
    re.IGNORECASE,
)


def _registered_office(seller: Finding) -> Finding | None:
    """The registered office a footer's legal sentence names on the seller's line."""
    match = _REGISTERED_OFFICE.search(seller.cells[0].text)
    if match is None or not street_start(match[1]):
        return None
    address = respace(_repair_address_letters(repair_confusions(match[1]))).strip(" ,;.")
    evidence = (f"the registered office on the seller's line: {match[0]!r}",)
    return Finding(address, seller.cells[:1], 0.7, "party:address-footer", evidence)


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
