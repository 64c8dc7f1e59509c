"""Is an extracted value right? One comparison rule per kind of field.

- ``amount`` (money): equal to the cent (both rounded half-up).
- ``number`` (number): equal within a relative 1e-9; ``integer``: equal.
- ``date`` (date): the same calendar day.
- ``identifier`` (currency; text fields named ``*_number``, ``*_no``, ``*_id``, ``*_code``,
  ``*_ref``, ...): equal ignoring case, accents, spaces and punctuation.
- ``name`` (other text): equal ignoring case, accents, spaces and punctuation; or the truth
  is a run of whole words of the value covering at least half of its letters and digits.
- ``address`` (address): every number of the truth is in the value; at least 80 % of the
  truth's words of three letters or more are found in the value; and at least half of the
  value's letters and digits belong to the truth's words and numbers.
- ``boolean`` (a true/false truth): equal.

Text is compared by its letters and digits run together, because OCR drops spaces
("JALANPERMASUTARA"); a shortened name must still begin and end where a word of the value
does (a punctuation mark, a space, or letters meeting digits), so "MART" is not in "WALMART".

Names accept a shortened truth (annotators write "LEMON TREE RESTAURANT" for "LEMON TREE
RESTAURANT JTJ FOODS SDN BHD") but no misspelling: a one-letter difference may be another
business. Addresses tolerate a few words missing or misread, never a different number
(house number, postcode). A value missing from the extraction is wrong.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.evaluation.truth import (
    DateOrder,
    TruthValueError,
    compact_text,
    fold,
    parse_amount,
    parse_date,
    parse_number,
    text_tokens,
)
from models.schemas.spec import FieldKind

CENT = Decimal("0.01")
# Address rule: share of the truth's words the value must contain, and share of the value's
# words that must be the truth's (a value that is mostly something else is not the address).
ADDRESS_WORD_RECALL = 0.8
ADDRESS_WORD_PRECISION = 0.5
# Address words shorter than this ("no", "kg", "jl") are not counted: they match anywhere.
ADDRESS_MIN_WORD = 3
# Name rule: a shortened truth must cover at least this share of the value's characters.
NAME_MIN_COVERAGE = 0.5
NUMBER_TOLERANCE = Decimal("1e-9")

# Last word of a text field's name that makes it an identifier (compared as a code).
_IDENTIFIER_WORDS = frozenset(
    {"number", "no", "nr", "num", "id", "code", "ref", "reference", "iban", "bic", "swift", "sku"}
)
# Currency symbols that name exactly one currency ("$" does not, so it is left as written).
_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "RM": "MYR", "US$": "USD", "CHF": "CHF"}


class Rule(StrEnum):
    """How a field's values are compared (see the module docstring)."""

    AMOUNT = "amount"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    IDENTIFIER = "identifier"
    NAME = "name"
    ADDRESS = "address"
    BOOLEAN = "boolean"


class Verdict(BaseModel):
    """The outcome of comparing one extracted value with its truth."""

    model_config = ConfigDict(frozen=True)

    correct: bool
    rule: Rule
    truth: str
    value: str | None  # None: the extraction has no value for the field
    note: str | None = None  # why a value that is not plainly equal was accepted, or refused


def rule_for(kind: FieldKind, name: str) -> Rule:
    """The comparison rule for a field of ``kind`` called ``name``."""
    if kind is FieldKind.MONEY:
        return Rule.AMOUNT
    if kind is FieldKind.NUMBER:
        return Rule.NUMBER
    if kind is FieldKind.INTEGER:
        return Rule.INTEGER
    if kind is FieldKind.DATE:
        return Rule.DATE
    if kind is FieldKind.CURRENCY:
        return Rule.IDENTIFIER
    if kind is FieldKind.ADDRESS:
        return Rule.ADDRESS
    last_word = name.lower().rsplit("_", 1)[-1]
    if last_word in _IDENTIFIER_WORDS or name.lower() in _IDENTIFIER_WORDS:
        return Rule.IDENTIFIER
    return Rule.NAME


def normalise_truth(rule: Rule, truth: object, order: DateOrder | None = None) -> str:
    """The truth in the comparable form its rule uses (raises TruthValueError)."""
    if rule is Rule.AMOUNT:
        return str(parse_amount(truth).quantize(CENT, rounding=ROUND_HALF_UP))
    if rule in (Rule.NUMBER, Rule.INTEGER):
        number = parse_number(truth)
        if rule is Rule.INTEGER and number != number.to_integral_value():
            raise TruthValueError(f"{truth!r} is not a whole number")
        return _plain(number)
    if rule is Rule.DATE:
        return parse_date(truth, order).isoformat()
    if rule is Rule.BOOLEAN:
        if not isinstance(truth, bool):
            raise TruthValueError(f"{truth!r} is not true or false")
        return "true" if truth else "false"
    if not isinstance(truth, str | int | float) or isinstance(truth, bool):
        raise TruthValueError(f"{truth!r} is not text")
    text = str(truth)
    if rule is Rule.IDENTIFIER:
        text = _currency_code(text)
    if not compact_text(text):
        raise TruthValueError(f"{truth!r} has no letters or digits to compare")
    return text


def compare(
    kind: FieldKind, name: str, truth: object, value: object, order: DateOrder | None = None
) -> Verdict:
    """Compare an extracted ``value`` with the ``truth`` for field ``name`` of ``kind``.

    The truth may be normalised or as printed (see ``models.evaluation.truth``); ``order``
    is the golden set's order of numeric dates. Raises TruthValueError when the truth
    cannot be read (the field is then not checked). A missing value (None, empty) is wrong.
    """
    rule = Rule.BOOLEAN if isinstance(truth, bool) else rule_for(kind, name)
    expected = normalise_truth(rule, truth, order)
    if value is None or (isinstance(value, str) and not value.strip()):
        return Verdict(correct=False, rule=rule, truth=expected, value=None, note="missing")
    try:
        found = normalise_truth(rule, value, order)
    except TruthValueError as exc:
        return Verdict(correct=False, rule=rule, truth=expected, value=str(value), note=str(exc))
    if rule is Rule.NAME:
        return _compare_names(expected, found)
    if rule is Rule.ADDRESS:
        return _compare_addresses(expected, found)
    if rule is Rule.IDENTIFIER:
        return Verdict(
            correct=compact_text(expected) == compact_text(found), rule=rule, truth=expected, value=found
        )
    if rule is Rule.NUMBER:
        a, b = Decimal(expected), Decimal(found)
        close = abs(a - b) <= NUMBER_TOLERANCE * max(Decimal(1), abs(a))
        return Verdict(correct=close, rule=rule, truth=expected, value=found)
    return Verdict(correct=expected == found, rule=rule, truth=expected, value=found)


def _plain(number: Decimal) -> str:
    """``number`` without exponent or trailing zeros: ``2.50`` and ``2.5`` read the same."""
    text = format(number.normalize(), "f")
    return text if text != "-0" else "0"


def _currency_code(text: str) -> str:
    stripped = text.strip()
    return _CURRENCY_SYMBOLS.get(stripped.upper(), stripped)


def _boundaries(tokens: list[str]) -> set[int]:
    """Where words start and end in the compacted text (and where letters meet digits):
    OCR often drops spaces ("THETOASTF&BSDNBHD(965752-T)"), so the compacted text is
    compared, but a match must still begin and end where a word could."""
    bounds, position = {0}, 0
    for token in tokens:
        for i in range(1, len(token)):
            if token[i - 1].isdigit() != token[i].isdigit():
                bounds.add(position + i)
        position += len(token)
        bounds.add(position)
    return bounds


def _compare_names(truth: str, value: str) -> Verdict:
    t, v = compact_text(truth), compact_text(value)
    if t == v:
        return Verdict(correct=True, rule=Rule.NAME, truth=truth, value=value)
    bounds = _boundaries(text_tokens(value))
    starts = [i for i in range(len(v) - len(t) + 1) if v.startswith(t, i)]
    run = any(i in bounds and i + len(t) in bounds for i in starts)
    coverage = len(t) / max(1, len(v))
    if run and coverage >= NAME_MIN_COVERAGE:
        shortened = f"truth is a shortened form of the value ({coverage:.0%} of its characters)"
        return Verdict(correct=True, rule=Rule.NAME, truth=truth, value=value, note=shortened)
    note = "truth is part of the value but too short a part" if run else None
    return Verdict(correct=False, rule=Rule.NAME, truth=truth, value=value, note=note)


def _take(text: str, part: str, used: list[bool]) -> bool:
    """Find ``part`` in ``text`` where no earlier part was found, and mark it used."""
    start = text.find(part)
    while start != -1:
        if not any(used[start : start + len(part)]):
            used[start : start + len(part)] = [True] * len(part)
            return True
        start = text.find(part, start + 1)
    return False


def _compare_addresses(truth: str, value: str) -> Verdict:
    t, v = compact_text(truth), compact_text(value)
    if t == v:
        return Verdict(correct=True, rule=Rule.ADDRESS, truth=truth, value=value)
    # Numbers as digit runs of the text as written, so "UPTOWN3" and "UPTOWN 3", "7/4" and
    # "7 / 4" agree, and "2110&2111" stays two numbers.
    t_numbers = Counter(re.findall(r"\d+", fold(truth)))
    missing_numbers = sorted((t_numbers - Counter(re.findall(r"\d+", fold(value)))).elements())
    # Words are looked for in the value's letters and digits run together (OCR drops spaces:
    # "JALANPERMASUTARA"); each place in the value serves one word of the truth.
    used = [False] * len(v)
    words = re.findall(r"[^\W\d_]+", fold(truth))
    counted = [w for w in words if len(w) >= ADDRESS_MIN_WORD]  # "no", "kg" match anywhere
    found = sum(_take(v, w, used) for w in counted)
    for part in [w for w in words if len(w) < ADDRESS_MIN_WORD] + list(t_numbers.elements()):
        _take(v, part, used)  # short words and numbers count for precision only
    recall = found / max(1, len(counted))
    precision = sum(used) / max(1, len(v))
    correct = not missing_numbers and recall >= ADDRESS_WORD_RECALL and precision >= ADDRESS_WORD_PRECISION
    note = f"words of the truth found {recall:.0%}; value from the truth {precision:.0%}"
    if missing_numbers:
        note += f"; numbers missing: {', '.join(missing_numbers)}"
    return Verdict(correct=correct, rule=Rule.ADDRESS, truth=truth, value=value, note=note)


__all__ = ["Rule", "Verdict", "compare", "normalise_truth", "rule_for"]
