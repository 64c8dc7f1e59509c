"""The countries of the locales the layouts print in, with each country's standard VAT rate,
and the usual facts for an invoice from a seller in the locale's country."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts
from tests.support.invoice_set.layouts.base import LineSpan, basic_facts
from tests.support.invoice_set.money import Locale

COUNTRY = {
    "en-GB": "GB",
    "en-US": "US",
    "en-IE": "IE",
    "de-DE": "DE",
    "de-AT": "AT",
    "fr-FR": "FR",
    "nl-NL": "NL",
    "es-ES": "ES",
    "it-IT": "IT",
    "de-CH": "CH",
}
RATE = {
    "GB": "0.20",
    "US": "0.0725",
    "IE": "0.23",
    "DE": "0.19",
    "AT": "0.20",
    "FR": "0.20",
    "NL": "0.21",
    "ES": "0.21",
    "IT": "0.22",
    "CH": "0.081",
}


def country_facts(
    rng: random.Random,
    loc: Locale,
    names: Names,
    span: LineSpan,
    *,
    pattern: str,
    terms: tuple[int, ...],
    domain: str | None = None,
    codes: bool = False,
    countries: bool = False,
) -> InvoiceFacts:
    """The usual facts for an invoice in the locale's country at its standard VAT rate."""
    country = COUNTRY[loc.tag]
    return basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        lines=span,
        rate=Decimal(RATE[country]),
        domain=domain or rng.choice(["services", "goods"]),
        pattern=pattern,
        terms=terms,
        codes=codes,
        countries=countries,
    )
