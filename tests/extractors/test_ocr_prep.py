"""The size and encoding of the finer OCR copy of a page (``extractors.ocr_prep``)."""

from __future__ import annotations

import io

from PIL import Image

from extractors.ocr_prep import OCR_MAX_PIXELS, encode_ocr_image, ocr_image_size


def test_a_600_dpi_scan_gets_a_copy_at_libjpeg_half_scale_within_the_cap() -> None:
    size = ocr_image_size(4961, 7016, 1008, 1425, halvings=True)

    assert size == (2480, 3508)
    assert size[0] * size[1] <= OCR_MAX_PIXELS


def test_other_formats_are_scaled_to_the_cap_and_never_up() -> None:
    width, height = ocr_image_size(6000, 8000, 1008, 1344) or (0, 0)

    assert width * height <= OCR_MAX_PIXELS < (width + 2) * (height + 2)
    assert abs(width / height - 0.75) < 0.001
    assert ocr_image_size(2000, 2500, 1008, 1260) == (2000, 2500)


def test_no_copy_when_the_model_image_is_about_as_fine() -> None:
    assert ocr_image_size(932, 1654, 932, 1654) is None
    assert ocr_image_size(1100, 1500, 1008, 1375) is None  # 1.09x finer only
    assert ocr_image_size(932, 2722, 672, 1963) is not None  # 1.39x finer


def test_the_copy_respects_a_lower_page_pixel_limit() -> None:
    width, height = ocr_image_size(6000, 8000, 1008, 1344, max_pixels=4_000_000) or (0, 0)

    assert 0 < width * height <= 4_000_000


def test_the_copy_is_a_gray_jpeg_of_the_size_asked() -> None:
    data, width, height = encode_ocr_image(Image.new("RGB", (400, 600), (200, 180, 160)), (200, 300), 85)

    with Image.open(io.BytesIO(data)) as decoded:
        assert (decoded.format, decoded.mode, decoded.size) == ("JPEG", "L", (200, 300))
    assert (width, height) == (200, 300)
