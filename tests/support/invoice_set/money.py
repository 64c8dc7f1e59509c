"""How amounts, quantities, percentages and dates are written in each locale.

The truth files hold normalised values (``"1234.56"``, ``2024-03-04``); the documents show
them the way an invoice from that country would. A locale here is a writing convention,
not a country: an English invoice billed in euros uses ``en-IE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

CENT = Decimal("0.01")

MoneyStyle = Literal["symbol", "code_before", "code_after", "plain"]
DateStyle = Literal["numeric", "long", "short", "iso", "dashed_short"]

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "AUD": "A$", "CAD": "C$"}


def cents(value: Decimal) -> Decimal:
    """Round to the cent the way invoices do (half up, not banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Locale:
    """One writing convention: separators, date patterns, month names, symbol position."""

    tag: str
    language: str
    decimal: str
    group: str
    numeric_date: str
    long_date: str
    months: tuple[str, ...]
    currency: str
    symbol_before: bool
    symbol_space: bool
    percent_space: bool

    def month(self, number: int) -> str:
        """The month's name as this locale writes it in a long date."""
        return self.months[number - 1]


def _months(names: str) -> tuple[str, ...]:
    """Twelve month names from one space-separated string (keeps the table below readable)."""
    return tuple(names.split())


_EN = _months("January February March April May June July August September October November December")
_DE = _months("Januar Februar März April Mai Juni Juli August September Oktober November Dezember")
_FR = _months("janvier février mars avril mai juin juillet août septembre octobre novembre décembre")
_NL = _months("januari februari maart april mei juni juli augustus september oktober november december")
_ES = _months("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre")
_IT = _months("gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre")

LOCALES: dict[str, Locale] = {
    loc.tag: loc
    for loc in (
        Locale("en-US", "en", ".", ",", "%m/%d/%Y", "{month} {day}, {year}", _EN, "USD", True, False, False),
        Locale("en-GB", "en", ".", ",", "%d/%m/%Y", "{day} {month} {year}", _EN, "GBP", True, False, False),
        Locale("en-IE", "en", ".", ",", "%d/%m/%Y", "{day} {month} {year}", _EN, "EUR", True, False, False),
        Locale("de-DE", "de", ",", ".", "%d.%m.%Y", "{day}. {month} {year}", _DE, "EUR", False, True, True),
        Locale(
            "de-AT",
            "de",
            ",",
            ".",
            "%d.%m.%Y",
            "{day}. {month} {year}",
            ("Jänner", *_DE[1:]),
            "EUR",
            True,
            True,
            True,
        ),
        Locale("de-CH", "de", ".", "'", "%d.%m.%Y", "{day}. {month} {year}", _DE, "CHF", True, True, True),
        Locale("fr-FR", "fr", ",", " ", "%d/%m/%Y", "{day} {month} {year}", _FR, "EUR", False, True, True),
        Locale("nl-NL", "nl", ",", ".", "%d-%m-%Y", "{day} {month} {year}", _NL, "EUR", True, True, False),
        Locale(
            "es-ES", "es", ",", ".", "%d/%m/%Y", "{day} de {month} de {year}", _ES, "EUR", False, True, True
        ),
        Locale("it-IT", "it", ",", ".", "%d/%m/%Y", "{day} {month} {year}", _IT, "EUR", True, True, False),
    )
}


def number(value: Decimal, loc: Locale, places: int = 2, *, grouped: bool = True) -> str:
    """``value`` with the locale's separators: 1,234.56 / 1.234,56 / 1 234,56 / 1'234.56."""
    quantum = Decimal(1).scaleb(-places)
    value = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    if grouped:
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = loc.group.join([whole, *groups])
    return sign + whole + (loc.decimal + fraction if places else "")


def money(value: Decimal, currency: str, loc: Locale, style: MoneyStyle = "symbol") -> str:
    """An amount with its currency the way the locale writes it (``€ 1.234,56``, ``$1,234.56``)."""
    figure = number(value, loc)
    if style == "plain":
        return figure
    if style == "code_before":
        return f"{currency} {figure}"
    if style == "code_after":
        return f"{figure} {currency}"
    symbol = SYMBOLS.get(currency, currency)
    space = " " if (loc.symbol_space or len(symbol) > 1) else ""
    if loc.symbol_before:
        # A minus goes before the symbol: -€12.00, not €-12.00.
        return f"-{symbol}{space}{figure[1:]}" if figure.startswith("-") else f"{symbol}{space}{figure}"
    return f"{figure}{space or ' '}{symbol}"


def quantity(value: Decimal, loc: Locale, *, places: int | None = None) -> str:
    """A quantity: whole numbers without decimals unless ``places`` asks for them."""
    if places is None:
        places = 0 if value == value.to_integral_value() else len(str(value.normalize()).partition(".")[2])
    return number(value, loc, places)


def percent(rate: Decimal, loc: Locale) -> str:
    """A tax rate as printed: ``19 %`` in German and French, ``21%`` in Dutch and English."""
    figure = quantity(rate * 100, loc)
    return f"{figure} %" if loc.percent_space else f"{figure}%"


def date(day: dt.date, loc: Locale, style: DateStyle = "numeric") -> str:
    """A date in one of the locale's ways: 04.03.2024, 4 March 2024, 4 Mar 2024, 2024-03-04."""
    if style == "iso":
        return day.isoformat()
    if style == "numeric":
        return day.strftime(loc.numeric_date)
    if style == "dashed_short":
        return f"{day.day:02d}-{loc.month(day.month)[:3].capitalize()}-{day.year}"
    name = loc.month(day.month)
    if style == "short" and loc.language == "en":
        name = name[:3]
    day_text = "1er" if (loc.language == "fr" and day.day == 1) else str(day.day)
    return loc.long_date.format(day=day_text, month=name, year=day.year)
