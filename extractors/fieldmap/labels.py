"""Labels: which cell introduces which field, and where its value sits.

A label matches when a cell *starts* with one of the field's aliases, compared letter by
letter ignoring case, accents, spaces and punctuation (so OCR's "InvoiceNumber:" matches
"invoice number"), and the next character is not a letter (so "Totals" is not "total").
Because a label must start its cell, "Subtotal" never reads as "total". When several fields
claim one cell, the longest alias wins ("total due" over "due").

A field's aliases are its own, those derived from its name, and the multilingual labels the
lexicon knows for fields of that name ("Factuurnummer" for ``invoice_number``). Labels of
values no field asked for (``lexicon.OTHER_LABELS``: "Customer No.", "GST ID", "Cashier")
claim their cells too, as hits for ``OTHER_FIELD``: so "customer" does not read "Customer
No." as a customer's name, and their values are nobody's. OCR glue is tolerated: a label
matches without its spaces ("DocNo :CS00012013", "INVOICENO"), and a code glued to the label
("TOTALRM7.72", "InvoiceNoCS0012") still counts when it starts with at most three capitals
and a digit (a slash or dash between them: "InvoiceINV/2023/02"); both make the hit inexact.
A cell no label matches may still start with a long label (``_MISREAD_MIN`` letters or more)
that OCR read with one letter wrong ("N' do facture" for "N° de facture"): the same first
and last letters, one letter between them different, and no letter or digit straight after
it. Such a hit is inexact and ``misread``; the readers that use it trust it less and say so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import (
    FIELD_LABELS,
    OTHER_LABELS,
    TITLE_COMPOUND_TAILS,
    TITLE_FILLERS,
    TITLE_WORDS,
    field_labels,
    words,
)
from extractors.fieldmap.spacing import respace
from extractors.fieldmap.values import CURRENCY_CODES
from models.schemas import FieldSpec

# Generic words that end a name: "total_amount" is also labelled "Total".
_DROPPABLE_TAIL = {"amount", "value"}
_NUMBER_WORDS = ("no", "#", "nr", "num")
# The field name of hits for labels no schema field asked for (never a real field name).
OTHER_FIELD = "~other"
# A value OCR glued to its label: a short capital prefix and a digit ("RM7.72", "CS0012",
# "INV/2023/02/0695").
_GLUED_CODE = re.compile(r"[A-Z]{1,4}[/-]?\d")
# Titles that start with a label word of some field ("TAX INVOICE" is no tax amount).
_TITLE_LABELS = ("tax invoice", "simplified tax invoice", "tax receipt", "invoice receipt")
_LEADING_NOISE = re.compile(r"^[\s:#*|>\-–]*(?:\.(?!\d))?[\s:#*|]*")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@lru_cache(maxsize=8192)  # pure and called for every cell x alias: memoised
def squash(text: str) -> str:
    """Lowercase letters, digits and '#' only: the form labels are compared in."""
    return "".join(ch for ch in _fold(text) if ch.isalnum() or ch == "#")


@lru_cache(maxsize=1024)  # specs are frozen (hashable) and pure input
def aliases_for(spec: FieldSpec) -> tuple[str, ...]:
    """The field's aliases plus ones derived from its name ("invoice_number" -> "invoice
    number", "invoice no", "invoice #"; "total_amount" -> "total amount", "total")."""
    words = spec.name.lower().split("_")
    derived = [" ".join(words)]
    if len(words) > 1 and words[-1] in _DROPPABLE_TAIL:
        derived.append(" ".join(words[:-1]))
    if words[-1] == "number":
        derived.extend(" ".join([*words[:-1], w]) for w in _NUMBER_WORDS)
    seen: dict[str, str] = {}
    for alias in (*spec.aliases, *derived, *field_labels(spec.name)):
        if squash(alias):
            seen.setdefault(squash(alias), alias)
    return tuple(seen.values())


def match_label(text: str, alias: str) -> int | None:
    """Index in ``text`` just past ``alias`` when ``text`` starts with it, else None."""
    return _match_folded(text, _comparable(text), squash(alias))


def _comparable(text: str) -> str:
    """``text`` folded for comparison, index for index (ligatures fall back to lower())."""
    folded = _fold(text)
    return folded if len(folded) == len(text) else text.lower()


def _match_folded(text: str, folded: str, target: str) -> int | None:
    position, matched = 0, 0
    while position < len(folded) and matched < len(target):
        ch = folded[position]
        if ch.isalnum() or ch == "#":
            if ch != target[matched]:
                return None
            matched += 1
        position += 1
    if matched < len(target):
        return None
    rest = text[position:]
    if rest[:1].isalpha() and target[-1:].isalnum():
        # OCR dropped the space before a currency code ("TOTALEUR 9.50") or a code value
        glued_code = rest[:3].upper() in CURRENCY_CODES and not rest[3:4].isalpha()
        if not glued_code and not _GLUED_CODE.match(rest):
            return None
    return position


def strip_label_noise(rest: str) -> str:
    """What follows a label, without the ': ', '#', 'No.' style separators."""
    return _LEADING_NOISE.sub("", rest, count=1).strip()


@dataclass(frozen=True)
class LabelHit:
    """A cell that introduces a field."""

    field: str
    row: int
    cell: int
    end: int  # index in the cell text just past the label
    specificity: int  # length of the matched alias (letters)
    exact: bool  # the cell spelled the alias with its spaces (not an OCR-glued form)
    misread: bool = False  # the cell spelled the alias with one letter wrong


def find_labels(
    rows: Sequence[Row], specs: Sequence[FieldSpec], skip: set[tuple[int, int]] | None = None
) -> list[LabelHit]:
    """Every labelled cell, each given to the field with the most specific alias."""
    # Squash every alias once, and each cell once: this loop runs cells x aliases times.
    alias_table = [(spec.name, alias, squash(alias)) for spec in specs for alias in aliases_for(spec)]
    alias_table += _other_labels(frozenset(target for _, _, target in alias_table))
    hits = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row.cells):
            if skip and (r, c) in skip:
                continue
            folded = _comparable(cell.text)
            first = next((ch for ch in folded if ch.isalnum() or ch == "#"), "")
            best: LabelHit | None = None
            for name, alias, target in alias_table:
                if target[:1] != first:  # cheap reject: a label starts its cell
                    continue
                end = _match_folded(cell.text, folded, target)
                if end is None or (len(target) <= 2 and squash(cell.text) != target):
                    continue  # a one- or two-letter label ("To", "An") only as the whole cell
                specificity = len(target)
                if best is None or specificity > best.specificity:
                    exact = _fold(cell.text).lstrip(" :#*").startswith(_fold(alias))
                    exact = exact and not _GLUED_CODE.match(cell.text[end:])
                    best = LabelHit(name, r, c, end, specificity, exact)
            if best is None:
                best = _misread_hit(cell.text, folded, first, alias_table, r, c)
            if best is not None:
                hits.append(best)
    return hits


# Labels at least this long (letters) are matched with one letter misread: shorter ones are too
# close to each other and to words ("date" / "data", "total" / "tota1" is a repair's business).
_MISREAD_MIN = 9


def _misread_hit(
    text: str, folded: str, first: str, alias_table: list[tuple[str, str, str]], r: int, c: int
) -> LabelHit | None:
    """The longest label ``text`` starts with when one of its letters (not the first) was
    misread, or None. Runs only for cells no label matched exactly."""
    letters = [(i, ch) for i, ch in enumerate(folded) if ch.isalnum() or ch == "#"]
    best: LabelHit | None = None
    for name, _alias, target in alias_table:
        n = len(target)
        if n < _MISREAD_MIN or target[:1] != first or len(letters) < n or (best and n <= best.specificity):
            continue
        wrong = [k for k, ((_, ch), t) in enumerate(zip(letters, target, strict=False)) if ch != t]
        if len(wrong) != 1 or wrong[0] == n - 1:
            continue  # a different last letter is a different word ("Invoice In..." is no "Invoice Id")
        end = letters[n - 1][0] + 1
        if text[end : end + 1].isalnum():
            continue  # a longer word, or a code glued to it: only an exact label takes those
        best = LabelHit(name, r, c, end, n, exact=False, misread=True)
    return best


@lru_cache(maxsize=256)
def _other_labels(taken: frozenset[str]) -> list[tuple[str, str, str]]:
    """Claims for the lexicon's labels that no field of the schema uses (those the schema
    uses stay its own)."""
    claims = [*OTHER_LABELS, *_TITLE_LABELS, *(w for labels in FIELD_LABELS.values() for w in labels)]
    table = {squash(w): w for w in claims if squash(w) and squash(w) not in taken}
    return [(OTHER_FIELD, alias, target) for target, alias in table.items()]


def is_title_text(text: str) -> bool:
    """Whether ``text`` is a document title: a few title words only ("TAX INVOICE",
    "Kopie factuur", "*** GUEST CHECK ***", "Votre facture", "Stromrechnung"), also when OCR
    glued them ("TAXINVOICE")."""
    tokens = [w for w in words(respace(text)) if not w.isdigit()]
    titled = [w for w in tokens if w not in TITLE_FILLERS]
    return (
        len(titled) > 0 and len(tokens) <= 5 and all(w in TITLE_WORDS or _title_compound(w) for w in titled)
    )


def _title_compound(word: str) -> bool:
    """A German or Dutch compound that ends with a title word ("Stromrechnung", "energienota",
    "Schlussrechnung"): those languages make titles by compounding."""
    return any(word.endswith(tail) and len(word) > len(tail) for tail in TITLE_COMPOUND_TAILS)


@dataclass(frozen=True)
class ValueCandidate:
    """Text that may hold a label's value, where it sits and how it relates to the label."""

    text: str
    cells: tuple[Cell, ...]
    quality: float  # 1.0 same cell, 0.97 next cell on the row, 0.93 below the label


def _beside_on_next_row(rows: Sequence[Row], hit: LabelHit, label_cells: set[tuple[int, int]]) -> Cell | None:
    """The first cell right of a label that ends its row but sits on the label's line: on a
    slanted photo or a scan, OCR may put a value level with its label in the row above or
    below (their centres within half a line of each other)."""
    label = rows[hit.row].cells[hit.cell]
    centre = (label.y0 + label.y1) / 2
    for r in (hit.row + 1, hit.row - 1):
        if not 0 <= r < len(rows):
            continue
        for c, cell in enumerate(rows[r].cells):
            near = abs((cell.y0 + cell.y1) / 2 - centre) <= 0.5 * max(label.height, cell.height)
            if cell.x0 >= label.x1 - 0.005 and near and (r, c) not in label_cells:
                return cell
    return None


def value_candidates(
    rows: Sequence[Row], hit: LabelHit, label_cells: set[tuple[int, int]], unit: float
) -> list[ValueCandidate]:
    """Where a label's value may be, best first: after the label in its own cell, the next
    cell to the right (or, for a label that ends its row, a cell right of it level with it in
    the next or previous row), then the cell under the label within about two lines."""
    row = rows[hit.row]
    cell = row.cells[hit.cell]
    out = []
    rest = strip_label_noise(cell.text[hit.end :])
    if rest:
        out.append(ValueCandidate(rest, (cell,), 1.0))
    if hit.cell + 1 < len(row.cells) and (hit.row, hit.cell + 1) not in label_cells:
        right = row.cells[hit.cell + 1]
        out.append(ValueCandidate(right.text, (right,), 0.97))
    elif hit.cell + 1 == len(row.cells):
        beside = _beside_on_next_row(rows, hit, label_cells)
        if beside is not None:
            out.append(ValueCandidate(beside.text, (beside,), 0.96))
    for r in range(hit.row + 1, min(len(rows), hit.row + 3)):
        below = rows[r]
        if below.y0 - cell.y1 > 2.2 * max(unit, cell.height):
            break
        for c, candidate in enumerate(below.cells):
            if (r, c) not in label_cells and candidate.overlaps_x(cell) > 0:
                out.append(ValueCandidate(candidate.text, (candidate,), 0.93))
                break
        else:
            continue
        break
    return out
