"""Field boxes line up with the page image, on SQLite and PostgreSQL: a digital invoice read by
the real local engine (every value with its text-layer box), its boxes from ``GET
/v1/review/{id}`` scaled to the image from ``GET .../pages/1/image``. Each box holds ink on
the image, and holds PyMuPDF's own hit for a word of the value's text, turned as the page is
shown; for an upright page, a page turned by /Rotate 90 and a page whose crop box is not its
media box (boxes are fractions of the page as shown, origin top-left)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pymupdf
import pytest
from PIL import Image

from core.settings import Settings
from extractors.engines.local import LocalEngine
from tests.api.conftest import Keys, bearer, running_app
from tests.support.documents import invoice_pdf
from tests.support.pipeline import process_bytes
from tests.support.review import misprint, misprinted_total
from tests.support.truth import make_invoice_truth

Box = tuple[float, float, float, float]
INK = 160  # a pixel darker than this (0..255 grey) is print
MIN_INK = 0.02  # text fills more than this share of its own box
SLACK = 0.004  # fraction of the page: MuPDF's glyph boxes and the text layer's may differ a hair


def _turned(pdf: bytes, how: str) -> bytes:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    page = doc[0]
    if how == "rotated":
        page.set_rotation(90)
    elif how == "cropped":
        page.set_cropbox(pymupdf.Rect(30, 40, page.rect.x1 - 20, page.rect.y1 - 60))
    data: bytes = doc.tobytes()
    return data


def boxed_fields(view: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every field and table cell of a review view that has a box, by path."""
    found = [(name, field) for name, field in view["fields"].items() if field["bbox"] is not None]
    for table, rows in view["tables"].items():
        for i, row in enumerate(rows):
            found += [(f"{table}[{i}].{c}", cell) for c, cell in row.items() if cell["bbox"] is not None]
    return found


def _hits(page: pymupdf.Page, text: str) -> list[Box]:
    """Where PyMuPDF finds ``text`` on the page as shown (turned by its rotation), as fractions."""
    width, height = page.rect.width, page.rect.height
    shown = [hit * page.rotation_matrix for hit in page.search_for(text)]
    return [(r.x0 / width, r.y0 / height, r.x1 / width, r.y1 / height) for r in shown]


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner[0] >= outer[0] - SLACK
        and inner[1] >= outer[1] - SLACK
        and inner[2] <= outer[2] + SLACK
        and inner[3] <= outer[3] + SLACK
    )


def _ink(image: Image.Image, box: Box) -> float:
    width, height = image.size
    x0, y0, x1, y1 = box
    crop = image.crop((round(x0 * width), round(y0 * height), round(x1 * width), round(y1 * height)))
    histogram = crop.convert("L").histogram()
    return sum(histogram[:INK]) / max(1, sum(histogram))


def _misplaced(pdf: bytes, view: dict[str, Any], jpeg: bytes) -> list[str]:
    """The boxes that do not hold their text, each with why."""
    image = Image.open(io.BytesIO(jpeg))
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    wrong = []
    for path, field in boxed_fields(view):
        box = tuple(field["bbox"])
        words = sorted((field["source_text"] or "").split(), key=len)
        ink = _ink(image, box)
        if ink < MIN_INK:
            wrong.append(f"{path}: box {box} is blank on the image (ink {ink:.3f})")
        if not any(_inside(hit, box) for word in words[-3:] for hit in _hits(page, word)):
            wrong.append(f"{path}: none of {words[-3:]} is inside {box} on the page")
    return wrong


def _view_and_image(settings: Settings, key: str, document_id: str) -> tuple[dict[str, Any], bytes]:
    async def go() -> tuple[dict[str, Any], bytes]:
        async with running_app(settings) as (_, client):
            view = await client.get(f"/v1/review/{document_id}", headers=bearer(key))
            assert view.status_code == 200, view.text
            image = await client.get(f"/v1/documents/{document_id}/pages/1/image", headers=bearer(key))
            assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
            return view.json(), image.content

    return asyncio.run(go())


def test_the_boxes_of_a_document_in_review_cover_their_text_on_the_page_image(
    api_db_settings: Settings, keys: Keys
) -> None:
    doc = misprinted_total(api_db_settings, seed=81, tenant="alpha")
    view, jpeg = _view_and_image(api_db_settings, keys.alpha, doc.document_id)
    boxed = dict(boxed_fields(view))
    assert {"vendor_name", "invoice_number", "invoice_date", "total_amount"} <= set(boxed)
    assert any(path.startswith("line_items[") for path in boxed)
    assert all(field["page"] == 1 for field in boxed.values())
    pdf = invoice_pdf(misprint(81)[1])
    assert _misplaced(pdf, view, jpeg) == []


@pytest.mark.parametrize("how", ["rotated", "cropped"])
def test_boxes_follow_the_page_as_shown(api_db_settings: Settings, keys: Keys, how: str) -> None:
    pdf = _turned(invoice_pdf(make_invoice_truth(82)), how)
    run = process_bytes(api_db_settings, pdf, LocalEngine(api_db_settings), name=f"{how}.pdf", tenant="alpha")
    view, jpeg = _view_and_image(api_db_settings, keys.alpha, run.document_id)
    width, height = Image.open(io.BytesIO(jpeg)).size
    assert (width > height) is (how == "rotated")  # the image is the page as shown
    # A page on its side is mapped in the frame its text reads in: the essential fields are
    # found as on the upright page, and every box sits on its text as the page is shown.
    assert {"vendor_name", "invoice_number", "invoice_date", "total_amount"} <= set(dict(boxed_fields(view)))
    assert _misplaced(pdf, view, jpeg) == []
