"""How tall a page's printed characters are, in pixels, and where its text lies: the inputs
of the tile budget.

``glyph_height_px`` binarises a gray page against its local background (ink is darker than
the mean of its neighbourhood by a margin), labels the connected ink blobs, keeps the ones
shaped like printed characters (a few pixels to a tenth of the page high, not a rule line,
not a filled box) and answers their median height. Characters that touch at a small size
merge into wider blobs of the same height, so the median still reads the character height.
Too few character-like blobs (a photo, a blank page, a drawing): None, and the caller keeps
the full tile grid.

``text_box`` finds the rectangle that holds every piece of text on the page, so that the
blank bed around a small receipt can be cut off before the grid is chosen. Ink closer than
two character heights to other ink joins one region (words, lines, columns, a logo, a
stamp); a region holds text or a picture when its ink weighs at least about two characters
(``_MIN_REGION_INK`` of a character's height squared), otherwise it is dust, a speck, a
stray dot on the scanner bed. Thin straight lines (a rule, the edge of the paper or of the
scanner's lid) do not count as text: a page's frame is not needed to read it. The box is
the union of the regions that count, widened by two character heights on each side.

OpenCV (the OCR's dependency) does the thresholding and labelling: a page of 1.8 megapixels
takes about 20 ms. Runs off the event loop (the llama engine calls it in a thread).
"""

from __future__ import annotations

import io
import math

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


# The text box (``text_box``), in character heights (the measured median).
_REGION_REACH = 2.0  # ink this close to other ink is one region
_MIN_REGION_INK = 0.6  # ink pixels a region needs, in heights squared (two characters' worth)
_LINE_MIN_LENGTH = 4.0  # a blob at least this long and ...
_LINE_MAX_THICKNESS = 0.5  # ... at most this thick is a line, not text
_BOX_MARGIN = 2.0  # blank kept around the text on each side (OCR misreads text at an edge)

PixelBox = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom exclusive)


def _ink(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """1 where a pixel is darker than its neighbourhood's mean by ``_INK_MARGIN``, else 0."""
    block = max(3, int(max(gray.shape) * _BLOCK_FRACTION)) | 1  # odd, as OpenCV wants
    ink = cv2.adaptiveThreshold(
        gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, _INK_MARGIN
    )
    return np.asarray(ink, dtype=np.uint8)


Blobs = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int32], npt.NDArray[np.int32]]


def _blobs(gray: npt.NDArray[np.uint8]) -> Blobs:
    """The ink mask, its connected blobs' label image and their stats (label 0: background)."""
    ink = _ink(gray)
    _count, labels, stats, _centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return ink, np.asarray(labels, dtype=np.int32), np.asarray(stats, dtype=np.int32)


def _median_glyph_height(stats: npt.NDArray[np.int32], page_height: int) -> float | None:
    boxes = stats[1:]  # label 0 is the background
    if len(boxes) == 0:
        return None
    widths = boxes[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    heights = boxes[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    fill = boxes[:, cv2.CC_STAT_AREA] / (widths * heights)
    glyphs = (
        (heights >= _MIN_GLYPH_PX)
        & (heights <= page_height / 10)
        & (widths <= _MAX_ASPECT * heights)
        & (fill >= _MIN_FILL)
        & (fill <= _MAX_FILL)
    )
    if int(glyphs.sum()) < MIN_GLYPHS:
        return None
    return float(np.median(heights[glyphs]))


def _usable(gray: npt.NDArray[np.uint8]) -> bool:
    return gray.ndim == 2 and min(gray.shape) >= 2 * _MIN_GLYPH_PX


def glyph_height_px(gray: npt.NDArray[np.uint8]) -> float | None:
    """Median height in pixels of the character-like ink blobs of a gray page image, or None
    when fewer than ``MIN_GLYPHS`` are found."""
    if not _usable(gray):
        return None
    _ink_mask, _labels, stats = _blobs(gray)
    return _median_glyph_height(stats, gray.shape[0])


def text_box(gray: npt.NDArray[np.uint8], text_height_px: float) -> PixelBox | None:
    """The rectangle of a gray page image that holds all its text (see the module's
    docstring), in pixels; None when no region of the page weighs as much as text.

    ``text_height_px`` is the page's character height (``glyph_height_px``): it sizes the
    reach that joins ink into regions, the weight a region needs and the margin.
    """
    if not (_usable(gray) and text_height_px > 0):
        return None
    return _text_box(_blobs(gray), text_height_px, gray.shape)


def text_height_and_box(gray: npt.NDArray[np.uint8]) -> tuple[float | None, PixelBox | None]:
    """``glyph_height_px`` and ``text_box`` from one thresholding and labelling of the page
    (what the tile budget needs); no height, no box."""
    if not _usable(gray):
        return None, None
    blobs = _blobs(gray)
    height = _median_glyph_height(blobs[2], gray.shape[0])
    if height is None:
        return None, None
    return height, _text_box(blobs, height, gray.shape)


def _text_box(blobs: Blobs, text_height_px: float, shape: tuple[int, ...]) -> PixelBox | None:
    ink, labels, stats = blobs
    ink = ink.copy()
    thickness = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    length = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    line = (length >= _LINE_MIN_LENGTH * text_height_px) & (thickness <= _LINE_MAX_THICKNESS * text_height_px)
    line[0] = False  # label 0 is the background
    for index in np.flatnonzero(line):  # a page has few lines: clear each in its own box
        x, y, w, h = (int(v) for v in stats[index, :4])
        window = ink[y : y + h, x : x + w]
        window[labels[y : y + h, x : x + w] == index] = 0
    reach = max(3, round(_REGION_REACH * text_height_px)) | 1
    grown = cv2.dilate(ink, np.ones((reach, reach), np.uint8))
    regions, region_of = cv2.connectedComponents(grown, connectivity=8)
    points = cv2.findNonZero(ink)
    if points is None:
        return None
    xs, ys = points.reshape(-1, 2).T
    owner = region_of[ys, xs]
    weight = np.bincount(owner, minlength=regions)
    text = weight[owner] >= _MIN_REGION_INK * text_height_px**2
    if not text.any():
        return None
    margin = math.ceil(_BOX_MARGIN * text_height_px)
    height, width = shape[0], shape[1]
    return (
        max(0, int(xs[text].min()) - margin),
        max(0, int(ys[text].min()) - margin),
        min(width, int(xs[text].max()) + 1 + margin),
        min(height, int(ys[text].max()) + 1 + margin),
    )


def jpeg_glyph_height_px(jpeg: bytes) -> float | None:
    """``glyph_height_px`` of a JPEG page image (decoded gray); None for bytes that do not
    decode."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            gray = np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return glyph_height_px(gray)
