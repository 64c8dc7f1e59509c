"""Reading typed values out of printed text: dates, amounts, currencies, quantities.

Dates: ISO (2026-03-15), numeric with ``.`` ``/`` ``-`` and 2- or 4-digit years, and month
names in English, German, French, Dutch, Spanish, Italian and Malay, full or cut to three
letters or more ("15 March 2026", "4. März 2024", "4 de marzo de 2024", "1er mars 2024",
"Mar 15, 2026", "15-Mar-26", "16Jun2018"). OCR glues times to dates: "20/06/201818:07" is
2018 at 18:07 and "23/06/1812:46" is 2018 at 12:46 (a year is 4 digits only when they are a
plausible year and what follows is no glued time, see ``_year_digits``). Years outside
1900-2099 are no dates. A numeric date with ``.`` is always day-first (no locale prints
month-first with dots). For ``/`` and ``-`` the order comes from ``day_first``:
``infer_day_first`` decides it per page, first from the page's own dates (a first number
above 12 proves day-first, a second number above 12 proves month-first), then from the
currency (USD: month-first; anything else: day-first). ``DateMatch.ambiguous`` says when
that order decided the date.

Amounts: "1,234.56", "1.234,56", "1'234.56", "1 234,56", "$1,234.56", "EUR 1,234.56",
"1.234,56 €", "(12.00)", "-12.00", "12.00-". The last separator followed by one or two
digits is the decimal mark; the others group thousands, and a number never uses one mark
for both ("9.400.00" is two amounts glued by OCR, see ``amounts``). Numbers glued to ``%``,
or that are parts of dates and times, are not amounts.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CURRENCY_CODES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "JPY",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "CNY",
        "INR",
        "SGD",
        "HKD",
        "ZAR",
        "MXN",
        "BRL",
    ]
)
_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "$": "USD",
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "Fr.": "CHF",
    "SFr.": "CHF",
    "SFr": "CHF",
}
_CODES = "|".join(sorted(CURRENCY_CODES))

# Month names as printed in English, German, French, Dutch, Spanish, Italian and Malay. A
# month word is any prefix of at least three letters of one of these that names one month
# only ("Sept", "Mär", "déc"); "jui" (juin or juillet?) names none.
_MONTH_NAMES = (
    ("january", "januar", "janvier", "januari", "enero", "gennaio", "jänner", "janv"),
    ("february", "februar", "février", "fevrier", "februari", "febrero", "febbraio", "févr"),
    ("march", "märz", "maerz", "mrz", "mars", "maart", "mrt", "marzo", "mac"),
    ("april", "avril", "abril", "aprile"),
    ("may", "mai", "mei", "mayo", "maggio"),
    ("june", "juni", "juin", "junio", "giugno", "jun"),
    ("july", "juli", "juillet", "julio", "luglio", "julai", "juil"),
    ("august", "août", "aout", "augustus", "agosto", "ogos"),
    ("september", "septembre", "septiembre", "settembre"),
    ("october", "oktober", "octobre", "octubre", "ottobre"),
    ("november", "novembre", "noviembre"),
    ("december", "dezember", "décembre", "decembre", "diciembre", "dicembre", "disember"),
)


def _month_table() -> dict[str, int]:
    claims: dict[str, set[int]] = {}
    for number, names in enumerate(_MONTH_NAMES, start=1):
        for name in names:
            for size in range(3, len(name) + 1):
                claims.setdefault(name[:size], set()).add(number)
    return {word: next(iter(months)) for word, months in claims.items() if len(months) == 1}


_MONTHS = _month_table()
# Years a document date may have: a 4-digit number outside this range is no year.
YEAR_MIN, YEAR_MAX = 1900, 2099
_TIME = re.compile(r"\d{1,2}:\d{2}")
_MONTH_WORD = r"(?P<mon>[A-Za-zÀ-ÿ]{3,10})\.?"
_DATE_PATTERNS = (
    ("ymd", re.compile(r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)")),
    # The year takes every digit that follows: OCR glues times to dates ("20/06/201818:07").
    ("num", re.compile(r"(?<!\d)(?<!\d[.,])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d+)")),
    (
        "dmy",
        re.compile(
            r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th|er|º)?\.?[\s/.-]*(?:de\s+)?"
            + _MONTH_WORD
            + r",?[\s/.-]*(?:de\s+)?(?P<y>\d+)"
        ),
    ),
    (
        "mdy",
        re.compile(
            r"(?<![A-Za-zÀ-ÿ])"
            + _MONTH_WORD
            + r"[\s-]*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[\s-]*(?P<y>\d{4})(?!\d)"
        ),
    ),
)
_NUMBER = (
    r"(?<![\d.,/'’])(?<!\d:)"
    r"(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+,\d{1,2}"  # 1 234,56 (space groups)
    r"|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"  # 1,234.56
    r"|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?"  # 1.234,56
    r"|\d{1,3}(?:['’]\d{3})+(?:[.,]\d{1,2})?"  # 1'234.56
    r"|\d+(?:[.,]\d{1,2})?)"  # 1234.56 12,5 7
    r"(?![\d])(?![.,:/]\d)(?!\s?%)"
)
_AMOUNT = re.compile(
    r"(?P<open>\()?(?P<pre_sign>[-−])?\s?"
    r"(?P<pre_cur>US\$|C\$|A\$|SFr\.?|Fr\.|[$€£¥]|(?<![A-Za-z])(?:" + _CODES + r"))?\s?"
    r"(?P<sign>[-−])?" + _NUMBER + r"\s?(?P<post_cur>[€£¥$]|(?:" + _CODES + r")(?![A-Za-z]))?"
    r"(?P<post_sign>-(?!\d))?(?P<close>\))?"
)
_PLAIN_NUMBER = re.compile(r"(?<![\d.,])[-−]?\d+(?:[.,]\d+)?(?![\d])(?![.,]\d)")


@dataclass(frozen=True)
class DateMatch:
    """A date found in text, where it was, and how it was written."""

    value: dt.date
    start: int
    end: int
    # Day and month were both 12 or less: their order came from ``day_first``.
    ambiguous: bool = False
    two_digit_year: bool = False
    month_name: bool = False


@dataclass(frozen=True)
class AmountMatch:
    """An amount found in text, the currency printed next to it (if any), and where."""

    value: Decimal
    currency: str | None
    start: int
    end: int
    has_decimals: bool


def _year(text: str) -> int:
    """Two-digit years pivot as POSIX strptime does: 69-99 -> 19xx, 00-68 -> 20xx."""
    year = int(text)
    if year >= 100:
        return year
    return year + 1900 if year >= 69 else year + 2000


def _year_digits(run: str, rest: str) -> int | None:
    """How many digits of ``run`` (all the digits after the last separator) are the year.

    Four when they make a plausible year that ends the digits or is followed by a glued time
    ("201818:07" is 2018 at 18:07); two when those end the digits or a time follows ("1812:46"
    is '18 at 12:46: a year never runs straight into ":46"). None when neither reads.
    """
    glued = run + rest
    plausible = len(run) >= 4 and YEAR_MIN <= int(run[:4]) <= YEAR_MAX and glued[4:5] != ":"
    if plausible and (len(run) == 4 or _TIME.match(glued[4:])):
        return 4
    if len(run) == 2 or (len(run) > 2 and _TIME.match(glued[2:])):
        return 2
    return None


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def month_number(word: str) -> int | None:
    """The month a word names in any of the known languages ("Mär" -> 3), else None."""
    return _MONTHS.get(word.lower().rstrip("."))


def find_dates(text: str, *, day_first: bool = True) -> list[DateMatch]:
    """Every date in ``text``, left to right (see the module docstring for the rules)."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            end = m.end()
            if kind in ("num", "dmy"):
                size = _year_digits(m["y"], text[m.end() :])
                if size is None:
                    continue
                end = m.start("y") + size
                year_text = m["y"][:size]
            else:
                year_text = m["y"]
            if any(m.start() < stop and start < end for start, stop in taken):
                continue
            value: dt.date | None = None
            ambiguous = False
            if kind == "ymd":
                value = _make_date(int(year_text), int(m["m"]), int(m["d"]))
            elif kind == "num":
                a, b = int(m["a"]), int(m["b"])
                first_is_day = day_first if m["sep"] != "." else True
                ambiguous = m["sep"] != "." and a <= 12 and b <= 12 and a != b
                if a > 12:
                    first_is_day = True
                elif b > 12:
                    first_is_day = False
                day, month = (a, b) if first_is_day else (b, a)
                value = _make_date(_year(year_text), month, day)
            else:
                named = month_number(m["mon"])
                if named is not None:
                    value = _make_date(_year(year_text), named, int(m["d"]))
            if value is not None:
                found.append(
                    DateMatch(
                        value,
                        m.start(),
                        end,
                        ambiguous=ambiguous,
                        two_digit_year=len(year_text) == 2,
                        month_name=kind in ("dmy", "mdy"),
                    )
                )
                taken.append((m.start(), end))
    return sorted(found, key=lambda d: d.start)


def parse_date(text: str, *, day_first: bool = True) -> dt.date | None:
    """The first date in ``text``, or None."""
    dates = find_dates(text, day_first=day_first)
    return dates[0].value if dates else None


def infer_day_first(texts: Iterable[str], currency: str | None = None) -> bool:
    """Whether ambiguous numeric dates (03/04/2026) on a page are day-first.

    The page's unambiguous numeric dates decide (a majority of the proofs); without any,
    USD means month-first and every other currency (or none) day-first.
    """
    votes = Counter[bool]()
    pattern = _DATE_PATTERNS[1][1]
    for text in texts:
        for m in pattern.finditer(text):
            if _year_digits(m["y"], text[m.end() :]) is None:
                continue
            a, b = int(m["a"]), int(m["b"])
            if m["sep"] == "." or a > 12 >= b:
                votes[True] += 1
            elif b > 12 >= a:
                votes[False] += 1
    if votes[True] != votes[False]:
        return votes[True] > votes[False]
    return currency != "USD"


def _to_decimal(number: str) -> tuple[Decimal, bool]:
    digits = re.sub(r"[ \u00a0\u202f'’]", "", number)
    decimal_mark = re.search(r"[.,](\d{1,2})$", digits)
    if decimal_mark:
        whole = re.sub(r"[.,]", "", digits[: decimal_mark.start()])
        return Decimal(f"{whole}.{decimal_mark.group(1)}"), True
    return Decimal(re.sub(r"[.,]", "", digits)), False


def find_amounts(text: str) -> list[AmountMatch]:
    """Every amount in ``text``, left to right, with the currency printed beside it."""
    found = []
    for m in _AMOUNT.finditer(text):
        try:
            value, has_decimals = _to_decimal(m["num"])
        except InvalidOperation:
            continue
        negative = bool(m["pre_sign"] or m["sign"] or m["post_sign"] or (m["open"] and m["close"]))
        symbol = m["pre_cur"] or m["post_cur"]
        currency = None
        if symbol:
            currency = symbol if symbol in CURRENCY_CODES else _SYMBOLS.get(symbol)
        found.append(AmountMatch(-value if negative else value, currency, m.start(), m.end(), has_decimals))
    return found


def parse_amount(text: str) -> Decimal | None:
    """The last amount in ``text`` (labels put the amount last: "VAT 20%: 12.00"), or None."""
    amounts = find_amounts(text)
    return amounts[-1].value if amounts else None


def parse_number(text: str) -> Decimal | None:
    """A plain quantity ("2", "1.5", "1,5"), the first in ``text``, or None."""
    m = _PLAIN_NUMBER.search(text)
    if not m:
        return None
    return Decimal(m.group(0).replace(",", ".").replace("−", "-"))


@dataclass(frozen=True)
class CurrencyEvidence:
    """A currency code and how sure the page makes us of it."""

    code: str
    confidence: float
    line_index: int


def detect_currency(texts: Iterable[str]) -> CurrencyEvidence | None:
    """The page's currency: ISO codes count first (most frequent wins), then symbols
    (€ EUR, £ GBP, ¥ JPY, Fr. CHF; a bare ``$`` means USD, with less confidence)."""
    codes: Counter[str] = Counter()
    symbols: Counter[tuple[str, bool]] = Counter()
    first_line: dict[str, int] = {}
    for index, text in enumerate(texts):
        for m in re.finditer(r"(?<![A-Za-z])(" + _CODES + r")(?![A-Za-z])", text):
            codes[m.group(1)] += 1
            first_line.setdefault(m.group(1), index)
        for m in re.finditer(r"US\$|C\$|A\$|SFr\.?|(?<![A-Za-z])Fr\.|[€£¥$]", text):
            code = _SYMBOLS[m.group(0)]
            symbols[code, m.group(0) == "$"] += 1
            first_line.setdefault(code, index)
    if codes:
        code = codes.most_common(1)[0][0]
        return CurrencyEvidence(code, 1.0, first_line[code])
    if symbols:
        (code, bare_dollar), _ = symbols.most_common(1)[0]
        return CurrencyEvidence(code, 0.7 if bare_dollar else 0.9, first_line[code])
    return None


def snake_case(label: str) -> str:
    """A label as a JSON key: "Invoice No." -> "invoice_no", "Téléphone" -> "telephone"."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return key or "field"
