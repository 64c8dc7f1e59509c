"""Generators of real files, good, hard and bad, as bytes: nothing is downloaded.

Each generator is deterministic for its arguments. Tests derive expected values from what
they asked for here (the lines written, the colours drawn), never from hard-coded output.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib

import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFont

WORDS = [
    "invoice", "total", "amount", "due", "net", "tax", "quantity", "description", "unit",
    "price", "item", "service", "consulting", "hours", "rate", "payment", "terms", "bank",
    "account", "reference", "order", "delivery",
]  # fmt: skip


def invoice_lines(page_number: int, *, count: int = 30, seed: int = 0) -> list[str]:
    """The text lines :func:`digital_pdf` writes on page ``page_number``."""
    rng = random.Random(seed * 100_003 + page_number)
    lines = [f"INVOICE No. {1000 + page_number}"]
    for _ in range(count - 1):
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        lines.append(f"{words}  {rng.randint(1, 9999)}.{rng.randint(0, 99):02d}")
    return lines


def _write_invoice_page(page: pymupdf.Page, lines: list[str]) -> None:
    y = 60.0
    for line in lines:
        # Description and amount are separate text objects, as invoice generators write them.
        description, _, amount = line.rpartition("  ")
        page.insert_text((72, y), description or line, fontsize=9)
        if description:
            page.insert_text((430, y), amount, fontsize=9)
        y += 720 / len(lines)


def digital_pdf(pages: int = 1, *, lines_per_page: int = 30, seed: int = 0) -> bytes:
    """A born-digital PDF with invoice-like text on every page."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        _write_invoice_page(doc.new_page(), invoice_lines(number, count=lines_per_page, seed=seed))
    return doc.tobytes(deflate=True)


def text_image(
    lines: list[str], *, width: int = 1240, height: int = 1754, noise: float = 0.0, seed: int = 0
) -> Image.Image:
    """Black text on a white page, optionally with scanner-like grey noise (0..1)."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, height // 60))
    step = (height - 120) / max(1, len(lines))
    for index, line in enumerate(lines):
        draw.text((width // 12, 60 + index * step), line, fill=0, font=font)
    if noise > 0:
        rng = np.random.default_rng(seed)
        pixels = np.asarray(image, dtype=np.int16)
        pixels = pixels + rng.normal(0, 40 * noise, pixels.shape).astype(np.int16)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return image


def jpeg_bytes(image: Image.Image, *, quality: int = 85, **options: object) -> bytes:
    """``image`` saved as JPEG."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, **options)
    return buffer.getvalue()


def png_bytes(image: Image.Image, **options: object) -> bytes:
    """``image`` saved as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def scanned_pdf(pages: int = 1, *, seed: int = 0) -> bytes:
    """PDF pages that are only a full-page picture of text (no text layer)."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page()
        picture = text_image(invoice_lines(number, count=12, seed=seed), width=620, height=877)
        page.insert_image(page.rect, stream=jpeg_bytes(picture))
    return doc.tobytes(deflate=True)


def mixed_pdf(*, seed: int = 0) -> bytes:
    """Page 1 digital text; page 2 a scan; page 3 a scan under an invisible OCR text layer."""
    doc = pymupdf.open()
    _write_invoice_page(doc.new_page(), invoice_lines(1, seed=seed))
    for number in (2, 3):
        page = doc.new_page()
        lines = invoice_lines(number, count=12, seed=seed)
        page.insert_image(page.rect, stream=jpeg_bytes(text_image(lines, width=620, height=877)))
        if number == 3:
            for index, line in enumerate(lines):
                page.insert_text((50, 60 + index * 55), line, fontsize=11, render_mode=3)
    return doc.tobytes(deflate=True)


def truncated_pdf(fraction: float = 0.5) -> bytes:
    """The first ``fraction`` of a 6-page PDF, as an interrupted download leaves it.

    Cut in half, PyMuPDF cannot open it; cut at 0.8 it rebuilds the cross-reference table
    and the first pages survive intact.
    """
    doc = pymupdf.open()
    for number in range(1, 7):
        _write_invoice_page(doc.new_page(), invoice_lines(number))
    return truncated(doc.tobytes(), fraction)


def corrupt_pdf() -> bytes:
    """A PDF header followed by random bytes."""
    return b"%PDF-1.7\n" + random.Random(7).randbytes(4096)


def encrypted_pdf(*, user_password: str, owner_password: str) -> bytes:
    """A digital PDF encrypted with AES-256."""
    doc = pymupdf.open(stream=digital_pdf(2))
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=user_password, owner_pw=owner_password)


def zero_page_pdf() -> bytes:
    """A valid PDF with an empty page tree, written by hand with a correct xref table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def plain_text() -> bytes:
    """What someone might upload as report.pdf: a text file."""
    return b"Quarterly report\nRevenue went up.\nNothing here is a PDF.\n" * 20


def wide_pdf(width_pt: float = 49_000.0, height_pt: float = 600.0) -> bytes:
    """One page ``width_pt`` points wide (PDF readers accept beyond the 14,400 pt limit)."""
    doc = pymupdf.open()
    page = doc.new_page(width=width_pt, height=height_pt)
    for x in range(100, int(width_pt), 5000):
        page.insert_text((x, height_pt / 2), f"segment at {x} pt", fontsize=60)
    return doc.tobytes(deflate=True)


def garbled_font_pdf() -> bytes:
    """Text in an embedded font whose ToUnicode map was removed: glyphs without meaning."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("helv").buffer)
    for index, line in enumerate(invoice_lines(1, count=20)):
        page.insert_text((72, 72 + index * 30), line, fontname="F0", fontsize=11)
    for xref in range(1, doc.xref_length()):
        if doc.xref_get_key(xref, "ToUnicode")[0] != "null":
            doc.xref_set_key(xref, "ToUnicode", "null")
    return doc.tobytes()


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    """The first ``fraction`` of ``data``."""
    return data[: int(len(data) * fraction)]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


@functools.cache  # about a second to compress 112 MB of zeros; once per test session
def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` black pixels: about 110 KB on disk,
    900 megapixels once decoded (at the default size)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    chunks.append(compressor.compress(row * (height % 1000)))
    chunks.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(chunks))
        + _png_chunk(b"IEND", b"")
    )


def gray16_png(width: int = 512, height: int = 64) -> bytes:
    """A 16-bit greyscale PNG: a ramp from 0 (left) to 65535 (right)."""
    ramp = np.linspace(0, 65535, width).astype(np.uint16)
    pixels = np.tile(ramp, (height, 1))
    return png_bytes(Image.fromarray(pixels))  # uint16 -> mode I;16


def cmyk_jpeg(color: tuple[int, int, int, int] = (0, 255, 255, 0)) -> bytes:
    """A CMYK JPEG filled with ``color`` (default: pure red in CMYK)."""
    return jpeg_bytes(Image.new("CMYK", (300, 200), color), quality=95)


def palette_png_with_transparency() -> bytes:
    """A palette PNG: transparent green background (index 0), opaque black square."""
    image = Image.new("P", (200, 200), 0)
    image.putpalette([0, 255, 0, 0, 0, 0] + [0] * (256 * 3 - 6))
    ImageDraw.Draw(image).rectangle((50, 50, 149, 149), fill=1)
    return png_bytes(image, transparency=0)


FRAME_COLORS = [(255, 0, 0), (0, 0, 255), (0, 160, 0)]
FRAME_SIZES = [(400, 300), (300, 500), (640, 480)]


def multiframe_tiff() -> bytes:
    """A 3-frame TIFF; frame i has size FRAME_SIZES[i] and colour FRAME_COLORS[i]."""
    frames = [Image.new("RGB", size, color) for size, color in zip(FRAME_SIZES, FRAME_COLORS, strict=True)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return buffer.getvalue()


def exif_rotated_jpeg(width: int = 400, height: int = 200, orientation: int = 6) -> bytes:
    """A white JPEG stored ``width`` x ``height`` with a red block at its stored top-left,
    tagged with EXIF ``orientation`` (6: display rotated 90 degrees clockwise)."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return jpeg_bytes(image, quality=95, exif=exif.tobytes())


def polyglot_jpeg_then_pdf() -> bytes:
    """A complete JPEG followed by a complete PDF."""
    return jpeg_bytes(Image.new("RGB", (120, 80), (0, 0, 255))) + digital_pdf(2)


def polyglot_png_with_pdf_header() -> bytes:
    """A PNG whose first text chunk carries ``%PDF-1.7`` within the first 1,024 bytes."""
    image = Image.new("RGB", (120, 80), (0, 128, 0))
    header = b"\x89PNG\r\n\x1a\n"
    rest = png_bytes(image)[len(header) :]
    ihdr_end = 4 + 4 + 13 + 4  # length + type + IHDR body + crc
    text = _png_chunk(b"tEXt", b"Comment\x00%PDF-1.7 hidden here")
    return header + rest[:ihdr_end] + text + rest[ihdr_end:]


def heic_image(size: tuple[int, int] = (320, 240), color: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A HEIC image (needs pillow-heif with an encoder)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "HEIF", quality=90)
    return buffer.getvalue()
