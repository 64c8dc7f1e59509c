"""Reading golden-set values as people write them: dates, amounts, numbers, text.

A truth file may hold normalised values (ISO 8601 dates, JSON numbers) or values as printed
on the document (``"09/05/2018"``, ``"12 JUN 2018"``, ``"RM7.70"``, ``"1.234,56"``). These
functions turn either into one comparable form, or raise ``TruthValueError`` saying why a
value cannot be read: a golden set with an unreadable value is reported, never guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class TruthValueError(ValueError):
    """A value that cannot be read as its field's kind (the message says why)."""


class DateOrder(StrEnum):
    """The order of day, month and year in a golden set's all-numeric dates."""

    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


# English, German and French month names and their usual abbreviations (accents folded).
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "january", "janv", "janvier", "januar", "jaen", "janner"),
        ("feb", "february", "fev", "fevr", "fevrier", "februar"),
        ("mar", "march", "mars", "marz", "maerz", "mrz"),
        ("apr", "april", "avr", "avril"),
        ("may", "mai"),
        ("jun", "june", "juin", "juni"),
        ("jul", "july", "juil", "juillet", "juli"),
        ("aug", "august", "aout"),
        ("sep", "sept", "september", "septembre"),
        ("oct", "october", "okt", "oktober", "octobre"),
        ("nov", "november", "novembre"),
        ("dec", "december", "dez", "dezember", "decembre"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

# Words a printed date may carry that say nothing about which day it is.
_DATE_NOISE = frozenset(
    {"st", "nd", "rd", "th", "of", "er", "le", "den", "am"}
    | {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+\-Z]*)?\s*$")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?", re.IGNORECASE)
# Two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999.
_CENTURY_PIVOT = 70


def fold(text: str) -> str:
    """``text`` without accents, case-folded: the base every text comparison starts from."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _year(token: str) -> int:
    year = int(token)
    if len(token) <= 2:
        return 2000 + year if year < _CENTURY_PIVOT else 1900 + year
    return year


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise TruthValueError(
            f"{text!r} is not a valid date (year {year}, month {month}, day {day})"
        ) from None


def _numeric_date(parts: list[str], order: DateOrder | None, text: str) -> dt.date:
    first, second, third = parts
    if len(first) == 4:  # 2018-05-09, 2018/05/09: year first whatever the set's order
        return _make_date(int(first), int(second), int(third), text)
    if order is DateOrder.YMD:
        return _make_date(_year(first), int(second), int(third), text)
    if order is DateOrder.DMY:
        return _make_date(_year(third), int(second), int(first), text)
    if order is DateOrder.MDY:
        return _make_date(_year(third), int(first), int(second), text)
    # No order stated: only a date that reads one way (a part over 12) is accepted.
    readings = set()
    for day, month in ((first, second), (second, first)):
        try:
            readings.add(dt.date(_year(third), int(month), int(day)))
        except ValueError:
            continue
    if len(readings) == 1:
        return readings.pop()
    if not readings:
        raise TruthValueError(f"{text!r} is not a valid date")
    raise TruthValueError(
        f"{text!r} reads as day-month or month-day; state the golden set's date order "
        "(--date-order or date_order in _golden.json)"
    )


def parse_date(value: object, order: DateOrder | None = None) -> dt.date:
    """The date ``value`` means: an ISO 8601 string, a date, or a printed date.

    All-numeric dates (``09/05/2018``, ``09-05-18``, ``9.5.2018``) are read in ``order``;
    a four-digit first part is always year-first. Dates with a month name (``12 JUN 2018``,
    ``June 12, 2018``, ``12-Jun-18``) need no order. Without an order, a numeric date that
    reads both ways is a ``TruthValueError`` rather than a guess. Two-digit years 00-69 are
    20xx, 70-99 are 19xx. A time of day after the date is ignored.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise TruthValueError(f"{value!r} is not a date")
    text = value.strip()
    iso = _ISO_DATE.match(text)
    if iso:
        return _make_date(int(iso[1]), int(iso[2]), int(iso[3]), text)
    tokens = re.findall(r"[a-z]+|\d+", fold(_TIME.sub(" ", text)))
    tokens = [t for t in tokens if t not in _DATE_NOISE]
    months = [t for t in tokens if t.isalpha()]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) > 1 or any(m not in _MONTHS for m in months):
        raise TruthValueError(f"{text!r} is not a date")
    if months:
        if len(numbers) != 2:
            raise TruthValueError(f"{text!r} is not a date (a month name needs a day and a year)")
        # The year is the four-digit number, else the last one ("12 Jun 18", "Jun 12, 18").
        day, year = (numbers[1], numbers[0]) if len(numbers[0]) == 4 else (numbers[0], numbers[1])
        return _make_date(_year(year), _MONTHS[months[0]], int(day), text)
    if len(numbers) == 1 and len(numbers[0]) == 8:  # 20180509
        compact = numbers[0]
        return _make_date(int(compact[:4]), int(compact[4:6]), int(compact[6:]), text)
    if len(numbers) != 3 or any(len(n) > 4 for n in numbers):
        raise TruthValueError(f"{text!r} is not a date")
    return _numeric_date(numbers, order, text)


# Characters that group thousands and never mark decimals.
_GROUPING = re.compile(r"[\s\u00a0\u202f'’]")
_CURRENCY_AROUND = re.compile(r"^[^\d\-+.,]+|[^\d\-+.,]+$")
_AMOUNT_CORE = re.compile(r"^[.,]?\d[\d.,]*$")


def parse_amount(value: object) -> Decimal:
    """The number an amount means: a JSON number, or a printed amount.

    Currency codes and symbols around the number are dropped (``RM7.70``, ``7.70 EUR``,
    ``$1,234``). Spaces and apostrophes group thousands. When both ``.`` and ``,`` appear,
    the last one is the decimal mark (``1.234,56``, ``1,234.56``). A single kind of mark
    that appears more than once groups thousands (``1.234.567``); appearing once and
    followed by exactly three digits after a non-zero start it groups thousands (``1,234``,
    ``1.234``), otherwise it is the decimal mark (``7.70``, ``12,5``). A leading or trailing
    minus or parentheses make it negative.
    """
    if isinstance(value, bool):
        raise TruthValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        raise TruthValueError(f"{value!r} is not an amount")
    text = value.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    # Currency before or after the number (letters and symbols), then a sign, then any
    # currency the sign stood in front of ("-RM7.70").
    text = _CURRENCY_AROUND.sub("", text)
    if text.startswith("-") or text.endswith("-"):
        negative, text = True, text.strip("-")
    text = _CURRENCY_AROUND.sub("", text.lstrip("+"))
    core = _GROUPING.sub("", text)
    if not _AMOUNT_CORE.match(core) or not core[-1].isdigit():
        raise TruthValueError(f"{value!r} is not an amount")
    core = _decimal_point(core)
    try:
        amount = Decimal(core)
    except InvalidOperation:
        raise TruthValueError(f"{value!r} is not an amount") from None
    return -amount if negative else amount


def _decimal_point(core: str) -> str:
    """``core`` (digits, ``.`` and ``,``) with one ``.`` as decimal mark and no grouping."""
    dots, commas = core.count("."), core.count(",")
    if dots and commas:
        decimal = "." if core.rfind(".") > core.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        if core.count(decimal) > 1:
            raise TruthValueError(f"{core!r} has more than one decimal mark")
        return core.replace(grouping, "").replace(decimal, ".")
    mark = "." if dots else "," if commas else None
    if mark is None:
        return core
    if core.count(mark) > 1:
        return core.replace(mark, "")
    whole, fraction = core.split(mark)
    if len(fraction) == 3 and whole and not whole.startswith("0"):
        return whole + fraction
    return f"{whole or '0'}.{fraction}"


def parse_number(value: object) -> Decimal:
    """A plain number (quantity, rate): JSON numbers, or printed as ``parse_amount`` reads."""
    return parse_amount(value)


def text_tokens(value: str) -> list[str]:
    """The words and numbers of ``value``: accents folded, case-folded, punctuation dropped."""
    return re.findall(r"[^\W_]+", fold(value))


def compact_text(value: str) -> str:
    """``value`` reduced to its letters and digits (accents folded, case-folded): ``"S.H.H.
    Motor Sdn. Bhd."`` and ``"SHH MOTOR SDN BHD"`` compact to the same string."""
    return "".join(text_tokens(value))
