"""The real type of a file, from its first bytes; the file name is never trusted.

Give :func:`sniff_kind` the first :data:`SNIFF_BYTES` (1,024) bytes of the file, or the
whole file if it is shorter. Images are recognised from their first 32 bytes at most (a
HEIF ``ftyp`` box is read as far as the bytes given reach); a PDF header may sit anywhere in
the first 1,024 bytes, as PDF readers allow (some producers put junk before ``%PDF-``).

Polyglots (bytes that are valid as two formats, e.g. a JPEG followed by a PDF, or a PNG
with a ``%PDF-`` header hidden inside) are typed by their *leading* magic number: that is
what every image decoder reads, and the rest of the pipeline decodes the file only as that
type, so the hidden part is never interpreted. :func:`hidden_pdf_header` tells a caller
that wants to log such files.
"""

from __future__ import annotations

import struct

from core.errors import UnsupportedTypeError
from models.document import FileKind

SNIFF_BYTES = 1024
"""How many leading bytes :func:`sniff_kind` needs to decide every case."""

_PDF_MAGIC = b"%PDF-"
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
# BITMAPCOREHEADER, BITMAPINFOHEADER, V2, V3, OS/2 2.x, V4, V5.
_BMP_DIB_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})


def _is_bmp(head: bytes) -> bool:
    # "BM" alone is too weak (plain text may start with it): check the header fields.
    if len(head) < 18 or head[:2] != b"BM":
        return False
    file_size, _reserved, pixel_offset, dib_size = struct.unpack_from("<IIII", head, 2)
    return (
        dib_size in _BMP_DIB_HEADER_SIZES
        and 14 + dib_size <= pixel_offset
        and (file_size == 0 or file_size >= pixel_offset)
    )


def _heif_brands(head: bytes) -> set[bytes]:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    box_size = struct.unpack_from(">I", head, 0)[0]
    end = min(max(box_size, 16), len(head))
    brands = {head[8:12]}
    brands.update(head[offset : offset + 4] for offset in range(16, end - 3, 4))
    return brands


def _image_kind(head: bytes) -> FileKind | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # TIFF and BigTIFF
        return FileKind.TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileKind.WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return FileKind.GIF
    if _is_bmp(head):
        return FileKind.BMP
    brands = _heif_brands(head)
    if brands & _HEIF_BRANDS and not brands & _AVIF_BRANDS:
        return FileKind.HEIC
    return None


def _describe(head: bytes) -> str:
    """What the bytes look like, in words a person understands."""
    if not head:
        return "the file is empty"
    if head.startswith(b"PK\x03\x04"):
        return "the file looks like a ZIP archive (a Word, Excel or OpenDocument file, perhaps)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "the file looks like an old Microsoft Office document"
    if _heif_brands(head) & _AVIF_BRANDS:
        return "the file looks like an AVIF image, which is not supported"
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        return "the file looks like a compressed archive"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            text = ""
    if text and sum(c.isprintable() or c.isspace() for c in text) >= 0.95 * len(text):
        stripped = text.lstrip().lower()
        if stripped.startswith(("<!doctype html", "<html")):
            return "the file looks like an HTML page"
        if stripped.startswith("<"):
            return "the file looks like XML or HTML text"
        if stripped.startswith(("{", "[")):
            return "the file looks like JSON text"
        return "the file looks like plain text"
    return f"the file's type is not recognised (it starts with bytes {head[:8].hex(' ')})"


def sniff_kind(head: bytes, *, name: str | None = None) -> FileKind:
    """The kind of file whose first bytes are ``head`` (give it :data:`SNIFF_BYTES`).

    Raises ``UnsupportedTypeError`` for anything that is not a PDF or a supported image,
    with a message that says what the bytes look like; ``name`` is used in that message
    only, never to decide the type.
    """
    kind = _image_kind(head)
    if kind is not None:
        return kind
    if _PDF_MAGIC in head[:SNIFF_BYTES]:
        return FileKind.PDF
    named = f" (named {name})" if name else ""
    raise UnsupportedTypeError(f"{_describe(head)}, not a PDF or an image{named}")


def hidden_pdf_header(data: bytes) -> bool:
    """True when an image's bytes also carry a PDF header anywhere in ``data`` (a polyglot).

    Such files are still processed as the image their leading bytes say they are; this is
    for logging and auditing. Pass as much of the file as you want searched.
    """
    return _image_kind(data) is not None and _PDF_MAGIC in data
