"""Pages turned by /Rotate are mapped in the frame their text reads in, with boxes of the page
as shown: the turn read from the text layer agrees with PyMuPDF's own geometry, and a turned
invoice gives the local engine the same values as the upright one, each box turned with it."""

from __future__ import annotations

import asyncio

import pymupdf
import pytest

from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.page_jobs import RenderSpec
from extractors.pdf_pages import prepare_pdf_page
from extractors.reading_frame import to_reading, to_shown
from extractors.textlayer import read_text_layer
from models.extraction import PageExtraction
from models.page import BBox, Turn
from models.schemas import get_schema
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

TURNS: tuple[Turn, ...] = (90, 180, 270)


def _close(a: BBox, b: BBox, slack: float = 1e-6) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("turn", (0, *TURNS))
def test_a_box_turned_into_the_reading_frame_and_back_is_the_same_box(turn: Turn) -> None:
    box = (0.1, 0.2, 0.35, 0.24)
    assert _close(to_shown(to_reading(box, turn), turn), box)
    x0, y0, x1, y1 = to_reading(box, turn)
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


@pytest.mark.parametrize("rotation", TURNS)
def test_the_reading_frame_is_the_unrotated_page_as_pymupdf_reports_it(rotation: Turn) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    page.insert_text((60, 100), "Invoice number 4711", fontsize=14)
    page.insert_text((60, 130), "Total due 99.00", fontsize=14)
    page.set_rotation(rotation)
    layer = read_text_layer(page)
    assert layer.turn == rotation
    # PyMuPDF's words are in the unrotated page's coordinates: the reading frame.
    unrotated = page.mediabox
    for line in layer.lines:
        words = [w for w in page.get_text("words") if w[4] in line.text.split()]
        x0 = min(w[0] for w in words) / unrotated.width
        y0 = min(w[1] for w in words) / unrotated.height
        x1 = max(w[2] for w in words) / unrotated.width
        y1 = max(w[3] for w in words) / unrotated.height
        assert _close(to_reading(line.bbox, rotation), (x0, y0, x1, y1), slack=0.01), line.text


def test_content_drawn_turned_and_shown_upright_keeps_the_page_frame() -> None:
    # A landscape scan stored sideways and turned upright by /Rotate: its lines run across
    # the page as shown, so the page as shown is the reading frame.
    doc = pymupdf.open()
    page = doc.new_page(width=600, height=800)
    page.insert_text((100, 60), "Invoice number 4711", fontsize=14, rotate=90)
    page.set_rotation(90)
    layer = read_text_layer(page)
    assert layer.turn == 0
    x0, y0, x1, y1 = layer.lines[0].bbox
    assert x1 - x0 > y1 - y0  # the line runs across the page as shown


def _engine_result(settings: Settings, pdf: bytes, rotation: int) -> PageExtraction:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    doc[0].set_rotation(rotation)
    # The page as the render workers prepare it (text layer, reading turn), without an image.
    prepared = prepare_pdf_page(doc, 1, "never", RenderSpec.from_settings(settings))
    return asyncio.run(LocalEngine(settings).extract([prepared], get_schema("invoice")))


@pytest.mark.parametrize("rotation", TURNS)
def test_a_turned_invoice_gives_the_upright_values_with_turned_boxes(
    settings: Settings, rotation: Turn
) -> None:
    pdf = invoice_pdf(make_invoice_truth(81))
    upright = _engine_result(settings, pdf, 0)
    turned = _engine_result(settings, pdf, rotation)
    assert len(upright.fields) >= 8
    assert {k: f.value for k, f in turned.fields.items()} == {k: f.value for k, f in upright.fields.items()}
    assert len(turned.tables.get("line_items", [])) == len(upright.tables.get("line_items", [])) > 0
    for name, field in turned.fields.items():
        expected = upright.fields[name].bbox
        assert field.bbox is not None and expected is not None
        assert _close(to_reading(field.bbox, rotation), expected, slack=0.002), name
