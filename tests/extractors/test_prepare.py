"""PagePreparer on real generated PDFs and images: text, routes, renders, frames, order."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from core.errors import ConfigurationError
from core.settings import Settings
from extractors.page_jobs import SleepJob
from extractors.prepare import PagePreparer
from extractors.tokens import fit_tile_grid, image_tokens
from models.document import FileKind
from models.page import PageRoute, PreparedPage, TextQuality
from tests.support import hardcases


def _prepare(settings: Settings, path: Path, kind: FileKind, **options: object) -> list[PreparedPage]:
    async def run() -> list[PreparedPage]:
        async with PagePreparer(settings) as preparer:
            return [page async for page in preparer.prepare(path, kind, **options)]

    return asyncio.run(run())


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _decoded(page: PreparedPage) -> Image.Image:
    assert page.image is not None
    with Image.open(io.BytesIO(page.image.jpeg)) as image:
        image.load()
        assert image.size == (page.image.width, page.image.height)
        return image.convert("RGB")


def _expected_pdf_render(settings: Settings, width_pt: float, height_pt: float) -> tuple[int, int]:
    zoom = settings.pages.render_dpi / 72
    _grid, width, height = fit_tile_grid(width_pt * zoom, height_pt * zoom)
    return width, height


def test_digital_pdf_pages_come_as_text_in_order_with_lines_and_boxes(
    settings: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path, "invoice.pdf", hardcases.digital_pdf(4))
    pages = _prepare(settings, path, FileKind.PDF)

    assert [p.page_number for p in pages] == [1, 2, 3, 4]
    for page in pages:
        expected = hardcases.invoice_lines(page.page_number)
        assert not page.failed
        assert page.text_quality is TextQuality.GOOD and page.route is PageRoute.TEXT
        assert page.image is None  # "when_needed": a text page is not rendered
        # Each text object is its own line (description, then amount), in reading order.
        pieces = [(row, part) for row, line in enumerate(expected) for part in line.split("  ")]
        assert [line.text for line in page.lines] == [part for _, part in pieces]
        assert page.text == "\n".join(expected)
        assert page.estimated_text_tokens >= len(page.text) // 5
        step = 720 / len(expected)
        for (row, _), line in zip(pieces, page.lines, strict=True):
            x0, y0, x1, y1 = line.bbox
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
            baseline = (60 + row * step) / page.height_pt
            assert y0 < baseline <= y1 + 0.01
        assert page.prepare_ms > 0


def test_render_always_sizes_the_image_for_the_tile_grid(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path, "invoice.pdf", hardcases.digital_pdf(2))
    pages = _prepare(settings, path, FileKind.PDF, render="always")
    for page in pages:
        assert page.image is not None and page.route is PageRoute.TEXT
        assert (page.image.width, page.image.height) == _expected_pdf_render(
            settings, page.width_pt, page.height_pt
        )
        assert page.image.grid.tiles <= settings.pages.max_tiles
        assert page.image.estimated_tokens == image_tokens(page.image.grid)
        picture = _decoded(page)
        # dark text on a white page: the picture is mostly white but not blank
        histogram = picture.convert("L").histogram()
        assert sum(histogram[:128]) > 0 and sum(histogram[200:]) > 0.8 * sum(histogram)


def test_scanned_and_mixed_pages_are_routed_by_their_content(settings: Settings, tmp_path: Path) -> None:
    scanned = _prepare(settings, _write(tmp_path, "s.pdf", hardcases.scanned_pdf(2)), FileKind.PDF)
    assert [(p.text_quality, p.route) for p in scanned] == [(TextQuality.EMPTY, PageRoute.IMAGE)] * 2
    assert all(p.image is not None for p in scanned)

    mixed = _prepare(settings, _write(tmp_path, "m.pdf", hardcases.mixed_pdf()), FileKind.PDF)
    assert [p.route for p in mixed] == [PageRoute.TEXT, PageRoute.IMAGE, PageRoute.BOTH]
    assert mixed[0].image is None and mixed[1].image is not None and mixed[2].image is not None
    # the invisible OCR layer of page 3 is read as text (written as whole lines, so the
    # double space inside each line is one word gap)
    expected = [" ".join(line.split()) for line in hardcases.invoice_lines(3, count=12)]
    assert mixed[2].text.splitlines() == expected


def test_render_never_gives_no_images_even_for_scans(settings: Settings, tmp_path: Path) -> None:
    pages = _prepare(settings, _write(tmp_path, "m.pdf", hardcases.mixed_pdf()), FileKind.PDF, render="never")
    assert [p.image for p in pages] == [None, None, None]
    assert pages[1].route is PageRoute.IMAGE


def test_font_without_unicode_map_is_poor_text_and_rendered(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path, "garbled.pdf", hardcases.garbled_font_pdf())
    (page,) = _prepare(settings, path, FileKind.PDF)
    assert page.text_quality is TextQuality.POOR and page.route is PageRoute.IMAGE
    assert page.image is not None


def test_rotated_page_boxes_follow_the_page_as_displayed(settings: Settings, tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    page.insert_text((40, 60), "Rotated invoice number 4711", fontsize=14)
    page.set_rotation(90)  # displayed turned clockwise: the top-left corner goes top-right
    (prepared,) = _prepare(settings, _write(tmp_path, "r.pdf", doc.tobytes()), FileKind.PDF)
    assert (prepared.width_pt, prepared.height_pt) == (800, 600)
    (line,) = prepared.lines
    assert line.text == "Rotated invoice number 4711"
    x0, y0, x1, y1 = line.bbox
    assert x0 > 0.8 and y0 < 0.1 and y1 - y0 > x1 - x0  # a vertical strip, top right


def test_a_page_shown_on_its_side_is_read_in_its_own_rows(settings: Settings, tmp_path: Path) -> None:
    # /Rotate 90 on a portrait page: every line runs down the displayed page. Rows grouped in
    # the displayed frame read across the lines ("Invoice No.: 4711 Total: 99.00" as one).
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    for x, y, text in [
        (40, 60, "Invoice No.: 4711"),
        (300, 60, "Date: 2026-01-02"),
        (40, 90, "Total: 99.00"),
    ]:
        page.insert_text((x, y), text, fontsize=12)
    page.set_rotation(90)
    (prepared,) = _prepare(settings, _write(tmp_path, "side.pdf", doc.tobytes()), FileKind.PDF)
    assert prepared.text.splitlines() == ["Invoice No.: 4711  Date: 2026-01-02", "Total: 99.00"]
    boxes = {line.text: line.bbox for line in prepared.lines}
    assert boxes["Total: 99.00"][0] < boxes["Invoice No.: 4711"][0]  # the next row is further left
    assert all(y1 - y0 > x1 - x0 for x0, y0, x1, y1 in boxes.values())  # boxes as displayed
    assert prepared.reading_turn == 90  # the mapper reads it turned back (extractors.reading_frame)


def test_page_numbers_select_pages_and_bad_numbers_are_refused(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path, "invoice.pdf", hardcases.digital_pdf(5))
    pages = _prepare(settings, path, FileKind.PDF, page_numbers=[2, 5])
    assert [p.lines[0].text for p in pages] == ["INVOICE No. 1002", "INVOICE No. 1005"]
    with pytest.raises(ConfigurationError, match="page 6 does not exist"):
        _prepare(settings, path, FileKind.PDF, page_numbers=[6])


def test_49000_point_wide_page_renders_scaled_down(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path, "wide.pdf", hardcases.wide_pdf(49_000, 600))
    (page,) = _prepare(settings, path, FileKind.PDF, render="always")
    assert page.width_pt == 49_000
    assert page.image is not None and page.image.grid.tiles <= settings.pages.max_tiles
    assert (page.image.width, page.image.height) == _expected_pdf_render(settings, 49_000, 600)
    assert page.image.width <= settings.pages.max_tiles * settings.pages.tile_size


def test_exif_orientation_is_applied(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path, "photo.jpg", hardcases.exif_rotated_jpeg(400, 200, orientation=6))
    (page,) = _prepare(settings, path, FileKind.JPEG)
    assert (page.width_pt, page.height_pt) == (200, 400)  # displayed upright: portrait
    assert page.text_quality is TextQuality.EMPTY and page.route is PageRoute.IMAGE
    picture = _decoded(page)
    assert picture.size == (200, 400)
    # orientation 6 turns the stored top-left corner to the displayed top-right
    red, green, blue = picture.getpixel((190, 10))
    assert red > 200 and green < 60 and blue < 60
    assert min(picture.getpixel((10, 10))) > 230


def test_cmyk_16bit_and_transparent_palette_images_become_rgb_or_gray(
    settings: Settings, tmp_path: Path
) -> None:
    cmyk = _prepare(settings, _write(tmp_path, "c.jpg", hardcases.cmyk_jpeg()), FileKind.JPEG)
    red, green, blue = _decoded(cmyk[0]).getpixel((150, 100))
    assert red > 200 and green < 60 and blue < 60

    gray = _prepare(settings, _write(tmp_path, "g.png", hardcases.gray16_png(512, 64)), FileKind.PNG)
    picture = _decoded(gray[0]).convert("L")
    for x in (20, 256, 490):  # the 16-bit ramp, reduced to 8 bits
        assert abs(picture.getpixel((x, 32)) - round(x / 511 * 255)) <= 6

    palette = _prepare(
        settings, _write(tmp_path, "p.png", hardcases.palette_png_with_transparency()), FileKind.PNG
    )
    picture = _decoded(palette[0])
    assert min(picture.getpixel((10, 10))) > 240  # transparent green flattened on white
    assert max(picture.getpixel((100, 100))) < 20  # the opaque black square


def test_every_tiff_frame_is_a_page(settings: Settings, tmp_path: Path) -> None:
    pages = _prepare(settings, _write(tmp_path, "f.tif", hardcases.multiframe_tiff()), FileKind.TIFF)
    assert [p.page_number for p in pages] == [1, 2, 3]
    for page, size, color in zip(pages, hardcases.FRAME_SIZES, hardcases.FRAME_COLORS, strict=True):
        assert (page.width_pt, page.height_pt) == size
        center = _decoded(page).getpixel((size[0] // 2, size[1] // 2))
        assert all(abs(a - b) < 20 for a, b in zip(center, color, strict=True))


def test_heic_image_is_a_page(settings: Settings, tmp_path: Path) -> None:
    data = hardcases.heic_image((320, 240), (255, 0, 0))
    (page,) = _prepare(settings, _write(tmp_path, "i.heic", data), FileKind.HEIC)
    assert (page.width_pt, page.height_pt) == (320, 240)
    red, green, blue = _decoded(page).getpixel((160, 120))
    assert red > 200 and green < 60 and blue < 60


def test_big_scan_photo_is_fitted_to_the_grid(settings: Settings, tmp_path: Path) -> None:
    lines = hardcases.invoice_lines(1, count=25)
    photo = hardcases.text_image(lines, width=2480, height=3508, noise=0.3)
    path = _write(tmp_path, "scan.jpg", hardcases.jpeg_bytes(photo))
    (page,) = _prepare(settings, path, FileKind.JPEG)
    grid, width, height = fit_tile_grid(2480, 3508)
    assert page.image is not None
    assert (page.image.width, page.image.height, page.image.grid) == (width, height, grid)
    assert (page.width_pt, page.height_pt) == (2480, 3508)


def test_look_ahead_is_bounded(settings: Settings) -> None:
    pulled: list[int] = []

    def endless_jobs() -> Iterator[SleepJob]:
        for number in itertools.count(1):
            pulled.append(number)
            yield SleepJob(page_number=number, seconds=0.0)

    async def take_three() -> list[int]:
        async with PagePreparer(settings) as preparer:
            numbers = []
            async with contextlib.aclosing(preparer.run_page_jobs(endless_jobs())) as pages:
                async for page in pages:
                    numbers.append(page.page_number)
                    if len(numbers) == 3:
                        break
            return numbers

    assert asyncio.run(take_three()) == [1, 2, 3]
    assert len(pulled) <= 3 + 2 * settings.pages.render_workers
