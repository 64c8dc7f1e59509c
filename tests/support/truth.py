"""Ground truth for the example documents: what an invoice or a receipt says and how it is
printed (labels, formats, layout), generated deterministically from a seed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")

# (name, address lines, currency, amount style, date formats that locale uses)
_VENDORS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Nordlicht Software GmbH", ("Hafenstrasse 12", "20457 Hamburg", "Germany"), "EUR"),
    ("Atelier Moreau SARL", ("18 Rue des Lilas", "69003 Lyon", "France"), "EUR"),
    ("Blue Harbor Consulting LLC", ("410 Market Street, Suite 300", "San Francisco, CA 94111"), "USD"),
    ("Granite Peak Supplies Inc.", ("77 Industrial Way", "Denver, CO 80216"), "USD"),
    ("Thames Print & Design Ltd", ("5 Wharf Road", "London N1 7GR", "United Kingdom"), "GBP"),
    ("Alpenblick Treuhand AG", ("Bahnhofstrasse 9", "8001 Zurich", "Switzerland"), "CHF"),
)
_CUSTOMERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kestrel Logistics BV", ("Keizersgracht 221", "1016 DV Amsterdam")),
    ("Oakridge Dental Group", ("1200 Elm Avenue", "Austin, TX 78701")),
    ("Meridian Hotels plc", ("22 Queen Street", "Edinburgh EH2 1JX")),
    ("Sunfield Organics GmbH", ("Lindenweg 4", "80331 Munich")),
    ("Harbourview Architects", ("9 Pier Lane", "Bristol BS1 4RN")),
    ("Vega Robotics SA", ("Avenue de la Gare 15", "1003 Lausanne")),
)
_PRODUCTS: tuple[tuple[str, int, int], ...] = (  # description, min and max unit price (units)
    ("Software licence (annual)", 120, 900),
    ("Consulting hours", 80, 220),
    ("Cloud hosting - March", 40, 400),
    ("Onboarding workshop", 300, 1500),
    ("Support plan Gold", 150, 600),
    ("Printed brochures A5", 1, 4),
    ("Office chairs ErgoPlus", 180, 420),
    ("Network switch 24-port", 140, 380),
    ("Data migration service", 500, 2500),
    ("Travel expenses", 30, 300),
    ("Design review session", 90, 260),
    ("Laptop stand aluminium", 25, 70),
    ("USB-C docking station", 110, 260),
    ("Translation services", 60, 180),
    ("Security audit", 900, 4000),
    ("Training materials", 15, 60),
)
_SHOPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("CAFE LUNA", ("Marktplatz 3", "50667 Koeln"), "EUR"),
    ("GREEN GROCER", ("12 High Street", "Oxford OX1 4AH"), "GBP"),
    ("CORNER MARKET", ("88 Main St", "Portland, OR 97205"), "USD"),
    ("BAECKEREI SONNE", ("Seestrasse 41", "6004 Luzern"), "CHF"),
    ("BISTRO CENTRAL", ("5 Place Bellecour", "69002 Lyon"), "EUR"),
)
_SHOP_ITEMS: tuple[tuple[str, int, int], ...] = (  # item, min and max price in cents
    ("Cappuccino", 250, 450),
    ("Croissant", 120, 290),
    ("Bagel", 180, 350),
    ("Orange juice", 220, 480),
    ("Apples 1kg", 199, 399),
    ("Bread loaf", 250, 520),
    ("Mineral water", 90, 250),
    ("Chocolate bar", 99, 299),
    ("Sandwich", 450, 850),
    ("Salad bowl", 650, 1190),
    ("Tea", 180, 360),
    ("Muffin", 190, 340),
)
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
_DATE_FORMATS = {  # strftime-like patterns each currency's locale plausibly prints
    "EUR": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "USD": ("%m/%d/%Y", "%b %d, %Y", "%Y-%m-%d"),
    "GBP": ("%d/%m/%Y", "%d %B %Y"),
    "CHF": ("%d.%m.%Y",),
}
_AMOUNT_STYLES = {"EUR": ("eu", "us"), "USD": ("us",), "GBP": ("us",), "CHF": ("ch",)}
_NUMBER_LABELS = ("Invoice No.", "Invoice #", "Invoice Number")
_TOTAL_LABELS = ("Total", "Total Due", "Amount Due")
_TAX_RATES = {"EUR": ("0.19", "0.20", "0.07"), "USD": ("0.0825", "0.06"), "GBP": ("0.20",), "CHF": ("0.081",)}


@dataclass(frozen=True)
class LineItemTruth:
    """One billed or bought line as printed."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceTruth:
    """What an invoice says, plus how it was printed (label wording, formats, layout)."""

    seed: int
    vendor_name: str
    vendor_address: tuple[str, ...]
    customer_name: str
    customer_address: tuple[str, ...]
    invoice_number: str
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    line_items: tuple[LineItemTruth, ...]
    subtotal: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    date_format: str
    amount_style: str
    number_label: str
    total_label: str
    layout: str  # "inline": "Label: value"; "stacked": value under the label

    def schema_values(self) -> dict[str, Any]:
        """The values as the ``invoice`` schema expects them (JSON-native)."""
        return {
            "vendor_name": self.vendor_name,
            "vendor_address": ", ".join(self.vendor_address),
            "customer_name": self.customer_name,
            "invoice_number": self.invoice_number,
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "currency": self.currency,
            "subtotal": float(self.subtotal),
            "tax_amount": float(self.tax_amount),
            "total_amount": float(self.total_amount),
            "line_items": [_item_values(i) for i in self.line_items],
        }


@dataclass(frozen=True)
class ReceiptTruth:
    """What a till receipt says."""

    seed: int
    merchant_name: str
    merchant_address: tuple[str, ...]
    date: dt.date
    time: str
    currency: str
    line_items: tuple[LineItemTruth, ...]
    subtotal: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    date_format: str
    amount_style: str

    def schema_values(self) -> dict[str, Any]:
        """The values as the ``receipt`` schema expects them (JSON-native)."""
        return {
            "merchant_name": self.merchant_name,
            "merchant_address": ", ".join(self.merchant_address),
            "date": self.date.isoformat(),
            "currency": self.currency,
            "total_amount": float(self.total_amount),
            "tax_amount": float(self.tax_amount),
            "line_items": [_item_values(i) for i in self.line_items],
        }


def _item_values(item: LineItemTruth) -> dict[str, Any]:
    return {
        "description": item.description,
        "quantity": float(item.quantity),
        "unit_price": float(item.unit_price),
        "amount": float(item.amount),
    }


def format_amount(value: Decimal, style: str) -> str:
    """``value`` with two decimals in a locale style: us 1,234.56; eu 1.234,56; ch 1'234.56;
    fr 1 234,56. Negative values get a leading minus."""
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value).quantize(CENT):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    thousands, decimal = {"us": (",", "."), "eu": (".", ","), "ch": ("'", "."), "fr": (" ", ",")}[style]
    return f"{sign}{thousands.join(groups)}{decimal}{frac}"


def format_money(value: Decimal, currency: str, style: str, placement: str) -> str:
    """An amount with its currency: placement is prefix-symbol, suffix-symbol or code."""
    number = format_amount(value, style)
    if placement == "code" or currency == "CHF":
        return f"{currency} {number}"
    if placement == "suffix":
        return f"{number} {_SYMBOLS[currency]}"
    return f"{_SYMBOLS[currency]}{number}"


def format_date(value: dt.date, pattern: str) -> str:
    """``value`` printed with a strftime pattern, without locale surprises (English names)."""
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    month = months[value.month - 1]
    pattern = pattern.replace("%B", month).replace("%b", month[:3])
    return value.strftime(pattern)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def make_invoice_truth(seed: int) -> InvoiceTruth:
    """A random but consistent invoice: subtotal = sum of lines, tax = rate x subtotal."""
    rng = random.Random(seed)
    vendor, address, currency = rng.choice(_VENDORS)
    customer, customer_address = rng.choice(_CUSTOMERS)
    items = []
    for description, low, high in rng.sample(_PRODUCTS, rng.randint(1, 15)):
        hours = description.startswith(("Consulting", "Translation"))
        quantity = Decimal(rng.randint(1, 16)) / 2 if hours else Decimal(rng.randint(1, 12))
        unit = _money(rng, low, high)
        items.append(
            LineItemTruth(description, quantity, unit, (quantity * unit).quantize(CENT, ROUND_HALF_UP))
        )
    subtotal = sum((i.amount for i in items), Decimal("0"))
    rate = Decimal(rng.choice(_TAX_RATES[currency]))
    tax = (subtotal * rate).quantize(CENT, ROUND_HALF_UP)
    issued = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 500))
    prefix = rng.choice(("INV-", "RE-", "", "F"))
    number = (
        f"{prefix}{issued.year}-{rng.randint(1, 9999):04d}" if prefix else str(rng.randint(10000, 999999))
    )
    return InvoiceTruth(
        seed=seed,
        vendor_name=vendor,
        vendor_address=address,
        customer_name=customer,
        customer_address=customer_address,
        invoice_number=number,
        invoice_date=issued,
        due_date=issued + dt.timedelta(days=rng.choice((7, 14, 30, 45, 60))),
        currency=currency,
        line_items=tuple(items),
        subtotal=subtotal,
        tax_rate=rate,
        tax_amount=tax,
        total_amount=subtotal + tax,
        date_format=rng.choice(_DATE_FORMATS[currency]),
        amount_style=rng.choice(_AMOUNT_STYLES[currency]),
        number_label=rng.choice(_NUMBER_LABELS),
        total_label=rng.choice(_TOTAL_LABELS),
        layout=rng.choice(("inline", "stacked")),
    )


def make_receipt_truth(seed: int) -> ReceiptTruth:
    """A random but consistent till receipt (tax added on top of the items)."""
    rng = random.Random(seed)
    shop, address, currency = rng.choice(_SHOPS)
    items = []
    for name, low, high in rng.sample(_SHOP_ITEMS, rng.randint(1, 7)):
        quantity = Decimal(rng.choice((1, 1, 1, 2, 3)))
        unit = Decimal(rng.randint(low, high)) / 100
        items.append(LineItemTruth(name, quantity, unit, quantity * unit))
    subtotal = sum((i.amount for i in items), Decimal("0"))
    rate = Decimal(rng.choice(_TAX_RATES[currency]))
    tax = (subtotal * rate).quantize(CENT, ROUND_HALF_UP)
    formats = [f for f in _DATE_FORMATS[currency] if "%B" not in f]
    return ReceiptTruth(
        seed=seed,
        merchant_name=shop,
        merchant_address=address,
        date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 500)),
        time=f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}",
        currency=currency,
        line_items=tuple(items),
        subtotal=subtotal,
        tax_rate=rate,
        tax_amount=tax,
        total_amount=subtotal + tax,
        date_format=rng.choice(formats),
        amount_style=rng.choice(_AMOUNT_STYLES[currency]),
    )
