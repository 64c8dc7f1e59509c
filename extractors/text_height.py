"""How tall a page's printed characters are, in pixels: the input of the tile budget.

``glyph_height_px`` binarises a gray page against its local background (ink is darker than
the mean of its neighbourhood by a margin), labels the connected ink blobs, keeps the ones
shaped like printed characters (a few pixels to a tenth of the page high, not a rule line,
not a filled box) and answers their median height. Characters that touch at a small size
merge into wider blobs of the same height, so the median still reads the character height.
Too few character-like blobs (a photo, a blank page, a drawing): None, and the caller keeps
the full tile grid.

OpenCV (the OCR's dependency) does the thresholding and labelling: a page of 1.8 megapixels
takes about 20 ms. Runs off the event loop (the llama engine calls it in a thread).
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

# Fewer character-like blobs than this and the page is not read as printed text.
MIN_GLYPHS = 40
_MIN_GLYPH_PX = 4  # shorter blobs are specks, dots and rule lines at any useful size
_BLOCK_FRACTION = 0.02  # neighbourhood of the local threshold: 2 % of the longer side
_INK_MARGIN = 12  # gray levels darker than the neighbourhood mean that count as ink
_MAX_ASPECT = 12.0  # a blob wider than this many heights is a rule, an underline, a bar
_MIN_FILL = 0.08  # ink over box: thinner is a frame or a table border
_MAX_FILL = 0.92  # fuller is a filled box, a logo block, a photo region


def glyph_height_px(gray: npt.NDArray[np.uint8]) -> float | None:
    """Median height in pixels of the character-like ink blobs of a gray page image, or None
    when fewer than ``MIN_GLYPHS`` are found."""
    if gray.ndim != 2 or min(gray.shape) < 2 * _MIN_GLYPH_PX:
        return None
    block = max(3, int(max(gray.shape) * _BLOCK_FRACTION)) | 1  # odd, as OpenCV wants
    ink = cv2.adaptiveThreshold(
        gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, _INK_MARGIN
    )
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return None
    boxes = stats[1:]  # label 0 is the background
    widths = boxes[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    heights = boxes[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    fill = boxes[:, cv2.CC_STAT_AREA] / (widths * heights)
    glyphs = (
        (heights >= _MIN_GLYPH_PX)
        & (heights <= gray.shape[0] / 10)
        & (widths <= _MAX_ASPECT * heights)
        & (fill >= _MIN_FILL)
        & (fill <= _MAX_FILL)
    )
    if int(glyphs.sum()) < MIN_GLYPHS:
        return None
    return float(np.median(heights[glyphs]))


def jpeg_glyph_height_px(jpeg: bytes) -> float | None:
    """``glyph_height_px`` of a JPEG page image (decoded gray); None for bytes that do not
    decode."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            gray = np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return glyph_height_px(gray)
