"""A second witness for a model's essential values: the page's own text, read without the model.

The witness of a page is its text layer (text-routed pages) or the local engine's OCR of its
image (scans and photos; ``LocalEngine.read_text``, so OCR runs off the event loop, a few at
a time, time-limited, and the lines are mapped in the turn they read in). For each essential
field of the schema that the model answered on that page, in this order:

1. **disagreement**: the local field mapper, reading the witness lines, has a clear value for
   the field (an amount, a date, or an identifier with digits, read at mapper confidence
   ``CLEAR_READING`` or more) that differs from the model's, and the line it read it from does
   not state the model's value either. The field gets the flag ``disagreement`` and the
   evidence ``witness:disagrees: model 120.00, page text 102.00``.
2. **agrees**: the witness text states the model's value: amounts as numbers in any printed
   format, dates in any printed format, identifiers ignoring spacing and punctuation (and, on
   OCR, the letters OCR confuses with digits), names case-blind and fuzzily. Evidence
   ``witness:agrees`` (the done rule may accept such a value whose confidence is unknown; a
   known confidence is left as it is, the calibration decides) plus the line that states it,
   which becomes the field's ``source_text`` and ``bbox`` where it had none.
3. **ungrounded**: the witness text does not state the value anywhere. Flag ``ungrounded``.

A page whose witness could not be read (OCR failed or timed out) adds evidence saying so and
no verdict. Which witnesses run is the ``llm_witness`` setting (``ocr``, ``text``, ``off``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from core.errors import FolioError
from core.settings import Settings
from extractors.engines.local import LocalEngine, OcrFunction
from extractors.fieldmap.values import detect_currency, find_amounts, find_dates
from extractors.reading_frame import map_in_reading_frame
from models.calibration import WITNESS_AGREES  # the done rule reads this evidence word
from models.extraction import ExtractedField, FieldScalar, PageExtraction
from models.page import PageRoute, PreparedPage, TextLine, Turn
from models.schemas import ExtractionSchema, FieldKind

WITNESS_DISAGREES = "witness:disagrees"
DISAGREEMENT = "disagreement"
UNGROUNDED = "ungrounded"
# The mapper's confidence from which its reading of a witness line contradicts the model:
# a value after its label on a clean line scores 0.93-1.0, times the OCR confidence.
CLEAR_READING = 0.7
# Similarity (difflib ratio, case-blind, punctuation-blind) from which a name agrees.
NAME_SIMILARITY = 0.88

_WORDS = re.compile(r"[\W_]+")
_ALNUM = re.compile(r"[0-9a-z]+")
_HALF_CENT = Decimal("0.005")
# Letters OCR reads for digits (and back) in identifiers: folded to the digit on both sides.
_OCR_FOLD = str.maketrans("oqdilsbz", "00011582")
_AMOUNT_KINDS = {FieldKind.MONEY, FieldKind.NUMBER, FieldKind.INTEGER}


@dataclass
class PageWitness:
    """What the page itself says, read without the model."""

    page_number: int
    source: str  # "page text" or "OCR": how a person should read the evidence
    lines: list[TextLine] = field(default_factory=list)
    problem: str | None = None  # why there is no witness text (OCR failed, ...)
    turn: Turn = 0  # the page as shown turned from its reading frame (lines' boxes are as shown)
    _readings: dict[str, PageExtraction] = field(default_factory=dict, repr=False)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def reading(self, schema: ExtractionSchema) -> PageExtraction:
        """The local mapper's fields from the witness lines (computed once per schema)."""
        if schema.name not in self._readings:
            self._readings[schema.name] = map_in_reading_frame(
                self.lines, schema, turn=self.turn, page_number=self.page_number
            )
        return self._readings[schema.name]

    def line_stating(self, value: FieldScalar, kind: FieldKind | None) -> TextLine | None:
        """The first witness line that states ``value`` exactly, else the first that states
        it fuzzily (names)."""
        ocr = self.source == "OCR"
        for fuzzy in (False, True):
            for line in self.lines:
                if states(line.text, value, kind, ocr=ocr, fuzzy=fuzzy):
                    return line
        return None


class WitnessReader:
    """Reads the witness of a page per the ``llm_witness`` setting."""

    def __init__(self, settings: Settings, *, ocr: OcrFunction | None = None) -> None:
        """``ocr`` replaces RapidOCR (tests use it for an OCR that fails or hangs)."""
        self.mode = settings.llm.witness
        # The local engine's line reader: text layer as lines, OCR bounded and off the loop.
        self._local = LocalEngine(settings, ocr=ocr)

    async def read(self, page: PreparedPage) -> PageWitness | None:
        """The page's witness; None when the mode gives this page none."""
        if self.mode == "off":
            return None
        if page.route is not PageRoute.TEXT and (self.mode != "ocr" or page.image is None):
            return None
        source = "page text" if page.route is PageRoute.TEXT else "OCR"
        try:
            text = await self._local.read_text(page)
        except FolioError as exc:
            return PageWitness(page.page_number, source, problem=f"{exc.code}: {exc.message}")
        if not any(line.text.strip() for line in text.lines):
            return PageWitness(page.page_number, source, problem="no text on the page")
        # The turn the lines read in: the page's for its text layer, OCR's found one for a scan.
        return PageWitness(page.page_number, source, lines=text.lines, turn=text.turn)


def witness_fields(
    fields: Mapping[str, ExtractedField], schema: ExtractionSchema, witness: PageWitness
) -> dict[str, ExtractedField]:
    """``fields`` (one page's) with each essential value checked against the page's witness."""
    kinds = {spec.name: spec.kind for spec in schema.fields}
    out = dict(fields)
    for name in schema.essential:
        found = out.get(name)
        if found is not None and found.value is not None:
            out[name] = check_value(found, name, kinds.get(name), schema, witness)
    return out


def check_value(
    found: ExtractedField,
    name: str,
    kind: FieldKind | None,
    schema: ExtractionSchema,
    witness: PageWitness,
) -> ExtractedField:
    """One value against the witness: disagreement, agreement or ungrounded (module text)."""
    if witness.problem is not None:
        note = f"witness: none ({witness.source}: {witness.problem})"
        return found.model_copy(update={"evidence": [*found.evidence, note]})
    flags = [f for f in found.flags if f not in (UNGROUNDED, DISAGREEMENT)]
    read = witness.reading(schema).fields.get(name)
    if read is not None and _contradicts(found.value, read, kind, ocr=witness.source == "OCR"):
        note = f"{WITNESS_DISAGREES}: model {_shown(found.value)}, {witness.source} {_shown(read.value)}"
        return found.model_copy(update={"flags": [*flags, DISAGREEMENT], "evidence": [*found.evidence, note]})
    line = witness.line_stating(found.value, kind)
    ocr = witness.source == "OCR"
    if line is None and not states(witness.text, found.value, kind, ocr=ocr, fuzzy=True):
        note = f"witness: {witness.source} does not state {_shown(found.value)}"
        return found.model_copy(update={"flags": [*flags, UNGROUNDED], "evidence": [*found.evidence, note]})
    update: dict[str, Any] = {"flags": flags, "evidence": [*found.evidence, WITNESS_AGREES]}
    if line is not None:
        update["evidence"].append(f"witness: {witness.source} reads {line.text.strip()!r}")
        if found.source_text is None:
            update["source_text"] = line.text
            update["bbox"] = line.bbox
    return found.model_copy(update=update)


def _shown(value: FieldScalar) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _contradicts(value: FieldScalar, read: ExtractedField, kind: FieldKind | None, *, ocr: bool) -> bool:
    """Whether the mapper's clear reading ``read`` says something other than ``value``."""
    if read.value is None or read.confidence is None or read.confidence < CLEAR_READING:
        return False
    if not _checkable(value, kind):
        return False  # names and free text: no "clear" other reading, only found or not
    if agree(value, read.value, kind, ocr=ocr):
        return False
    # The line the mapper read may state the model's value too (a day-month order the page
    # leaves open, an amount printed twice): no contradiction then.
    return not (read.source_text and states(read.source_text, value, kind, ocr=ocr))


def _checkable(value: FieldScalar, kind: FieldKind | None) -> bool:
    if kind in _AMOUNT_KINDS or kind is FieldKind.DATE:
        return True
    return isinstance(value, str) and any(ch.isdigit() for ch in value)  # an identifier


def agree(a: FieldScalar, b: FieldScalar, kind: FieldKind | None, *, ocr: bool = False) -> bool:
    """Whether two readings of one field say the same thing (loosely, per kind)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if kind in _AMOUNT_KINDS or isinstance(a, int | float) or isinstance(b, int | float):
        x, y = _decimal(a), _decimal(b)
        return x is not None and y is not None and abs(abs(x) - abs(y)) < _HALF_CENT
    text_a, text_b = str(a), str(b)
    if kind is FieldKind.DATE:
        return _iso_date(text_a) is not None and _iso_date(text_a) == _iso_date(text_b)
    if any(ch.isdigit() for ch in text_a + text_b):
        return _squeezed(text_a, ocr=ocr) == _squeezed(text_b, ocr=ocr)
    return _similar(_norm(text_a).strip(), _norm(text_b).strip())


def states(
    text: str, value: FieldScalar, kind: FieldKind | None, *, ocr: bool = False, fuzzy: bool = False
) -> bool:
    """Whether ``text`` states ``value``: numbers as amounts in any printed format
    (``1.234,50`` = ``1234.5``), dates in any printed format (``23.03.2025`` = ``2025-03-23``),
    currencies by code or symbol, identifiers ignoring spacing and punctuation (``ocr``: and
    the letters OCR reads for digits), other text case- and punctuation-blind, and with
    ``fuzzy`` names (no digits) also approximately (costly: for the few essential values)."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int | float):
        return _has_amount(text, Decimal(str(value)))
    wanted = str(value)
    if kind is FieldKind.CURRENCY:
        return _has_currency(text, wanted)
    if kind is FieldKind.DATE or (kind is None and _iso_date(wanted) is not None):
        day = _iso_date(wanted)
        if day is not None and _has_date(text, day):
            return True
    if _norm(wanted) in _norm(text):
        return True
    if kind is FieldKind.DATE:
        return False
    if any(ch.isdigit() for ch in wanted):
        return _has_identifier(text, wanted, ocr=ocr)
    return fuzzy and _has_similar(text, wanted)


def _norm(text: str) -> str:
    return f" {_WORDS.sub(' ', text.casefold()).strip()} "


def _squeezed(text: str, *, ocr: bool) -> str:
    joined = "".join(_ALNUM.findall(text.casefold()))
    return joined.translate(_OCR_FOLD) if ocr else joined


def _has_identifier(text: str, wanted: str, *, ocr: bool) -> bool:
    """``wanted``'s letters and digits as whole consecutive runs of ``text``'s, whatever
    spacing and punctuation stand between them (``INV 2025/0042`` states ``INV-2025-0042``;
    ``INV-2025-00421`` does not)."""
    target = _squeezed(wanted, ocr=ocr)
    if len(target) < 3:
        return False
    runs = [_squeezed(run, ocr=ocr) for run in _ALNUM.findall(text.casefold())]
    for first in range(len(runs)):
        joined = ""
        for run in runs[first:]:
            joined += run
            if joined == target:
                return True
            if len(joined) >= len(target) or not target.startswith(joined):
                break
    return False


def _similar(a: str, b: str) -> bool:
    return bool(a) and bool(b) and SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def _has_similar(text: str, wanted: str) -> bool:
    """A run of ``text``'s words close to ``wanted`` (OCR slips, a dropped comma, case),
    compared without spaces: OCR glues words ("AtelierMoreauSARL") or splits them."""
    words = _norm(wanted).split()
    target = "".join(words)
    if len(target) < 4:
        return False
    found = _norm(text).split()
    for count in range(1, len(words) + 2):
        for first in range(0, max(1, len(found) - count + 1)):
            matcher = SequenceMatcher(None, target, "".join(found[first : first + count]))
            if matcher.real_quick_ratio() >= NAME_SIMILARITY and matcher.ratio() >= NAME_SIMILARITY:
                return True
    return False


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _decimal(value: FieldScalar) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


@lru_cache(maxsize=8192)
def _amounts_in(text: str) -> tuple[Decimal, ...]:
    """The absolute amounts printed in ``text``; cached because every numeric field of a
    response is checked against every line of its pages (profiled: the client's top cost)."""
    return tuple(abs(match.value) for match in find_amounts(text))


def _has_amount(text: str, number: Decimal) -> bool:
    wanted = abs(number)
    for amount in _amounts_in(text):
        try:
            if abs(amount - wanted) < _HALF_CENT:
                return True
        except InvalidOperation:
            continue
    return False


def _has_date(text: str, day: dt.date) -> bool:
    return any(m.value == day for first in (True, False) for m in find_dates(text, day_first=first))


def _has_currency(text: str, code: str) -> bool:
    if re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![A-Za-z])", text):
        return True
    evidence = detect_currency([text])
    return evidence is not None and evidence.code == code
