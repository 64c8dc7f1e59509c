"""What a layout is, and the drawing context every layout works with."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tests.support.invoice_set import compose, vocab
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts
from tests.support.invoice_set.money import DateStyle, Locale, MoneyStyle, date, money, percent, quantity
from tests.support.invoice_set.render import A4, BLACK, Canvas, Color


@dataclass
class Ctx:
    """One invoice being drawn: the canvas, what it says, how it writes numbers and dates."""

    canvas: Canvas
    facts: InvoiceFacts
    loc: Locale
    rng: random.Random
    money_style: MoneyStyle = "plain"
    date_style: DateStyle = "numeric"
    font: str = "helv"
    bold: str = "hebo"
    accent: Color = BLACK
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def language(self) -> str:
        """The invoice's language."""
        return self.loc.language

    def m(self, value: Decimal, style: MoneyStyle | None = None) -> str:
        """An amount in this invoice's currency style."""
        return money(value, self.facts.currency, self.loc, style or self.money_style)

    def d(self, day: dt.date, style: DateStyle | None = None) -> str:
        """A date in this invoice's date style."""
        return date(day, self.loc, style or self.date_style)

    def q(self, value: Decimal) -> str:
        """A quantity."""
        return quantity(value, self.loc)

    def pct(self, rate: Decimal) -> str:
        """A tax rate."""
        return percent(rate, self.loc)

    def label(self, key: str) -> str:
        """A shared label in the invoice's language."""
        return vocab.LABELS[key][self.language]


LineSpan = tuple[int, int]
"""The fewest and most item lines an invoice may have."""

Build = Callable[[random.Random, Locale, Names, LineSpan], InvoiceFacts]
Draw = Callable[[Ctx], None]


@dataclass(frozen=True)
class Layout:
    """A real-world invoice layout: how its facts are drawn up and how its pages look.

    ``build(rng, locale, names, span)`` invents the facts with a number of item lines in
    ``span`` (where the layout has item lines of its own choosing); ``draw(ctx)`` draws them.
    ``long_tables`` says whether it can run to several pages; ``splits`` says which splits use
    it (held-out-only layouts measure generalisation).
    """

    name: str
    title: str
    locales: tuple[str, ...]
    build: Build
    draw: Draw
    page: tuple[float, float] = A4
    long_tables: bool = True
    splits: tuple[str, ...] = ("dev", "heldout")


def cap(span: LineSpan, most: int) -> LineSpan:
    """``span`` limited to ``most`` lines (layouts whose invoices are short by nature)."""
    return min(span[0], most), min(span[1], most)


def basic_facts(
    rng: random.Random,
    loc: Locale,
    names: Names,
    *,
    vendor_country: str,
    customer_country: str | None = None,
    domain: str,
    lines: LineSpan,
    rate: Decimal,
    pattern: str,
    terms: tuple[int, ...] = (14, 30),
    currency: str | None = None,
    customer_person: bool = False,
    codes: bool = False,
    countries: bool = False,
    vendor_sector: bool = True,
) -> InvoiceFacts:
    """The usual invoice: a company billing a customer for a few lines at one tax rate."""
    issued = compose.issue_date(rng)
    days = rng.choice(terms)
    vendor = names.party(
        rng, vendor_country, language=loc.language, with_country=countries, sector=vendor_sector
    )
    customer = names.party(
        rng,
        customer_country or vendor_country,
        language=loc.language,
        person=customer_person,
        with_country=countries,
        avoid=vendor.name,
    )
    customer.contact = (
        names.person(rng, vocab.COUNTRY_LANGUAGE[customer.country]) if not customer_person else None
    )
    vendor.contact = names.person(rng, vocab.COUNTRY_LANGUAGE[vendor_country])
    vendor.ids["iban"] = compose.iban(rng, vendor_country)
    count = compose.item_count(rng, lines)
    items = compose.make_lines(rng, domain, loc.language, count, rate, with_codes=codes)
    delivered = issued - dt.timedelta(days=rng.randint(0, 12))
    return InvoiceFacts(
        vendor=vendor,
        customer=customer,
        number=compose.invoice_number(rng, pattern, issued),
        issue_date=issued,
        due_date=issued + dt.timedelta(days=days),
        currency=currency or loc.currency,
        lines=items,
        dates={"delivery": delivered, "order": delivered - dt.timedelta(days=rng.randint(2, 20))},
        refs={
            "customer_no": str(rng.randint(10000, 99999)),
            "order_no": f"{rng.choice(['PO', 'BE', 'ORD', '4500'])}{rng.randint(10000, 999999)}",
        },
        terms_days=days,
    )
