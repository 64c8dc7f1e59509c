"""The OCR image: a page at the resolution OCR reads best, when that is finer than the model's.

Every rendered page carries an image fitted to Llama 4's tile grid (at most 16 tiles of
336 px). For a letter-size page that is about 120 dpi, and on a 600-dpi receipt scan letters
end up 8 to 10 pixels high: the recogniser, which reads every line scaled to 48 pixels, then
glues words, drops dates and misreads digits (``bench/ocr.py``: compare its ``default`` and
``no-ocr-image`` lines on the SROIE scans of 4961 x 7016 pixels).

So a page whose natural resolution is clearly finer than its model image is to carry a gray
OCR image too: image files at their natural size (JPEGs at the nearest of libjpeg's 1/2,
1/4, 1/8 decoding scales), PDF pages at ``OCR_DPI``, both within ``OCR_MAX_PIXELS`` (A4 at
300 dpi fits). OCR reads that one; the model still gets the tile image. Gray JPEG keeps it
small (a 600-dpi receipt scan at half size is about 260 KB) and OCR decodes gray anyway.
Pillow only, no OpenCV: this runs in the render workers. Until the preparer makes the copy,
``bench/ocr.py`` makes it with these functions, the way the preparer will.
"""

from __future__ import annotations

import io
import math

from PIL import Image

OCR_MAX_PIXELS = 9_000_000  # A4 at 300 dpi is 8.7 megapixels
OCR_DPI = 300.0  # the resolution PDF pages are rendered at for OCR (before the cap)
# A copy only pays for itself when it is clearly finer than the model image.
_FINER = 1.25


def ocr_image_size(
    natural_w: float,
    natural_h: float,
    model_w: int,
    model_h: int,
    max_pixels: int = OCR_MAX_PIXELS,
    *,
    halvings: bool = False,
) -> tuple[int, int] | None:
    """The pixel size of the OCR image for a page of natural size ``natural_w`` x
    ``natural_h`` whose model image is ``model_w`` x ``model_h``; None when the model image
    is fine enough for OCR (then OCR reads it). Never more than ``max_pixels``.

    ``halvings``: only the natural size divided by 1, 2, 4 or 8, the scales libjpeg decodes
    at directly, so a JPEG is never decoded larger and resized (a 600-dpi A4 scan: decoded at
    half size in 30 ms instead of in full and resized in 300 ms).
    """
    if not (natural_w > 0 and natural_h > 0):
        return None
    limit = min(max_pixels, OCR_MAX_PIXELS)
    if halvings:
        divisor = next((d for d in (1, 2, 4, 8) if natural_w * natural_h / (d * d) <= limit), 8)
        # Rounded down, as Pillow's draft() wants the request; libjpeg's result may be a
        # pixel larger (it rounds up), and that size is then kept as it is.
        width, height = max(1, math.floor(natural_w / divisor)), max(1, math.floor(natural_h / divisor))
    else:
        scale = min(1.0, math.sqrt(limit / (natural_w * natural_h)))
        width, height = max(1, math.floor(natural_w * scale)), max(1, math.floor(natural_h * scale))
    if width < _FINER * model_w and height < _FINER * model_h:
        return None
    return width, height


def encode_ocr_image(image: Image.Image, size: tuple[int, int], quality: int) -> tuple[bytes, int, int]:
    """The gray JPEG of ``image`` (any mode Pillow converts to L) at ``size``, and its size."""
    gray = image if image.mode == "L" else image.convert("L")
    if gray.size != size:
        gray = gray.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    gray.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue(), gray.width, gray.height
