"""Realistic example documents with their ground truth: invoices (PDF), receipts (scan, photo).

Every factory is deterministic for a seed, so tests derive expected values from the truth
objects instead of hard-coding them. ``python -m examples.generate`` rewrites the files in
``examples/`` and ``examples/truth.json``.

Fonts are PyMuPDF's built-in Base-14 faces (Nimbus clones shipped inside the wheel), so
nothing depends on the fonts of the machine.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
from PIL import Image, ImageChops, ImageFilter

CENT = Decimal("0.01")

# (name, address lines, currency, amount style, date formats that locale uses)
_VENDORS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Nordlicht Software GmbH", ("Hafenstrasse 12", "20457 Hamburg", "Germany"), "EUR"),
    ("Atelier Moreau SARL", ("18 Rue des Lilas", "69003 Lyon", "France"), "EUR"),
    ("Blue Harbor Consulting LLC", ("410 Market Street, Suite 300", "San Francisco, CA 94111"),
     "USD"),
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
    ("Software licence (annual)", 120, 900), ("Consulting hours", 80, 220),
    ("Cloud hosting - March", 40, 400), ("Onboarding workshop", 300, 1500),
    ("Support plan Gold", 150, 600), ("Printed brochures A5", 1, 4),
    ("Office chairs ErgoPlus", 180, 420), ("Network switch 24-port", 140, 380),
    ("Data migration service", 500, 2500), ("Travel expenses", 30, 300),
    ("Design review session", 90, 260), ("Laptop stand aluminium", 25, 70),
    ("USB-C docking station", 110, 260), ("Translation services", 60, 180),
    ("Security audit", 900, 4000), ("Training materials", 15, 60),
)
_SHOPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("CAFE LUNA", ("Marktplatz 3", "50667 Koeln"), "EUR"),
    ("GREEN GROCER", ("12 High Street", "Oxford OX1 4AH"), "GBP"),
    ("CORNER MARKET", ("88 Main St", "Portland, OR 97205"), "USD"),
    ("BAECKEREI SONNE", ("Seestrasse 41", "6004 Luzern"), "CHF"),
    ("BISTRO CENTRAL", ("5 Place Bellecour", "69002 Lyon"), "EUR"),
)
_SHOP_ITEMS: tuple[tuple[str, int, int], ...] = (  # item, min and max price in cents
    ("Cappuccino", 250, 450), ("Croissant", 120, 290), ("Bagel", 180, 350),
    ("Orange juice", 220, 480), ("Apples 1kg", 199, 399), ("Bread loaf", 250, 520),
    ("Mineral water", 90, 250), ("Chocolate bar", 99, 299), ("Sandwich", 450, 850),
    ("Salad bowl", 650, 1190), ("Tea", 180, 360), ("Muffin", 190, 340),
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
_TAX_RATES = {"EUR": ("0.19", "0.20", "0.07"), "USD": ("0.0825", "0.06"), "GBP": ("0.20",),
              "CHF": ("0.081",)}


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
    return {"description": item.description, "quantity": float(item.quantity),
            "unit_price": float(item.unit_price), "amount": float(item.amount)}


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
    thousands, decimal = {"us": (",", "."), "eu": (".", ","), "ch": ("'", "."),
                          "fr": (" ", ",")}[style]
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
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
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
        items.append(LineItemTruth(description, quantity, unit,
                                   (quantity * unit).quantize(CENT, ROUND_HALF_UP)))
    subtotal = sum((i.amount for i in items), Decimal("0"))
    rate = Decimal(rng.choice(_TAX_RATES[currency]))
    tax = (subtotal * rate).quantize(CENT, ROUND_HALF_UP)
    issued = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 500))
    prefix = rng.choice(("INV-", "RE-", "", "F"))
    number = f"{prefix}{issued.year}-{rng.randint(1, 9999):04d}" if prefix else str(
        rng.randint(10000, 999999))
    return InvoiceTruth(
        seed=seed, vendor_name=vendor, vendor_address=address, customer_name=customer,
        customer_address=customer_address, invoice_number=number, invoice_date=issued,
        due_date=issued + dt.timedelta(days=rng.choice((7, 14, 30, 45, 60))),
        currency=currency, line_items=tuple(items), subtotal=subtotal, tax_rate=rate,
        tax_amount=tax, total_amount=subtotal + tax,
        date_format=rng.choice(_DATE_FORMATS[currency]),
        amount_style=rng.choice(_AMOUNT_STYLES[currency]),
        number_label=rng.choice(_NUMBER_LABELS), total_label=rng.choice(_TOTAL_LABELS),
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
        seed=seed, merchant_name=shop, merchant_address=address,
        date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 500)),
        time=f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}", currency=currency,
        line_items=tuple(items), subtotal=subtotal, tax_rate=rate, tax_amount=tax,
        total_amount=subtotal + tax, date_format=rng.choice(formats),
        amount_style=rng.choice(_AMOUNT_STYLES[currency]),
    )


class _Sheet:
    """A page that writes Base-14 text left- or right-aligned at a baseline."""

    def __init__(self, doc: pymupdf.Document, width: float, height: float) -> None:
        self.page = doc.new_page(width=width, height=height)
        self.writer = pymupdf.TextWriter(self.page.rect)
        self.fonts = {name: pymupdf.Font(name) for name in ("helv", "hebo", "cour")}

    def text(self, x: float, y: float, s: str, *, font: str = "helv", size: float = 10,
             align: str = "left") -> None:
        f = self.fonts[font]
        if align == "right":
            x -= f.text_length(s, fontsize=size)
        elif align == "center":
            x -= f.text_length(s, fontsize=size) / 2
        self.writer.append((x, y), s, font=f, fontsize=size)

    def rule(self, y: float, x0: float, x1: float) -> None:
        self.page.draw_line((x0, y), (x1, y), color=(0.6, 0.6, 0.6), width=0.6)

    def finish(self) -> None:
        self.writer.write_text(self.page)


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _quantity_text(quantity: Decimal, style: str) -> str:
    text = f"{quantity.normalize():f}"
    return text.replace(".", ",") if style in ("eu", "fr") else text


def invoice_pdf(truth: InvoiceTruth, *, pages: int = 1) -> bytes:
    """The invoice as a digital A4 PDF; ``pages=2`` splits the line items over two pages
    (the table header is repeated, the totals are on the last page)."""
    if pages not in (1, 2):
        raise ValueError("pages must be 1 or 2")
    doc = pymupdf.open()
    style, cur = truth.amount_style, truth.currency
    placement = ("prefix", "suffix", "code")[truth.seed % 3]
    split = len(truth.line_items) if pages == 1 else max(1, (len(truth.line_items) + 1) // 2)
    chunks = [truth.line_items[:split], truth.line_items[split:]][:pages]
    for index, chunk in enumerate(chunks):
        sheet = _Sheet(doc, 595, 842)
        y = 70.0
        if index == 0:
            sheet.text(50, y, truth.vendor_name, font="hebo", size=18)
            sheet.text(545, y, "INVOICE", font="hebo", size=14, align="right")
            for line in truth.vendor_address:
                y += 14
                sheet.text(50, y, line)
            y = _invoice_header(sheet, truth, y + 40)
        else:
            sheet.text(50, y, f"{truth.vendor_name} - {truth.number_label} "
                       f"{truth.invoice_number} (continued)", size=9)
            y += 30
        y = _invoice_table(sheet, chunk, style, y)
        if index == len(chunks) - 1:
            rows = [("Subtotal", format_money(truth.subtotal, cur, style, placement)),
                    (f"Tax ({_percent(truth.tax_rate)})" if cur == "USD" else
                     f"VAT {_percent(truth.tax_rate)}",
                     format_money(truth.tax_amount, cur, style, placement)),
                    (truth.total_label, format_money(truth.total_amount, cur, style, placement))]
            for label, value in rows:
                y += 18
                bold = label == truth.total_label
                sheet.text(360, y, f"{label}:", font="hebo" if bold else "helv")
                sheet.text(545, y, value, font="hebo" if bold else "helv", align="right")
            sheet.text(50, y + 60, "Payment terms: please transfer the amount by the due date.",
                       size=9)
        sheet.text(297, 810, f"Page {index + 1} of {len(chunks)}", size=8, align="center")
        sheet.finish()
    return doc.tobytes(garbage=3, deflate=True)


def _invoice_header(sheet: _Sheet, truth: InvoiceTruth, y: float) -> float:
    """Bill-to block on the left, number and dates on the right (inline or stacked)."""
    fields = [(truth.number_label, truth.invoice_number),
              ("Invoice Date", format_date(truth.invoice_date, truth.date_format)),
              ("Due Date", format_date(truth.due_date, truth.date_format))]
    sheet.text(50, y, "Bill To:", font="hebo")
    for offset, line in enumerate((truth.customer_name, *truth.customer_address), start=1):
        sheet.text(50, y + 14 * offset, line)
    if truth.layout == "inline":
        for offset, (label, value) in enumerate(fields):
            sheet.text(330, y + 14 * offset, f"{label}:", font="hebo")
            sheet.text(545, y + 14 * offset, value, align="right")
    else:  # a block of labels with the values under them, below the bill-to block
        y += 14 * (len(truth.customer_address) + 3)
        for column, (label, value) in enumerate(fields):
            sheet.text(50 + 170 * column, y, label, font="hebo")
            sheet.text(50 + 170 * column, y + 14, value)
    return y + 14 * (len(truth.customer_address) + 4)


def _invoice_table(sheet: _Sheet, items: tuple[LineItemTruth, ...], style: str,
                   y: float) -> float:
    sheet.text(50, y, "Description", font="hebo")
    sheet.text(350, y, "Qty", font="hebo", align="right")
    sheet.text(450, y, "Unit Price", font="hebo", align="right")
    sheet.text(545, y, "Amount", font="hebo", align="right")
    sheet.rule(y + 5, 50, 545)
    for item in items:
        y += 16
        sheet.text(50, y, item.description)
        sheet.text(350, y, _quantity_text(item.quantity, style), align="right")
        sheet.text(450, y, format_amount(item.unit_price, style), align="right")
        sheet.text(545, y, format_amount(item.amount, style), align="right")
    sheet.rule(y + 6, 50, 545)
    return y + 6


def receipt_pdf(truth: ReceiptTruth) -> bytes:
    """The receipt as a narrow (80 mm) one-page PDF: the source of its scans and photos."""
    doc = pymupdf.open()
    height = 250 + 16 * len(truth.line_items)
    sheet = _Sheet(doc, 227, height)
    style, mid = truth.amount_style, 113.5
    y = 40.0
    sheet.text(mid, y, truth.merchant_name, font="hebo", size=15, align="center")
    for line in truth.merchant_address:
        y += 14
        sheet.text(mid, y, line, size=9, align="center")
    y += 26
    sheet.text(14, y, f"Date: {format_date(truth.date, truth.date_format)}", size=9)
    sheet.text(213, y, f"Time: {truth.time}", size=9, align="right")
    sheet.rule(y + 8, 14, 213)
    y += 12
    for item in truth.line_items:
        y += 16
        sheet.text(14, y, item.description, size=9)
        if item.quantity != 1:
            sheet.text(150, y, f"{item.quantity} x {format_amount(item.unit_price, style)}",
                       size=9, align="right")
        sheet.text(213, y, format_amount(item.amount, style), size=9, align="right")
    sheet.rule(y + 8, 14, 213)
    y += 12
    for label, value, font in (
        ("SUBTOTAL", format_amount(truth.subtotal, style), "helv"),
        (f"TAX {_percent(truth.tax_rate)}", format_amount(truth.tax_amount, style), "helv"),
        ("TOTAL", f"{truth.currency} {format_amount(truth.total_amount, style)}", "hebo"),
        ("CARD", format_amount(truth.total_amount, style), "helv"),
    ):
        y += 16
        sheet.text(14, y, label, size=10 if font == "hebo" else 9, font=font)
        sheet.text(213, y, value, size=10 if font == "hebo" else 9, font=font, align="right")
    sheet.text(mid, y + 30, "Thank you for your visit!", size=9, align="center")
    sheet.finish()
    return doc.tobytes(garbage=3, deflate=True)


def _render(pdf: bytes, dpi: float) -> Image.Image:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        pix = doc[0].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        return Image.frombytes("L", (pix.width, pix.height), pix.samples)


def receipt_scan(truth: ReceiptTruth, *, angle: float = 2.0, noise: float = 4.0,
                 fmt: str = "PNG") -> bytes:
    """A flatbed scan of the receipt: grey paper, slight rotation, blur and noise."""
    page = _render(receipt_pdf(truth), dpi=200)
    paper = page.point(lambda v: int(v * 0.86 + 18))  # grey paper, ink not quite black
    bed = paper.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=236)
    bed = bed.filter(ImageFilter.GaussianBlur(0.6))
    # effect_noise is Gaussian around 128; blending a fraction of it in adds sensor grain
    grain = Image.effect_noise(bed.size, max(0.1, noise * 8))
    scanned = Image.blend(bed, grain, 0.12)
    out = io.BytesIO()
    if fmt.upper() in ("JPEG", "JPG"):
        scanned.save(out, format="JPEG", quality=80)
    else:
        scanned.save(out, format=fmt.upper(), optimize=True)
    return out.getvalue()


def receipt_photo(truth: ReceiptTruth) -> bytes:
    """A phone photo of the receipt (JPEG, ~2000 px): dark table, perspective, uneven light."""
    rng = random.Random(truth.seed + 7)
    page = _render(receipt_pdf(truth), dpi=260).convert("RGB")
    width, height = 1500, 2000
    scale = min((width * 0.62) / page.width, (height * 0.86) / page.height)
    receipt = page.resize((int(page.width * scale), int(page.height * scale)),
                          Image.Resampling.LANCZOS)
    table = Image.new("RGB", (width, height), (74, 58, 44))
    table = Image.blend(table, Image.effect_noise((width, height), 30).convert("RGB"), 0.08)
    left, top = (width - receipt.width) // 2, (height - receipt.height) // 2
    table.paste(receipt.rotate(rng.uniform(-4, 4), expand=True, fillcolor=(74, 58, 44)),
                (left, top))
    # a gentle keystone: the top edge a little narrower, as when a phone is tilted back
    squeeze = width * 0.04
    coeffs = _perspective_coeffs(
        [(squeeze, 0), (width - squeeze, 0), (width, height), (0, height)],
        [(0, 0), (width, 0), (width, height), (0, height)])
    photo = table.transform((width, height), Image.Transform.PERSPECTIVE, coeffs,
                            Image.Resampling.BICUBIC, fillcolor=(60, 48, 36))
    # a lamp off-centre: brightness falls from 100 % under it to about 55 % far away
    glow = Image.radial_gradient("L").resize((width * 2, height * 2))
    cx, cy = int(width * rng.uniform(0.3, 0.7)), int(height * rng.uniform(0.2, 0.5))
    light = glow.crop((width - cx, height - cy, 2 * width - cx, 2 * height - cy))
    light = light.point(lambda v: 255 - v * 115 // 255)
    shade = Image.merge("RGB", (light, light, light))
    photo = ImageChops.multiply(photo, shade).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=72, optimize=True)
    return out.getvalue()


def _perspective_coeffs(src: list[tuple[float, float]],
                        dst: list[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping ``dst`` corners onto ``src``."""

    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for point in src for c in point], dtype=float)
    return [float(c) for c in np.linalg.solve(a, b)]


def broken_pdf() -> bytes:
    """An invoice PDF cut off half-way (no xref table, no trailer): a corrupt upload."""
    data = invoice_pdf(make_invoice_truth(1))
    return data[: len(data) // 2]


def _truth_json(truth: InvoiceTruth | ReceiptTruth) -> dict[str, Any]:
    return {"seed": truth.seed, **truth.schema_values()}


def main(folder: Path | None = None) -> None:
    """Rewrite the example files and ``truth.json`` in ``folder`` (default: ``examples/``)."""
    folder = folder or Path(__file__).resolve().parent
    invoice, long_invoice = make_invoice_truth(3), make_invoice_truth(11)
    receipt, photo = make_receipt_truth(1), make_receipt_truth(6)
    # One folder per schema, so `folio process examples/invoices --schema invoice` and
    # `... examples/receipts --schema receipt` each pick the right one.
    files = {
        "invoices/invoice-digital.pdf": invoice_pdf(invoice),
        "invoices/invoice-two-pages.pdf": invoice_pdf(long_invoice, pages=2),
        "invoices/broken.pdf": broken_pdf(),
        "receipts/receipt-scan.png": receipt_scan(receipt),
        "receipts/receipt-photo.jpg": receipt_photo(photo),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        print(f"{name}: {len(data) / 1024:.0f} KB")
    truth = {
        "invoices/invoice-digital.pdf": _truth_json(invoice),
        "invoices/invoice-two-pages.pdf": _truth_json(long_invoice),
        "invoices/broken.pdf": {"expected": "rejected (corrupt: truncated PDF)"},
        "receipts/receipt-scan.png": _truth_json(receipt),
        "receipts/receipt-photo.jpg": _truth_json(photo),
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
