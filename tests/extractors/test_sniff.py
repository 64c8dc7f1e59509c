"""Sniffing the real type from the first bytes of real files the test makes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.errors import UnsupportedTypeError
from extractors.sniff import SNIFF_BYTES, hidden_pdf_header, sniff_kind
from models.document import FileKind
from tests.support import hardcases


def _image(fmt: str, mode: str = "RGB", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (40, 30), "white").save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (lambda: hardcases.digital_pdf(1), FileKind.PDF),
        (lambda: _image("PNG"), FileKind.PNG),
        (lambda: _image("JPEG"), FileKind.JPEG),
        (lambda: _image("TIFF"), FileKind.TIFF),
        (lambda: _image("TIFF", big_endian=True), FileKind.TIFF),
        (lambda: _image("WEBP"), FileKind.WEBP),
        (lambda: _image("GIF", "P"), FileKind.GIF),
        (lambda: _image("BMP"), FileKind.BMP),
        (lambda: hardcases.heic_image(), FileKind.HEIC),
    ],
)
def test_real_files_are_recognised_from_their_head(data, kind: FileKind) -> None:
    content: bytes = data()
    assert sniff_kind(content[:SNIFF_BYTES]) is kind
    assert sniff_kind(content[:64] if kind is not FileKind.PDF else content[:SNIFF_BYTES]) is kind


def test_pdf_header_after_junk_within_1024_bytes_is_a_pdf() -> None:
    pdf = hardcases.digital_pdf(1)
    assert sniff_kind((b"\x00junk" * 100)[:900] + pdf) is FileKind.PDF
    with pytest.raises(UnsupportedTypeError):
        sniff_kind(b"\x00" * 1100 + pdf)


def test_extension_is_never_trusted_and_the_message_says_what_the_file_is() -> None:
    with pytest.raises(UnsupportedTypeError) as caught:
        sniff_kind(hardcases.plain_text()[:SNIFF_BYTES], name="report.pdf")
    message = str(caught.value)
    assert "plain text" in message and "report.pdf" in message
    assert caught.value.code == "unsupported_type"


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"", "empty"),
        (b"PK\x03\x04" + b"\x00" * 60, "ZIP"),
        (b"<!DOCTYPE html><html><body>hello</body></html>", "HTML"),
        (b'{"invoice": 1}', "JSON"),
        (bytes(range(200, 256)) * 2, "not recognised"),
        (b"BM but not really a bitmap header, just text", "plain text"),
    ],
)
def test_unsupported_files_are_described(head: bytes, words: str) -> None:
    with pytest.raises(UnsupportedTypeError, match=words):
        sniff_kind(head)


def test_bmp_magic_needs_a_plausible_header() -> None:
    real = _image("BMP")
    assert sniff_kind(real[:64]) is FileKind.BMP
    broken = real[:14] + (7).to_bytes(4, "little") + real[18:]  # DIB header size 7: no BMP
    with pytest.raises(UnsupportedTypeError):
        sniff_kind(broken[:64])


def test_avif_is_not_taken_for_heic() -> None:
    avif_head = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 40
    with pytest.raises(UnsupportedTypeError, match="AVIF"):
        sniff_kind(avif_head)


def test_polyglots_are_typed_by_their_leading_magic() -> None:
    jpeg_pdf = hardcases.polyglot_jpeg_then_pdf()
    png_pdf = hardcases.polyglot_png_with_pdf_header()
    assert b"%PDF-" in png_pdf[:SNIFF_BYTES]
    assert sniff_kind(jpeg_pdf[:SNIFF_BYTES]) is FileKind.JPEG
    assert sniff_kind(png_pdf[:SNIFF_BYTES]) is FileKind.PNG
    assert hidden_pdf_header(jpeg_pdf) and hidden_pdf_header(png_pdf)
    assert not hidden_pdf_header(_image("PNG"))
    assert not hidden_pdf_header(hardcases.digital_pdf(1))  # a plain PDF is no polyglot
