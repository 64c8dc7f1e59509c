"""Amounts as OCR reads them: the strict reader of ``values`` plus the repairs a scan needs.

``values.find_amounts`` reads what is printed correctly. A scanned receipt also shows:

- letters for digits inside a number: ``RMO.00`` (O for 0), ``1S.50`` (S for 5), ``l2.00``
  inside digits (l, I or | for 1), ``1B.00`` (B for 8). Only a letter with digits (or a
  decimal mark and digits) on both sides is read as a digit, or an O right after a currency
  prefix and before the cents, so words ("SRO", "ZRL", "No.89") stay words;
- a sign before a currency prefix: ``-RM0.02`` is minus 0.02;
- cents without their zero: ``RM .10``, ``-,01`` (0.10, -0.01);
- two amounts glued into one run: ``9.400.00`` (9.40 and 0.00), ``17.4517.45``.

Parts of dates ("04-05-1812:50" glued to its time), numbers after a hyphen between digits
(phone and reference numbers: "016-7780546") and whole numbers inside words (OCR's digits for
letters: "Grand Tota1RM14.20", "Total 5ales") are no amounts.

Each repair is recorded on the amount (``Amount.repair``) so that a field read from it can
say so in its evidence. A lost decimal point (``6413`` for 64.13) is not repaired here: only
the totals logic, which can check it against the other amounts of the page, may do that
(``without_decimal_point``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from extractors.fieldmap.values import CURRENCY_CODES, AmountMatch, find_amounts, find_dates

_PREFIX = r"(?:RM|[$€£¥]|" + "|".join(sorted(CURRENCY_CODES)) + r")"
# A letter OCR reads for a digit, between digits (or a decimal mark next to digits).
_DIGIT_LOOKALIKES = {"O": "0", "o": "0", "S": "5", "s": "5", "l": "1", "I": "1", "|": "1", "B": "8"}
_LOOKALIKE = re.compile(r"(?<=\d)[OoSslI|B](?=\d|[.,]\d)|(?<=\d[.,])[OoSslI|B](?=\d)")
_O_AFTER_PREFIX = re.compile(_PREFIX + r"\s?(?P<o>[Oo])(?=[.,]\d{2}(?!\d))")
_SIGN_BEFORE_PREFIX = re.compile(r"[-−]\s?" + _PREFIX + r"?\s?$")
_BARE_CENTS = re.compile(r"(?:(?<=^)|(?<=[\s:=]))(?P<sign>[-−])?[.,](?P<cents>\d{2})(?![\d.,])")
# Whole numbers of this many digits, ungrouped, are identifiers, never amounts.
_ID_DIGITS = 7
# Grouped with one mark and cents after the same mark: "1.853.37" (a comma misread).
_MARK_MISREAD = re.compile(r"(?<![\d.,])\d{1,3}(?:([.,])\d{3})+\1\d{2}(?![\d.,])")
_GLUED_PAIR = re.compile(r"(?<![\d.,])(?P<a>\d{1,6}[.,]\d{2})(?P<b>\d{1,6}[.,]\d{2})(?![\d.,])")


@dataclass(frozen=True)
class Amount:
    """An amount read from a cell's text, where it was, and how OCR damage was repaired."""

    value: Decimal
    has_decimals: bool
    currency: str | None
    start: int
    end: int
    repair: str | None = None  # e.g. "read 'RMO.00' as 0.00"


def _with_digits(text: str) -> tuple[str, list[int]]:
    """``text`` with digit look-alikes inside numbers replaced (same length), and where."""
    chars = list(text)
    changed: list[int] = []
    for m in _LOOKALIKE.finditer(text):
        chars[m.start()] = _DIGIT_LOOKALIKES[m.group(0)]
        changed.append(m.start())
    for m in _O_AFTER_PREFIX.finditer(text):
        position = m.start("o")
        chars[position] = "0"
        changed.append(position)
    return "".join(chars), changed


def _inside_word(text: str, start: int, end: int, priced: bool) -> bool:
    """Whether a whole number is part of a word: letters on both sides, or a word glued after."""
    if priced:
        return False
    before, after = text[start - 1 : start], text[end : end + 2]
    return (before.isalpha() and after[:1].isalpha()) or (len(after) == 2 and after.isalpha())


@lru_cache(maxsize=8192)  # pure; a page asks for a cell's amounts more than once
def read_amounts(text: str, *, decimal_comma: bool | None = None) -> tuple[Amount, ...]:
    """Every amount in ``text``, left to right, OCR damage repaired (see the module docstring).

    ``decimal_comma`` is how the rest of the page writes cents (None: unknown); it decides
    whether "1.853.37" is 1853.37 with a misread comma or two amounts glued.
    """
    fixed, changed = _with_digits(text)
    found = _printed_amounts(text, fixed, changed)
    taken = [(a.start, a.end) for a in found]
    found += _bare_cents(text, fixed, taken)
    found += _misread_marks(fixed, taken, decimal_comma)
    found += _glued_pairs(text, fixed, taken)
    return tuple(sorted(found, key=lambda a: a.start))


def _printed_amounts(text: str, fixed: str, changed: list[int]) -> list[Amount]:
    """The amounts the strict reader finds in ``fixed``, less those that are no amounts."""
    found: list[Amount] = []
    dates = [(d.start, d.end) for d in find_dates(text)]
    for match in find_amounts(fixed):
        if _no_amount(match, fixed, dates):
            continue
        value = match.value
        repairs = []
        if any(match.start <= i < match.end for i in changed):
            repairs.append(f"read {text[match.start : match.end].strip()!r} as {value}")
        if value > 0 and _SIGN_BEFORE_PREFIX.search(fixed[max(0, match.start - 5) : match.start]):
            value = -value
        found.append(
            Amount(
                value, match.has_decimals, match.currency, match.start, match.end, "; ".join(repairs) or None
            )
        )
    return found


def _no_amount(match: AmountMatch, fixed: str, dates: list[tuple[int, int]]) -> bool:
    """Whether what the strict reader matched is a date part, an identifier or part of a word."""
    if any(match.start < end and start < match.end for start, end in dates):
        return True  # parts of a date ("04-05-18") are no amounts
    digits = fixed[match.start : match.end]
    if (
        not match.has_decimals
        and len(re.sub(r"\D", "", digits)) >= _ID_DIGITS
        and not re.search(r"\d[.,' ]\d", digits)
    ):
        return True  # a long run of digits is an account, phone or reference number
    if _inside_word(fixed, match.start, match.end, match.has_decimals or match.currency is not None):
        return True  # "Tota1RM", "5ales", "Inclusive65T": letters OCR read as digits
    # A hyphen between digits: a phone or reference number, no minus sign.
    return match.value < 0 and bool(
        re.search(r"\d\s?[-−]$", fixed[max(0, match.start - 2) : match.start + 1])
    )


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(start < stop and begin < end for begin, stop in taken)


def _bare_cents(text: str, fixed: str, taken: list[tuple[int, int]]) -> list[Amount]:
    """Cents without their zero where no amount was read: "RM .10", "-,01"."""
    found = []
    for m in _BARE_CENTS.finditer(fixed):
        if _free(taken, m.start(), m.end()):
            value = Decimal(f"0.{m['cents']}") * (-1 if m["sign"] else 1)
            repair = f"read {text[m.start() : m.end()]!r} as {value}"
            found.append(Amount(value, True, None, m.start(), m.end(), repair))
    return found


def _misread_marks(fixed: str, taken: list[tuple[int, int]], decimal_comma: bool | None) -> list[Amount]:
    """Grouped amounts whose last mark OCR misread ("1.853.37"); each one found is added to ``taken``."""
    found = []
    for m in _MARK_MISREAD.finditer(fixed):
        # "1.853.37" on a page that writes 1.234,56: its last mark is a misread comma (and
        # "1,853,37" on a 1,234.56 page a misread point). On a page that writes 1,234.56,
        # "8.391.11" is a misread grouping comma, but "9.400.00" two glued amounts: a price
        # and a zero discount or tax column are what OCR runs together on a receipt.
        zero_tail = m.group(0)[-4:-3] == "0" and m.group(0)[-2:] == "00"
        misread = (
            (decimal_comma is True and m.group(1) == ".")
            or (decimal_comma is False and m.group(1) == ",")
            or (decimal_comma is not True and m.group(1) == "." and not zero_tail)
        )
        if misread and _free(taken, m.start(), m.end()):
            value = Decimal(re.sub(r"\D", "", m.group(0)[:-3]) + "." + m.group(0)[-2:])
            found.append(Amount(value, True, None, m.start(), m.end(), f"read {m.group(0)!r} as {value}"))
            taken.append((m.start(), m.end()))
    return found


def _glued_pairs(text: str, fixed: str, taken: list[tuple[int, int]]) -> list[Amount]:
    """Two amounts OCR ran together where no amount was read: "17.4517.45"."""
    found = []
    for m in _GLUED_PAIR.finditer(fixed):
        if _free(taken, m.start(), m.end()):
            note = f"split glued {text[m.start() : m.end()]!r}"
            for part in ("a", "b"):
                value = Decimal(m[part].replace(",", "."))
                found.append(Amount(value, True, None, m.start(part), m.end(part), note))
    return found


def without_decimal_point(amount: Amount) -> Decimal | None:
    """The value if OCR lost its decimal point ("6413" -> 64.13), for whole numbers of three
    digits or more; None for anything else. Whether that reading is right is for the caller
    to check against the other amounts of the page."""
    if amount.has_decimals or amount.value < 100 or amount.value != amount.value.to_integral_value():
        return None
    return amount.value / 100
