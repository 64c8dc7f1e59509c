"""Test documents, generated as bytes: invoices as digital PDFs, receipts as scans and phone
photos (with their truth in ``tests.support.truth``), a truncated PDF, plain one-line PDFs
and JPEGs for storage and upload tests, and a digital PDF "printed and scanned". The bundled
examples (``python -m examples.generate``) are made from the same factories; hostile and
hard files are in ``tests.support.hardcases``.

Fonts are PyMuPDF's built-in Base-14 faces (inside the wheel), so nothing depends on the
machine's fonts. Every factory is deterministic for its arguments.
"""

from __future__ import annotations

import io
import random
from decimal import Decimal

import numpy as np
import pymupdf
from PIL import Image, ImageChops, ImageFilter

from tests.support.truth import (
    InvoiceTruth,
    LineItemTruth,
    ReceiptTruth,
    format_amount,
    format_date,
    format_money,
    make_invoice_truth,
)


class _Sheet:
    """A page that writes Base-14 text left- or right-aligned at a baseline."""

    def __init__(self, doc: pymupdf.Document, width: float, height: float) -> None:
        self.page = doc.new_page(width=width, height=height)
        self.writer = pymupdf.TextWriter(self.page.rect)
        self.fonts = {name: pymupdf.Font(name) for name in ("helv", "hebo", "cour")}

    def text(
        self, x: float, y: float, s: str, *, font: str = "helv", size: float = 10, align: str = "left"
    ) -> None:
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
            sheet.text(
                50,
                y,
                f"{truth.vendor_name} - {truth.number_label} {truth.invoice_number} (continued)",
                size=9,
            )
            y += 30
        y = _invoice_table(sheet, chunk, style, y)
        if index == len(chunks) - 1:
            rows = [
                ("Subtotal", format_money(truth.subtotal, cur, style, placement)),
                (
                    f"Tax ({_percent(truth.tax_rate)})"
                    if cur == "USD"
                    else f"VAT {_percent(truth.tax_rate)}",
                    format_money(truth.tax_amount, cur, style, placement),
                ),
                (truth.total_label, format_money(truth.total_amount, cur, style, placement)),
            ]
            for label, value in rows:
                y += 18
                bold = label == truth.total_label
                sheet.text(360, y, f"{label}:", font="hebo" if bold else "helv")
                sheet.text(545, y, value, font="hebo" if bold else "helv", align="right")
            sheet.text(50, y + 60, "Payment terms: please transfer the amount by the due date.", size=9)
        sheet.text(297, 810, f"Page {index + 1} of {len(chunks)}", size=8, align="center")
        sheet.finish()
    return doc.tobytes(garbage=3, deflate=True)


def _invoice_header(sheet: _Sheet, truth: InvoiceTruth, y: float) -> float:
    """Bill-to block on the left, number and dates on the right (inline or stacked)."""
    fields = [
        (truth.number_label, truth.invoice_number),
        ("Invoice Date", format_date(truth.invoice_date, truth.date_format)),
        ("Due Date", format_date(truth.due_date, truth.date_format)),
    ]
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


def _invoice_table(sheet: _Sheet, items: tuple[LineItemTruth, ...], style: str, y: float) -> float:
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
            sheet.text(
                150, y, f"{item.quantity} x {format_amount(item.unit_price, style)}", size=9, align="right"
            )
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


def receipt_scan(truth: ReceiptTruth, *, angle: float = 2.0, noise: float = 4.0, fmt: str = "PNG") -> bytes:
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
    receipt = page.resize((int(page.width * scale), int(page.height * scale)), Image.Resampling.LANCZOS)
    table = Image.new("RGB", (width, height), (74, 58, 44))
    table = Image.blend(table, Image.effect_noise((width, height), 30).convert("RGB"), 0.08)
    left, top = (width - receipt.width) // 2, (height - receipt.height) // 2
    table.paste(receipt.rotate(rng.uniform(-4, 4), expand=True, fillcolor=(74, 58, 44)), (left, top))
    # a gentle keystone: the top edge a little narrower, as when a phone is tilted back
    squeeze = width * 0.04
    coeffs = _perspective_coeffs(
        [(squeeze, 0), (width - squeeze, 0), (width, height), (0, height)],
        [(0, 0), (width, 0), (width, height), (0, height)],
    )
    photo = table.transform(
        (width, height), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=(60, 48, 36)
    )
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


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
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


def make_pdf(*lines: str, pages: int = 1, pad_bytes: int = 0) -> bytes:
    """A plain PDF with ``lines`` (and the page number) on each of ``pages`` pages; distinct
    text gives distinct bytes. ``pad_bytes`` adds that many bytes of metadata (big uploads)."""
    document = pymupdf.open()
    for number in range(1, pages + 1):
        page = document.new_page(width=595, height=842)
        for row, line in enumerate(lines):
            page.insert_text((72, 72 + 18 * row), f"{line} (page {number})", fontsize=11)
    if pad_bytes:
        document.set_metadata({"subject": "p" * pad_bytes})
    data = document.tobytes()
    document.close()
    return data


def purchase_order_pdf(*lines: str) -> bytes:
    """A one-page purchase order (a custom schema's document): the title, ``lines`` under it."""
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 72), "PURCHASE ORDER", fontsize=16)
    for row, line in enumerate(lines):
        page.insert_text((72, 120 + 24 * row), line, fontsize=11)
    data = document.tobytes()
    document.close()
    return data


def make_jpeg(width: int, height: int, shade: int = 200) -> bytes:
    """A plain grey JPEG of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (shade, shade, shade)).save(buffer, format="JPEG")
    return buffer.getvalue()


def page_texts(pdf: bytes) -> list[str]:
    """The text layer of each page of a digital PDF."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [str(page.get_text()) for page in doc]


def scanned_pdf(
    pdf: bytes, *, dpi: int = 150, angle: float = 0.4, noise: float = 0.06, seed: int = 0
) -> bytes:
    """Each page of ``pdf`` printed and scanned: grey, slightly turned, blurred and grainy,
    as a PDF of page-sized pictures without a text layer."""
    rng = random.Random(seed)
    out = pymupdf.open()
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            picture = Image.frombytes("L", (pix.width, pix.height), pix.samples)
            picture = picture.point(lambda v: int(v * 0.88 + 16))  # grey paper, ink not black
            turn = angle * (1 if rng.random() < 0.5 else -1)
            picture = picture.rotate(turn, resample=Image.Resampling.BICUBIC, fillcolor=240)
            picture = picture.filter(ImageFilter.GaussianBlur(0.5))
            grain = Image.effect_noise(picture.size, 40)
            picture = Image.blend(picture, grain, noise)
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=80)
            target = out.new_page(width=page.rect.width, height=page.rect.height)
            target.insert_image(target.rect, stream=buffer.getvalue())
    return out.tobytes(deflate=True)
