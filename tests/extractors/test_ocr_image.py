"""The preparer's finer gray OCR image of a page (``PreparedPage.ocr_image``), and the local
engine reading it instead of the model image."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from PIL import Image, ImageDraw

from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.ocr_prep import OCR_DPI
from extractors.prepare import PagePreparer
from models.document import FileKind
from models.page import OcrImage, PreparedPage, TextLine
from models.schemas import get_schema
from tests.support import hardcases


def _prepare(
    settings: Settings, data: bytes, name: str, kind: FileKind, tmp_path: Path
) -> list[PreparedPage]:
    path = tmp_path / name
    path.write_bytes(data)

    async def run() -> list[PreparedPage]:
        async with PagePreparer(settings) as preparer:
            return [page async for page in preparer.prepare(path, kind)]

    return asyncio.run(run())


def _opened(ocr_image: OcrImage) -> Image.Image:
    image = Image.open(io.BytesIO(ocr_image.jpeg))
    image.load()
    assert image.size == (ocr_image.width, ocr_image.height)
    return image


def test_a_fine_jpeg_scan_gets_a_gray_ocr_image_at_its_natural_size(
    settings: Settings, tmp_path: Path
) -> None:
    # A letter page at 200 dpi: the model image is about 1000 pixels wide, the scan 1700.
    scan = hardcases.text_image(["INVOICE 4711", "TOTAL 99.00"], width=1700, height=2200).convert("RGB")
    (page,) = _prepare(settings, hardcases.jpeg_bytes(scan), "scan.jpg", FileKind.JPEG, tmp_path)

    assert page.image is not None and page.ocr_image is not None
    assert page.image.width * 1.25 <= 1700  # the model image is clearly coarser
    copy = _opened(page.ocr_image)
    assert copy.mode == "L" and copy.size == (1700, 2200)


def test_the_ocr_image_of_a_png_is_turned_as_its_exif_says(settings: Settings, tmp_path: Path) -> None:
    # Stored 2200 x 1700 with a dark block at its stored top-left; orientation 6 shows it
    # turned 90 degrees clockwise, the block then at the top-right.
    stored = Image.new("L", (2200, 1700), 255)
    ImageDraw.Draw(stored).rectangle((0, 0, 400, 300), fill=0)
    exif = Image.Exif()
    exif[0x0112] = 6
    (page,) = _prepare(
        settings, hardcases.png_bytes(stored, exif=exif.tobytes()), "turned.png", FileKind.PNG, tmp_path
    )

    assert page.ocr_image is not None
    copy = _opened(page.ocr_image)
    assert copy.size == (1700, 2200)
    assert copy.getpixel((1650, 50)) < 64 and copy.getpixel((50, 50)) > 192


def test_an_image_about_as_fine_as_its_model_image_gets_none(settings: Settings, tmp_path: Path) -> None:
    small = hardcases.text_image(["TOTAL 12.50"], width=800, height=1000)
    (page,) = _prepare(settings, hardcases.jpeg_bytes(small), "small.jpg", FileKind.JPEG, tmp_path)

    assert page.image is not None and page.ocr_image is None


def test_scanned_pdf_pages_get_an_ocr_image_at_ocr_dpi_and_text_pages_none(
    settings: Settings, tmp_path: Path
) -> None:
    (scan,) = _prepare(settings, hardcases.scanned_pdf(1), "scan.pdf", FileKind.PDF, tmp_path)
    (digital,) = _prepare(settings, hardcases.digital_pdf(1), "digital.pdf", FileKind.PDF, tmp_path)

    assert scan.ocr_image is not None
    copy = _opened(scan.ocr_image)
    expected = (scan.width_pt * OCR_DPI / 72, scan.height_pt * OCR_DPI / 72)
    assert copy.mode == "L" and abs(copy.width - expected[0]) <= 1 and abs(copy.height - expected[1]) <= 1
    assert digital.ocr_image is None


def test_the_engine_reads_the_ocr_image_where_there_is_one(settings: Settings, tmp_path: Path) -> None:
    scan = hardcases.text_image(["TOTAL 99.00"], width=1700, height=2200)
    (page,) = _prepare(settings, hardcases.jpeg_bytes(scan), "scan.jpg", FileKind.JPEG, tmp_path)
    assert page.image is not None and page.ocr_image is not None
    read: list[tuple[int, int, bytes]] = []

    def ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        read.append((width, height, jpeg))
        return []

    engine = LocalEngine(settings, ocr=ocr)
    asyncio.run(engine.extract([page], get_schema("receipt")))
    asyncio.run(engine.extract([page.model_copy(update={"ocr_image": None})], get_schema("receipt")))

    assert read == [
        (page.ocr_image.width, page.ocr_image.height, page.ocr_image.jpeg),
        (page.image.width, page.image.height, page.image.jpeg),
    ]
