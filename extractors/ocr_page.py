"""One page read end to end: detect, turn if upside down, cut, recognise, re-space."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from extractors.ocr_read import (
    Image,
    Models,
    Quad,
    crop,
    detect,
    load_models,
    recognise,
    turn_around,
    upside_down,
)
from extractors.ocr_spaces import respace

if TYPE_CHECKING:
    from extractors.ocr import OcrOptions, RawSegment

# Lines the angle classifier reads to decide whether a page is upside down: the widest ones,
# whose verdict is the surest. A page is turned only when most of them agree.
_ANGLE_SAMPLE = 6


def _turned(quad: Quad, width: int, height: int) -> Quad:
    """``quad`` on the image turned by 180°, corners still from its (new) top-left."""
    flipped = np.empty_like(quad)
    flipped[:, 0] = (width - 1) - quad[:, 0]
    flipped[:, 1] = (height - 1) - quad[:, 1]
    return flipped[[2, 3, 0, 1]]


def _page_upside_down(models: Models, crops: list[Image]) -> bool:
    widest = sorted(crops, key=lambda c: c.shape[1] / max(c.shape[0], 1), reverse=True)[:_ANGLE_SAMPLE]
    flags = upside_down(models, widest)
    return sum(flags) * 2 > len(flags)


def read_page(image: Image, options: OcrOptions, *, threads: int) -> tuple[list[RawSegment], bool]:
    """The segments of a gray page image as ``[corner points, text, score]`` and whether the
    page was read turned by 180° (the points are then on the turned image)."""
    models = load_models(threads)
    height, width = image.shape[:2]
    scale = min(1.0, math.sqrt(options.det_pixels / max(width * height, 1)))
    quads = detect(models, image, scale, options.det_box_thresh, options.det_unclip_ratio)
    if not quads:
        return [], False
    crops = [crop(image, quad) for quad in quads]
    turned = False
    if options.angle == "sample" and _page_upside_down(models, crops):
        # The whole page is turned, not each line: the reading order then comes out right.
        image = turn_around(image)
        quads = [_turned(quad, width, height) for quad in quads]
        crops = [crop(image, quad) for quad in quads]
        turned = True
    elif options.angle == "always":
        flags = upside_down(models, crops)
        crops = [turn_around(c) if f else c for c, f in zip(crops, flags, strict=True)]
    readings = recognise(models, crops, options.rec_batch, options.rec_min_width)
    raw: list[Any] = []
    for quad, reading, piece in zip(quads, readings, crops, strict=True):
        if reading.score < options.text_score or not reading.chars:
            continue
        text = respace(reading, piece, options.respace) if options.respace else reading.text
        raw.append([quad.tolist(), text, reading.score])
    return raw, turned
