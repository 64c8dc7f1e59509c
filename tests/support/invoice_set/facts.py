"""What an invoice says, before it is drawn: parties, lines, dates, and the sums they make.

Every sum a layout prints is computed here once, so the document and its truth file can
never disagree. The arithmetic follows invoicing practice: line amounts are rounded to the
cent, tax is computed per rate on the rounded net base, and gross-priced bills (restaurant,
hotel) take the tax out of the gross total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.support.invoice_set.money import cents


def _unit_price(value: Decimal) -> str:
    """A unit price with at least two decimals, more only where printed (``0.2451`` per kWh)."""
    places = max(2, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{value:.{places}f}"


@dataclass
class Party:
    """A seller or buyer: its legal name, postal address lines, and the identifiers it prints."""

    name: str
    address: list[str]
    country: str
    brand: str = ""
    vat_id: str | None = None
    contact: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def address_text(self) -> str:
        """The postal address as one line, the form the truth file uses."""
        return ", ".join(self.address)


@dataclass
class Line:
    """One billed line. ``rate`` is its tax rate (0.19 for 19 %)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    rate: Decimal
    unit: str = ""
    code: str = ""
    detail: str = ""
    day: dt.date | None = None

    @property
    def amount(self) -> Decimal:
        """Quantity times unit price, rounded to the cent."""
        return cents(self.quantity * self.unit_price)


@dataclass
class Adjustment:
    """A discount (negative) or charge (positive) printed in the totals block, not as a line.

    ``before_subtotal`` adjustments are part of the printed subtotal (``Summe Positionen``,
    ``Rabatt 3 %``, ``Nettobetrag``); the others sit between the subtotal and the tax
    (``Subtotal``, ``Shipping``, ``Discount``, ``Tax``, ``Total``).
    """

    key: str
    amount: Decimal
    before_subtotal: bool
    percent: Decimal | None = None


@dataclass
class TaxRow:
    """One tax rate's base and tax, as a VAT breakdown prints it."""

    rate: Decimal
    base: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        """Base plus tax."""
        return self.base + self.tax


@dataclass
class InvoiceFacts:
    """Everything one invoice states; the layouts draw it, :meth:`truth` normalises it."""

    vendor: Party
    customer: Party | None
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    currency: str
    lines: list[Line]
    adjustments: list[Adjustment] = field(default_factory=list)
    prices_include_tax: bool = False
    paid: Decimal = Decimal(0)
    dates: dict[str, dt.date] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    terms_days: int = 30
    # Fields a layout does not print are null in the truth file.
    subtotal_printed: bool = True
    tax_printed: bool = True
    customer_printed: bool = True

    @property
    def lines_total(self) -> Decimal:
        """The sum of the line amounts."""
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def rates(self) -> list[Decimal]:
        """The distinct tax rates of the lines, highest first."""
        return sorted({line.rate for line in self.lines}, reverse=True)

    @property
    def pre_adjustments(self) -> list[Adjustment]:
        """Adjustments that are part of the printed subtotal."""
        return [a for a in self.adjustments if a.before_subtotal]

    @property
    def post_adjustments(self) -> list[Adjustment]:
        """Adjustments printed between the subtotal and the tax."""
        return [a for a in self.adjustments if not a.before_subtotal]

    @property
    def tax_rows(self) -> list[TaxRow]:
        """The tax per rate: on the net base, or taken out of the gross for gross-priced bills."""
        if self.adjustments and len(self.rates) > 1:
            raise ValueError("adjustments are only generated on single-rate invoices")
        extra = sum((a.amount for a in self.adjustments), Decimal(0))
        rows = []
        for rate in self.rates:
            amount = sum((line.amount for line in self.lines if line.rate == rate), Decimal(0))
            amount += extra if len(self.rates) == 1 else 0
            if self.prices_include_tax:
                tax = cents(amount * rate / (1 + rate))
                rows.append(TaxRow(rate, amount - tax, tax))
            else:
                rows.append(TaxRow(rate, amount, cents(amount * rate)))
        return rows

    @property
    def subtotal(self) -> Decimal:
        """The printed pre-tax figure: lines plus adjustments before it (net of tax if gross-priced)."""
        if self.prices_include_tax:
            return self.total - self.tax
        return self.lines_total + sum((a.amount for a in self.pre_adjustments), Decimal(0))

    @property
    def tax(self) -> Decimal:
        """All tax on the invoice."""
        return sum((row.tax for row in self.tax_rows), Decimal(0))

    @property
    def total(self) -> Decimal:
        """The invoice total including tax (before any prepayment is deducted)."""
        if self.prices_include_tax:
            return self.lines_total + sum((a.amount for a in self.adjustments), Decimal(0))
        return self.subtotal + sum((a.amount for a in self.post_adjustments), Decimal(0)) + self.tax

    @property
    def balance(self) -> Decimal:
        """What is still to pay after a prepayment."""
        return self.total - self.paid

    def truth(self) -> dict[str, Any]:
        """The invoice schema's fields, normalised: ISO dates, amounts as ``"1234.56"``."""
        return {
            "vendor_name": self.vendor.name,
            "vendor_address": self.vendor.address_text,
            "customer_name": self.customer.name if self.customer and self.customer_printed else None,
            "invoice_number": self.number,
            "invoice_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "currency": self.currency,
            "subtotal": f"{self.subtotal:.2f}" if self.subtotal_printed else None,
            "tax_amount": f"{self.tax:.2f}" if self.tax_printed else None,
            "total_amount": f"{self.total:.2f}",
            "line_items": [
                {
                    "description": line.description,
                    "quantity": float(line.quantity),
                    "unit_price": _unit_price(line.unit_price),
                    "amount": f"{line.amount:.2f}",
                }
                for line in self.lines
            ],
        }
