"""The page reader (``extractors.ocr_page``) on generated print: skewed and upside-down pages,
kept spaces, large images.

Pages are printed with PyMuPDF's built-in fonts (Courier, Helvetica), so nothing depends on
the fonts of the machine. Each real OCR run takes about a second: they are kept few.
"""

from __future__ import annotations

import io

import pymupdf
import pytest
from PIL import Image

from core.errors import BadInputError
from extractors.ocr_page import OcrOptions, lines_from_segments, read_lines, read_page_lines, repair_numbers
from extractors.ocr_read import detector_scale
from extractors.reading_frame import to_reading
from models.page import TextLine


def printed(
    lines: list[str], *, font: str = "helv", size: float = 11.0, dpi: int = 200, width_pt: float = 240.0
) -> Image.Image:
    """A white page with ``lines`` printed one under the other, in gray."""
    doc = pymupdf.open()
    page = doc.new_page(width=width_pt, height=30 + 2.0 * size * len(lines))
    for row, text in enumerate(lines):
        page.insert_text((14, 20 + size + 2.0 * size * row), text, fontname=font, fontsize=size)
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    doc.close()
    return image


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def read(image: Image.Image, options: OcrOptions | None = None) -> list[TextLine]:
    data = jpeg(image)
    if options is None:
        return read_lines(data, image.width, image.height)
    return read_lines(data, image.width, image.height, options)


def squeezed(text: str) -> str:
    return " ".join(text.split()).upper()


RECEIPT = ["BAECKEREI SONNE", "TOTAL 12.50", "THANK YOU"]


def test_a_page_turned_a_few_degrees_still_reads_in_order() -> None:
    page = printed(RECEIPT).rotate(4, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)

    lines = [squeezed(line.text) for line in read(page)]

    assert lines == RECEIPT


def test_an_upside_down_page_reads_in_order_with_boxes_on_the_image_as_given() -> None:
    page = printed(RECEIPT).rotate(180)

    reading = read_page_lines(jpeg(page), page.width, page.height)
    lines = reading.lines

    assert reading.turn == 180
    assert [squeezed(line.text) for line in lines] == RECEIPT
    # The first line of the text is printed at the bottom of the image as given.
    assert lines[0].bbox[1] > 0.5 > lines[-1].bbox[3]


@pytest.mark.parametrize("turn", [0, 90, 270])
def test_a_page_on_its_side_is_read_upright_and_says_how_it_lay(turn: int) -> None:
    # PIL turns counter-clockwise: -turn lays the page ``turn`` degrees clockwise.
    page = printed(RECEIPT).rotate(-turn, expand=True)

    reading = read_page_lines(jpeg(page), page.width, page.height)

    assert reading.turn == turn
    assert [squeezed(line.text) for line in reading.lines] == RECEIPT
    first, last = reading.lines[0].bbox, reading.lines[-1].bbox
    # Boxes are on the image as given: turned 90 clockwise the first line stands at the right.
    if turn == 0:
        assert first[3] < 0.5 < last[1]
    elif turn == 90:
        assert first[0] > 0.5 > last[2]
    else:
        assert first[2] < 0.5 < last[0]
    # and back in the reading frame the first line is on top.
    assert to_reading(first, turn)[3] < 0.5 < to_reading(last, turn)[1]


def test_a_column_of_lone_narrow_glyphs_is_not_taken_for_a_page_on_its_side() -> None:
    # Each 1, I or l stands twice as tall as wide, as a word on a sideways page does.
    page = printed(["1", "I", "1", "l", "7", "1", "I", "11"], size=28, width_pt=60)

    reading = read_page_lines(jpeg(page), page.width, page.height)

    assert reading.turn == 0
    assert [squeezed(line.text) for line in reading.lines][:2] == ["1", "1"]


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_boxes_read_on_the_page_turned_upright_map_back_as_the_reading_frame_turns_them(turn: int) -> None:
    # A segment on the page stood up (200 x 100 pixels), read off the image as given.
    raw = [[[[20, 10], [180, 10], [180, 30], [20, 30]], "TOTAL", 0.9]]

    [line] = lines_from_segments(raw, 200, 100, turn=turn)

    assert to_reading(line.bbox, turn) == pytest.approx((0.1, 0.1, 0.9, 0.3))


def test_words_printed_apart_in_small_monospaced_type_keep_their_space() -> None:
    # Small Courier at 150 dpi: letters about 12 px high, where the recogniser glues words.
    page = printed(["BAECKEREI SONNE SDN BHD", "KAWASAN PERINDUSTRIAN"], font="cour", size=8, dpi=150)

    texts = [squeezed(line.text) for line in read(page)]

    assert texts == ["BAECKEREI SONNE SDN BHD", "KAWASAN PERINDUSTRIAN"]


def test_a_large_scan_is_decoded_and_detected_at_a_bounded_size_and_boxes_stay_on_the_page() -> None:
    # 600 dpi: 2500 x 2050 pixels. Decoding is capped at 1.5 megapixels (read at half size),
    # the detector sees at most 0.5 megapixels.
    page = printed(["INVOICE 4711", "AMOUNT DUE 99.00"], size=16, dpi=600, width_pt=300)
    options = OcrOptions(max_pixels=1_500_000, det_pixels=500_000)

    lines = read(page, options)

    assert [squeezed(line.text) for line in lines] == ["INVOICE 4711", "AMOUNT DUE 99.00"]
    x0, y0, x1, y1 = lines[0].bbox
    # "INVOICE 4711" starts 14 pt from the left edge and sits in the top third of the page.
    assert 0.02 < x0 < 0.09 and y1 < 0.5 and 0.3 < x1 < 0.7


def test_the_detector_sees_big_pages_reduced_and_small_ones_enlarged_at_most_twice() -> None:
    assert detector_scale(2481, 3508, 1_400_000) == pytest.approx((1_400_000 / (2481 * 3508)) ** 0.5)
    assert detector_scale(1008, 1425, 1_400_000) < 1.0
    assert detector_scale(300, 200, 1_400_000) == 2.0  # short side 200: 736 is out of reach
    assert detector_scale(616, 1020, 1_400_000) == pytest.approx(736 / 616)
    assert detector_scale(600, 20_000, 1_400_000) < 1.0  # the pixel budget wins


def test_bytes_that_are_no_image_are_bad_input() -> None:
    with pytest.raises(BadInputError) as caught:
        read_lines(b"not an image at all", 100, 100)
    assert caught.value.code == "ocr_unreadable"


def test_full_width_punctuation_reads_as_ascii_and_turned_boxes_map_back() -> None:
    raw = [[[[10, 10], [90, 10], [90, 30], [10, 30]], "（GST）：１２", 0.9]]

    upright = lines_from_segments(raw, 100, 100)
    turned = lines_from_segments(raw, 100, 100, turn=180)

    assert upright[0].text == "(GST):12"
    assert upright[0].bbox == pytest.approx((0.1, 0.1, 0.9, 0.3))
    assert turned[0].bbox == pytest.approx((0.1, 0.7, 0.9, 0.9))


def test_letters_read_inside_numbers_become_digits_and_words_stay_as_read() -> None:
    assert repair_numbers("JALAN AIR HITAM 438OO DENGKIL") == "JALAN AIR HITAM 43800 DENGKIL"
    assert repair_numbers("Date O1/O6/2O18") == "Date 01/06/2018"
    # Runs inside words, or with more such letters than digits, are no numbers.
    assert repair_numbers("IOI MALL Dunhil1 Tab1e OO1") == "IOI MALL Dunhil1 Tab1e OO1"
