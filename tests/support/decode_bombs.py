"""Files small on disk and huge once decoded, written without ever holding the pixels.

PNGs are streamed row by row through zlib, the PDF's image is a Flate stream of zeros, so a
test or a bench makes an 80-megapixel RGBA PNG (about 300 KB) in well under a second and a
few megabytes. Pillow makes the TIFF and GIF cases (their pixels are a few tens of MB).
"""

from __future__ import annotations

import io
import struct
import zlib

import pymupdf
from PIL import Image

# PNG colour types and the bytes per pixel of one row at 8 bits.
_PNG_MODES = {"L": (0, 1), "RGB": (2, 3), "P": (3, 1), "RGBA": (6, 4)}


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _deflate_rows(row: bytes, count: int, block: int = 64) -> list[bytes]:
    """``row`` repeated ``count`` times, deflated ``block`` rows at a time."""
    compressor = zlib.compressobj(6)
    parts = [compressor.compress(row * min(block, count - n)) for n in range(0, count, block)]
    parts.append(compressor.flush())
    return parts


def png(width: int, height: int, mode: str = "RGBA", *, bits: int = 8) -> bytes:
    """A blank (white, or palette index 0 = white) PNG of ``width`` x ``height``.

    ``mode``: "L", "RGB", "P" or "RGBA"; ``bits`` 1 with "L" gives a 1-bit image, 16 a
    16-bit one. The rows are compressed one at a time: memory stays a few rows.
    """
    color_type, samples = _PNG_MODES[mode]
    row_bytes = -(-width * samples * bits // 8)
    fill = b"\x00" if mode == "P" else b"\xff"
    row = b"\x00" + fill * row_bytes  # filter type 0, then the samples
    parts = _deflate_rows(row, height)
    header = struct.pack(">IIBBBBB", width, height, bits, color_type, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    if mode == "P":
        chunks.append(_chunk(b"PLTE", b"\xff\xff\xff\x00\x00\x00"))
        chunks.append(_chunk(b"tRNS", b"\x00"))  # index 0 transparent: flattened on white
    chunks.append(_chunk(b"IDAT", b"".join(parts)))
    chunks.append(_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def cmyk_tiff(width: int = 6000, height: int = 6000) -> bytes:
    """A blank CMYK TIFF, LZW-compressed (4 bytes a pixel decoded)."""
    buffer = io.BytesIO()
    Image.new("CMYK", (width, height), (0, 0, 0, 0)).save(buffer, "TIFF", compression="tiff_lzw")
    return buffer.getvalue()


def animated_gif(width: int = 6000, height: int = 6000, frames: int = 3) -> bytes:
    """A GIF of ``frames`` blank frames; every frame after the first is composed in RGB."""
    images = [Image.new("P", (width, height), n) for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def pdf_with_huge_image(side: int = 20_000) -> bytes:
    """A one-page A4 PDF whose only content is a ``side`` x ``side`` gray Flate image."""
    data = b"".join(_deflate_rows(b"\xff" * side, side))
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    image = doc.get_new_xref()
    doc.update_object(
        image,
        f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} "
        "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode >>",
    )
    doc.update_stream(image, data, new=True, compress=0)
    doc.xref_set_key(page.xref, "Resources", f"<< /XObject << /Im0 {image} 0 R >> >>")
    content = doc.get_new_xref()
    doc.update_object(content, "<< >>")
    doc.update_stream(content, b"q 595 0 0 842 0 0 cm /Im0 Do Q", new=True)
    doc.xref_set_key(page.xref, "Contents", f"{content} 0 R")
    out = doc.tobytes(garbage=1)
    doc.close()
    return out
