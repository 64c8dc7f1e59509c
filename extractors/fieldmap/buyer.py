"""Who is billed: the buyer's name, and the cells of buyer and delivery blocks that can
never be the seller.

The buyer is read after a buyer label ("Bill to", "Rechnungsempfänger", "Facturé à"): in the
label's own cell, the cell right of it, or the line under it. Without a label, the name in the
address window under a one-line sender address is the recipient's, else (weaker) a company or
a person's name at the top left with an address under it that is not the seller's.

Methods (``ExtractedField.method``) and their raw quality before OCR confidence:

| method | what found it | quality |
|---|---|---|
| ``party:buyer-label`` | after a buyer label: same cell, right, below | 0.90 / 0.88 / 0.85 |
| ``party:buyer-window`` | first name under a sender line | 0.75 |
| ``party:buyer-window`` | a company / a person's name with an address under it | 0.6 / 0.5 |
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import OTHER_FIELD, LabelHit, match_label
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import BUYER_LABELS, words
from extractors.fieldmap.party_lines import (
    TOP_ROWS,
    clean_name,
    compact,
    is_address_line,
    is_label_text,
    is_sender_line,
    legal_form,
    letters,
    street_start,
    top_zone,
)
from extractors.fieldmap.spacing import respace

NEAR_RIGHT = 0.15  # page widths: a value farther right of its label is in another column
_SALUTATIONS = frozenset(
    {
        "firma",
        "herrn",
        "herr",
        "frau",
        "mr",
        "mrs",
        "ms",
        "attn",
        "monsieur",
        "madame",
        "mme",
        "sr",
        "sra",
        "dhr",
        "mevr",
        "sig",
        "spett",
        "hd",
        "z",
    }
)
# Headings of the buyer's block that introduce no value of their own: a delivery address, and
# the Italian e-invoice's "Cessionario/committente" (its buyer, beside "Cedente/prestatore").
_BUYER_WORDS = (
    *BUYER_LABELS,
    "ship to",
    "deliver to",
    "delivery address",
    "lieferadresse",
    "livré à",
    "cessionario",
    "committente",
)


def buyer_cells(rows: Sequence[Row], unit: float) -> set[int]:
    """ids of the cells of buyer and delivery blocks: a buyer label, the rest of its row to
    the right and the lines stacked under it up to a gap, with the value beside each of
    those lines that is a "Label:" cell; and the address window under a one-line sender
    address (the recipient of a letter-style invoice)."""
    blocked: set[int] = set()
    for r, row in enumerate(rows):
        for c, cell in enumerate(row.cells):
            if is_buyer_label(cell.text):
                blocked.update(id(x) for x in row.cells[c:] if x is cell or x.x0 - cell.x1 <= NEAR_RIGHT)
                for under in stacked_under(rows, r, cell, unit):
                    blocked.add(id(under))
                    blocked.update(id(x) for x in _labelled_values(rows, under))
            elif is_sender_line(cell.text):
                blocked.update(id(x) for x in stacked_under(rows, r, cell, unit))
    return blocked


def _labelled_values(rows: Sequence[Row], cell: Cell) -> list[Cell]:
    """The value beside ``cell`` when it is a "Label:" cell of the buyer's block
    ("Denominazione:  Brunelli Consulting S.r.l."): the buyer's too."""
    if not cell.text.rstrip().endswith((":", "：")):
        return []
    row = next((row for row in rows if any(x is cell for x in row.cells)), None)
    if row is None:
        return []
    at = next(i for i, x in enumerate(row.cells) if x is cell)
    return [x for x in row.cells[at + 1 : at + 2] if x.x0 - cell.x1 <= NEAR_RIGHT]


def is_buyer_label(text: str) -> bool:
    """A cell that introduces the buyer; a short label ("To", "An", "Aan") only when it is
    the whole cell, so that "To be paid" or "Anlage" introduce nobody."""
    for word in _BUYER_WORDS:
        end = match_label(text, word)
        if end is not None and (len(word) > 3 or not text[end:].strip(" :：")):
            return True
    return False


def stacked_under(rows: Sequence[Row], r: int, cell: Cell, unit: float) -> list[Cell]:
    """The cells stacked under ``cell`` (left edges within reach), line after line, up to a
    gap. A row with nothing under ``cell`` is passed over: on a slanted photo a line of the
    column beside it may fall between two lines of the block."""
    out: list[Cell] = []
    previous = cell
    for below in rows[r + 1 : r + 8]:
        if below.y0 - previous.y1 > 1.6 * max(unit, previous.height):
            break
        under = [x for x in below.cells if x.overlaps_x(cell, slack=0.02) > 0 and x.x0 < cell.x0 + 0.1]
        if under:
            out.extend(under)
            previous = under[0]
    return out


def read_buyer(
    rows: Sequence[Row],
    hits: Sequence[LabelHit],
    label_cells: set[tuple[int, int]],
    unit: float,
    seller: Finding | None,
) -> Finding | None:
    """The billed party's name: the first name-like text after a buyer label; without one,
    the name in the address window under a sender line, else the top-left name block with
    an address under it that is not the seller's (weak)."""
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row, h.cell)):
        if hit.field == OTHER_FIELD or not is_buyer_label(rows[hit.row].cells[hit.cell].text):
            continue
        row = rows[hit.row]
        label = row.cells[hit.cell]
        options: list[tuple[str, tuple[Cell, ...], float, str]] = []
        rest = label.text[hit.end :].strip(" :：-")
        if rest:
            options.append((rest, (label,), 0.9, "same cell"))
        for r in range(hit.row + 1, min(len(rows), hit.row + 3)):
            under = next(
                (
                    x
                    for c, x in enumerate(rows[r].cells)
                    if x.overlaps_x(label, slack=0.02) > 0 and (r, c) not in label_cells
                ),
                None,
            )
            if under is not None:
                options.append((under.text, (label, under), 0.85, "under"))
                break
        if hit.cell + 1 < len(row.cells) and (hit.row, hit.cell + 1) not in label_cells:
            right = row.cells[hit.cell + 1]
            if right.x0 - label.x1 <= NEAR_RIGHT:  # farther right is another column
                options.append((right.text, (label, right), 0.88, "right of"))
        for text, cells, quality, where in sorted(options, key=lambda o: -o[2]):
            name, notes = clean_name(text)
            if letters(name) < 2 or (is_address_line(name) and not legal_form(name)) or is_label_text(text):
                continue
            evidence = (f"{where} the label {label.text[: hit.end].strip()!r}", *notes)
            return Finding(name, cells, quality, "party:buyer-label", evidence)
    return _buyer_in_window(rows, unit, seller)


def _buyer_in_window(rows: Sequence[Row], unit: float, seller: Finding | None) -> Finding | None:
    """The recipient of a letter-style invoice: under a sender line, or a name block at the
    top left with an address under it that is not the seller."""
    seller_cells = {id(c) for c in seller.cells} if seller is not None else set()
    seller_name = compact(seller.text) if seller is not None else ""
    for r, row in enumerate(rows[:TOP_ROWS]):
        for cell in row.cells:
            if not is_sender_line(cell.text):
                continue
            for under in stacked_under(rows, r, cell, unit):
                if _is_salutation(under.text) or letters(under.text) < 3 or is_address_line(under.text):
                    continue
                name, notes = clean_name(under.text)
                evidence = ("first name in the address window under the sender line", *notes)
                return Finding(name, (under,), 0.75, "party:buyer-window", evidence)
    for r in top_zone(rows):
        for cell in rows[r].cells:
            if (
                id(cell) in seller_cells
                or letters(cell.text) < 3
                or _same_name(compact(cell.text), seller_name)
            ):
                continue
            company = legal_form(cell.text) is not None
            if not company and not (_person_or_glued(cell.text) and cell.x0 < 0.5):
                continue
            below = stacked_under(rows, r, cell, unit)
            if len(below) >= 2 and any(street_start(c.text) for c in below[:3]):
                name, notes = clean_name(cell.text)
                what = "a company" if company else "a person's name"
                evidence = (f"{what} with an address under it, in the recipient's place", *notes)
                return Finding(name, (cell,), 0.6 if company else 0.5, "party:buyer-window", evidence)
    return None


def _same_name(name: str, seller: str) -> bool:
    """Whether ``name`` is the seller's printed again: in part (its logo), or with OCR reading
    one of the two a letter or two differently ("BrightwellSoftwareLimited" and "Brighwell
    Sotware Limited")."""
    if name == seller or (len(name) >= 4 and name in seller):  # the seller's logo: "VanOosterhout"
        return True
    return len(seller) >= 8 and SequenceMatcher(None, name, seller).ratio() >= 0.9


def _person_or_glued(text: str) -> bool:
    """A person's name as printed, or as one word OCR glued at its capitals ("JonasVoigtlander");
    a line with spaces is taken as printed ("SteinbrOck Hauste" is a misread, no person)."""
    return _person_shaped(text) or (" " not in text.strip() and _person_shaped(respace(text)))


def _person_shaped(text: str) -> bool:
    """Two or three capitalised words and nothing else ("Matthias Voigtländer"), with the
    particles of family names between them ("Marieke de Vries", "Jan van der Berg")."""
    tokens = text.split()
    named = [t for t in tokens if t not in _NAME_PARTICLES]
    if not 2 <= len(named) <= 3 or len(tokens) > len(named) + 2 or tokens[0] in _NAME_PARTICLES:
        return False
    return all(t[:1].isupper() and t[1:].islower() and t.isalpha() for t in named)


# Lower-case particles of family names ("de Vries", "van der Berg", "von Weizsäcker").
_NAME_PARTICLES = frozenset(
    {
        "de",
        "van",
        "der",
        "den",
        "von",
        "zu",
        "di",
        "da",
        "du",
        "la",
        "le",
        "del",
        "della",
        "dos",
        "ter",
        "ten",
    }
)


def _is_salutation(text: str) -> bool:
    return bool(set(words(text)) & _SALUTATIONS) and len(words(text)) <= 3
