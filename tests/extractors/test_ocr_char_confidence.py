"""The weakest character of an OCR line (``TextLine.min_char_confidence``) and how the field
mapper uses it for party names.

The OCR tests read generated print (PyMuPDF's built-in Helvetica rendered to a Pillow image),
so nothing depends on the machine's fonts; each real OCR run takes about a second.
"""

from __future__ import annotations

import pymupdf
import pytest
from PIL import Image, ImageDraw

from extractors.fieldmap.mapper import map_page
from extractors.ocr_page import lines_from_segments, read_lines
from extractors.textlayer import read_text_layer
from models.page import TextLine
from models.schemas import BUILTIN_SCHEMAS
from tests.extractors.test_ocr import jpeg, printed

NAME = "LAVENDER CONFECTIONERY"


def _read(image: Image.Image) -> list[TextLine]:
    return read_lines(jpeg(image), image.width, image.height)


def test_ocr_lines_carry_their_weakest_character_between_zero_and_their_mean() -> None:
    lines = _read(printed([NAME, "TOTAL 12.50"], size=12, width_pt=260))

    assert [" ".join(line.text.split()) for line in lines] == [NAME, "TOTAL 12.50"]
    for line in lines:
        assert line.min_char_confidence is not None
        assert 0.0 <= line.min_char_confidence <= line.confidence <= 1.0


def test_a_half_rubbed_out_letter_lowers_the_weakest_character_far_more_than_the_mean() -> None:
    page = printed([NAME], size=12, width_pt=260)
    clean = _read(page)[0]
    x0, y0, x1, y1 = (v * s for v, s in zip(clean.bbox, (page.width, page.height) * 2, strict=True))
    # Rub out the top half of the "I" of CONFECTIONERY (17th of 22 characters).
    step = (x1 - x0) / len(NAME)
    centre = x0 + step * (NAME.index("IO") + 0.5)
    damaged_page = page.copy()
    ImageDraw.Draw(damaged_page).rectangle(
        [centre - 0.6 * step, y0, centre + 0.6 * step, y0 + 0.5 * (y1 - y0)], fill=255
    )

    damaged = _read(damaged_page)[0]

    assert clean.min_char_confidence is not None and damaged.min_char_confidence is not None
    min_drop = clean.min_char_confidence - damaged.min_char_confidence
    mean_drop = clean.confidence - damaged.confidence
    assert min_drop > 0.1
    assert min_drop > 3 * max(mean_drop, 0.0)


def test_text_layer_lines_have_no_weakest_character() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((20, 40), NAME, fontname="helv", fontsize=12)

    lines = read_text_layer(page).lines
    doc.close()

    assert [line.text for line in lines] == [NAME]
    assert lines[0].min_char_confidence is None


def test_a_line_takes_the_weakest_character_of_its_segments_and_none_when_none_is_reported() -> None:
    left = [[10, 10], [40, 10], [40, 30], [10, 30]]
    right = [[60, 10], [90, 10], [90, 30], [60, 30]]

    both = lines_from_segments([[left, "ABC", 0.95, 0.9], [right, "DEF", 0.9, 0.6]], 100, 100)
    unreported = lines_from_segments([[left, "ABC", 0.95], [right, "DEF", 0.9]], 100, 100)

    assert len(both) == 1 and both[0].min_char_confidence == pytest.approx(0.6)
    assert unreported[0].min_char_confidence is None


def _receipt(weakest: float | None) -> list[TextLine]:
    def line(text: str, row: int, low: float | None = None) -> TextLine:
        return TextLine(
            text=text,
            bbox=(0.1, 0.05 + 0.05 * row, 0.8, 0.09 + 0.05 * row),
            confidence=0.97,
            min_char_confidence=low,
        )

    return [
        line("LAVENDER CONFECTEONERY SDN BHD", 0, weakest),
        line("12, JALAN TAMPOI 7/4, 81200 JOHOR BAHRU", 1, 0.93),
        line("DATE: 12/06/2018", 3, 0.93),
        line("TOTAL           RM 7.70", 5, 0.93),
    ]


def test_a_name_read_with_a_weak_character_gets_a_lower_raw_confidence() -> None:
    schema = BUILTIN_SCHEMAS["receipt"]

    plain = map_page(_receipt(None), schema, page_number=1).fields
    sure = map_page(_receipt(0.96), schema, page_number=1).fields
    slipped = map_page(_receipt(0.45), schema, page_number=1).fields

    names = [fields["merchant_name"] for fields in (plain, sure, slipped)]
    assert len({n.value for n in names}) == 1
    plain_c, sure_c, slipped_c = (n.confidence for n in names)
    assert plain_c is not None and sure_c is not None and slipped_c is not None
    assert slipped_c < sure_c <= plain_c
    assert any(e.startswith("weakest letter: OCR 0.9700 -> 0.4500") for e in names[2].evidence)
    assert not any(e.startswith("weakest letter") for e in names[0].evidence)
    # Amounts are not read through the party readers: their raw confidence is unchanged.
    assert slipped["total_amount"].confidence == plain["total_amount"].confidence
