"""Document numbers (invoice, receipt, bill numbers): found by their label, checked by shape.

A number is read after its label in the same cell, in the next cell to the right, or in the
cell under the label (a header row of boxes, "Invoice No | Date | Customer No", with the
values in the row below). Labels come from the field's aliases and the multilingual lexicon
("Rechnungsnummer", "N° de facture", "Número de factura", "Factuurnummer", "Fattura n.",
"Doc No", "Receipt #"), matched also when OCR glued them ("DocNo :CS00012013"). Without a
label, a title followed by a number in the same cell ("Rechnung 2024-0042") or in the next
cell ("Fattura | 526/2025") is taken, weaker.

The value is the first token after the label as printed, slashes and dashes kept
("INV/2023/03/0008"); a short letter prefix separated by a space stays with the digits that
follow ("CR 1805/0201"). It must hold a digit and must not be a date, an amount, a time or
a phone number; a value of at most three digits is weak.

Methods and raw quality (times the OCR confidence; x0.95 when the label was OCR-glued,
x0.9 for a generic label such as "Number" or "Doc No"):

| method | where | quality |
|---|---|---|
| ``id:label-same`` | after the label in its cell | 1.0 |
| ``id:label-right`` | the next cell on the label's row; level with it in the next row | 0.97 / 0.96 |
| ``id:label-below`` | the cell under the label | 0.93 |
| ``id:title-inline`` | after a document title in its cell | 0.75 |
| ``id:title-right`` | in the cell right of a cell that is only a title ("Fattura", "526/2025") | 0.65 |
| ``id:number-sign`` | after a bare "N°", "Nr.", "No.", "#" opening a cell (letters or "/" in it) | 0.7 |

Another exactly read label of the number on another row that gives a different value (the
page contradicts itself) leaves x0.7 (``another label gives ...``). A number OCR cut at one of
its separators ("INV/2024/11 /0522") is joined back.

Values of one or two letters and digits, or that hold a word (four lower-case letters in a
row: "GalwayH91E2K3") are x0.6; a label's value without a word is preferred to one with a word
nearer the label. A number sign followed by a label ("N° de compte: 381563782") introduces
another number.

A place is no document number: text holding a postcode as an address prints it (an Irish
Eircode "Cork T12 K8AF", "D02 X285"; a UK postcode "SW1A 1AA"; a Dutch one before its town
"1012 AB Amsterdam"), or a cell that is only a four- or five-digit postcode and its town
("75008 Paris", "D-10115 Berlin", "CH-8001 Zürich"), gives no value, so the next place the
label's value may be (the cell under it) is read instead. A layout's seller address column
often runs level with a label whose value is under it. For the same reason a series prefix
printed apart is kept only in capitals ("CR 1805/0201"; not the town "Cork" before "T12").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import LabelHit, match_label, value_candidates
from extractors.fieldmap.layout import Row
from extractors.fieldmap.values import find_dates

_DOCUMENT_WORDS = frozenset({"invoice", "receipt", "document", "doc", "bill", "transaction", "credit"})
_NUMBER_WORDS = frozenset({"number", "no", "nr", "num", "id"})
_TITLES = (
    "tax invoice",
    "invoice",
    "rechnung",
    "facture",
    "factuur",
    "factura",
    "fattura",
    "receipt",
    "bill",
)
_LEADING = re.compile(r"^[\s:：#.\-–*|>]*(?:(?:no|nr|n[°º]|núm|num)\s*[.:：]?\s*)?[\s:：#.]*", re.IGNORECASE)
_TOKEN_END = ".,;:)]"
_AMOUNT = re.compile(r"^[-(]?(?:[$€£¥]|RM)?\s?\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}\)?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?(?:[ap]m)?$", re.IGNORECASE)
_PHONE = re.compile(r"^(?:\+\d[\d\s()-]{7,}|\(?0\d{1,3}\)?[\s-]\d{3,4}[\s-]?\d{3,4})$")
_NUMBER_SIGN = re.compile(r"^\s*(?:N[°º]|Nr\.|No\.|#)\s*", re.IGNORECASE)
_NEAR_RIGHT = 0.15  # page widths: a cell farther right of a title is in another column
_GENERIC_LABEL_LETTERS = 6  # "number", "docno", "billno": labels that say less
# A label and its value after a number sign ("N° de compte: 381563782"): another number.
_LABELLED_REST = re.compile(r"^\s*[^\W\d_][^\W\d_ ]{2,}[^:：]{0,20}[:：]")
# Postcodes as an address line prints them (see the module docstring). Eircode: a routing key
# ("T12", "D6W") and four characters of its alphabet with at least one letter, apart or glued
# to the town before it ("GalwayH91E2K3").
_EIRCODE_TAIL = r"(?=[0-9]{0,3}[AC-FHKNPRTV-Y])[0-9AC-FHKNPRTV-Y]{4}(?![A-Za-z0-9])"
_EIRCODE = re.compile(
    rf"(?<![A-Za-z0-9])(?:[AC-FHKNPRTV-Y]\d{{2}}|D6W) {_EIRCODE_TAIL}"
    rf"|(?<=[a-z])(?:[AC-FHKNPRTV-Y]\d{{2}}|D6W) ?{_EIRCODE_TAIL}"
)
_UK_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
_DUTCH_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[1-9]\d{3} ?[A-Z]{2}\s+[^\W\d_]{3,}")
# A cell that is only a postcode and its town: "75008 Paris", "D-10115 Berlin", "Dublin 2".
_POSTCODE_TOWN = re.compile(
    r"^(?:[A-Z]{1,2}-)?\d{4,5}\s+[^\W\d_][^\W\d_.]{2,}(?:[ -][^\W\d_][^\W\d_.]*){0,3}(?:\s\d{1,2})?\s*$"
)


def is_document_number(name: str) -> bool:
    """Whether a field named ``name`` is a document's own number ("invoice_number")."""
    parts = name.lower().split("_")
    return len(parts) >= 2 and parts[-1] in _NUMBER_WORDS and parts[0] in _DOCUMENT_WORDS


def identifier_in(text: str) -> str | None:
    """The identifier at the start of ``text`` (see the module docstring), or None."""
    stripped = _LEADING.sub("", text, count=1).strip()
    if _PHONE.match(stripped) or is_place(stripped):
        return None
    tokens = stripped.split()
    if not tokens:
        return None
    value = _rejoined(tokens)
    if (
        value.isalpha()
        and value.isupper()
        and len(value) <= 4
        and len(tokens) > 1
        and re.search(r"\d", tokens[1])
    ):
        value = f"{value} {tokens[1]}"  # a series prefix printed apart: "CR 1805/0201"
    value = value.rstrip(_TOKEN_END)
    return value if _looks_like_identifier(value) else None


# A piece of a number OCR set apart at one of its separators: "INV/2024/11 /0522",
# "INV/2024/ 11/0522", "RE-2024 -0226".
_SEPARATOR_START = re.compile(r"^[/\-][A-Za-z0-9]")
_SEPARATOR_END = re.compile(r"[A-Za-z0-9][/\-]$")


def _rejoined(tokens: list[str]) -> str:
    """The first token, with the pieces after it that OCR set apart at a separator (a slash or
    dash opening the next piece or closing this one) joined back; only where the token already
    holds a digit and the piece one too, so that words and dates after a number stay apart."""
    value = tokens[0]
    for piece in tokens[1:]:
        glued = _SEPARATOR_START.match(piece) or _SEPARATOR_END.search(value)
        if not glued or not re.search(r"\d", value) or not re.search(r"\d", piece):
            break
        value += piece
    return value


def is_place(text: str) -> bool:
    """Whether ``text`` is (part of) an address's place line rather than a number: it holds an
    Eircode or a UK or Dutch postcode, or it is a postcode and its town only."""
    return bool(
        _EIRCODE.search(text)
        or _UK_POSTCODE.search(text)
        or _DUTCH_POSTCODE.search(text)
        or _POSTCODE_TOWN.match(text)
    )


def _looks_like_identifier(value: str) -> bool:
    if not re.search(r"\d", value) or len(value) > 40:
        return False
    if _AMOUNT.match(value) or _TIME.match(value) or _PHONE.match(value):
        return False
    dates = find_dates(value)
    return not (dates and dates[0].end - dates[0].start >= len(value) - 1)


def read_document_number(
    rows: Sequence[Row], hits: Sequence[LabelHit], label_cells: set[tuple[int, int]], unit: float
) -> Finding | None:
    """The document's number from its labels, else after a title; None when neither."""
    methods = {1.0: "id:label-same", 0.97: "id:label-right", 0.96: "id:label-right", 0.93: "id:label-below"}
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row, h.cell)):
        label = rows[hit.row].cells[hit.cell]
        found = [
            (value, candidate)
            for candidate in value_candidates(rows, hit, label_cells, unit)
            if (value := identifier_in(candidate.text)) is not None
        ]
        if not found:
            continue
        # a code beats a word with digits glued to it ("GalwayH91E2K3", an address column
        # right of the label) found nearer the label
        value, candidate = next(((v, c) for v, c in found if not _holds_word(v)), found[0])
        quality = candidate.quality * (1.0 if hit.exact else 0.95)
        evidence = [f"label {label.text[: hit.end].strip()!r}"]
        if value not in candidate.text:
            evidence.append("rejoined where OCR set a piece apart at a separator")
        rival = _rival_number(rows, hits, hit, label_cells, unit, value)
        if rival is not None:
            quality *= _RIVAL_FACTOR
            evidence.append(f"another label gives {rival!r}")
        if hit.misread:
            quality *= 0.9
            evidence.append("label read with one letter wrong (OCR)")
        elif not hit.exact:
            evidence.append("label matched without its spaces (OCR glue)")
        if hit.specificity <= _GENERIC_LABEL_LETTERS:
            quality *= 0.9
            evidence.append("generic label")
        quality *= _shape_quality(value, evidence)
        cells = (label,) if candidate.cells == (label,) else (label, *candidate.cells)
        method = methods.get(candidate.quality, "id:label-below")
        return Finding(value, cells, round(quality, 4), method, tuple(evidence))
    return _after_title(rows)


# What a second label of the number giving another value leaves of the quality: the page
# contradicts itself (a photo's label column read against the next row's value).
_RIVAL_FACTOR = 0.7


def _rival_number(
    rows: Sequence[Row],
    hits: Sequence[LabelHit],
    chosen: LabelHit,
    label_cells: set[tuple[int, int]],
    unit: float,
    value: str,
) -> str | None:
    """The value another exactly read label of the number gives, on another row, when it is
    not ``value`` ("Rechnungsnummer 58897" in the details block, "Rechnung Nr. RE-2024-0226"
    over the letter's body), or None. Invoices print their number twice; the two agree."""
    own = _compact_id(value)
    for hit in hits:
        if hit is chosen or hit.row == chosen.row or not hit.exact:
            continue
        for candidate in value_candidates(rows, hit, label_cells, unit):
            other = identifier_in(candidate.text)
            if other is None or _holds_word(other) or len(_compact_id(other)) < 4:
                continue
            if _compact_id(other) != own:
                return other
            break
    return None


def _compact_id(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def _holds_word(value: str) -> bool:
    """Four lower-case letters in a row: a word, which document numbers do not spell."""
    run = 0
    for ch in value:
        run = run + 1 if ch.islower() else 0
        if run >= 4:
            return True
    return False


def _shape_quality(value: str, evidence: list[str]) -> float:
    if len(re.sub(r"\W", "", value)) <= 2:
        evidence.append("very short value")
        return 0.6
    if _holds_word(value):
        evidence.append("holds a word")
        return 0.6
    return 1.0


def _after_title(rows: Sequence[Row]) -> Finding | None:
    for row in rows[:15]:
        for c, cell in enumerate(row.cells):
            sign = _NUMBER_SIGN.match(cell.text)
            if sign and not _LABELLED_REST.match(cell.text[sign.end() :]):  # "N° FAC/2024/00014"
                value = identifier_in(cell.text[sign.end() :])
                if value is not None and re.search(r"[A-Za-z/-]", value):
                    evidence = [f"after the number sign {sign.group(0).strip()!r}"]
                    quality = 0.7 * _shape_quality(value, evidence)
                    return Finding(value, (cell,), round(quality, 4), "id:number-sign", tuple(evidence))
            for title in _TITLES:
                end = match_label(cell.text, title)
                if end is None:
                    continue
                value = identifier_in(cell.text[end:])
                if value is None and not cell.text[end:].strip(" :：#") and c + 1 < len(row.cells):
                    right = row.cells[c + 1]  # "Fattura | 526/2025": the title's own box
                    value = identifier_in(right.text) if right.x0 - cell.x1 <= _NEAR_RIGHT else None
                    if value is not None:
                        evidence = [f"right of the title {cell.text.strip()!r}"]
                        quality = 0.65 * _shape_quality(value, evidence)
                        cells = (cell, right)
                        return Finding(value, cells, round(quality, 4), "id:title-right", tuple(evidence))
                if value is None:
                    break
                evidence = [f"after the title {cell.text[:end].strip()!r}"]
                if value not in cell.text:
                    evidence.append("rejoined where OCR set a piece apart at a separator")
                quality = 0.75 * _shape_quality(value, evidence)
                return Finding(value, (cell,), round(quality, 4), "id:title-inline", tuple(evidence))
    return None
