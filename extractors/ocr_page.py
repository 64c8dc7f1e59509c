"""The page reader: one page image read end to end with RapidOCR's PP-OCRv4 models.

Decode in gray, find text boxes on a reduced copy, turn the page if it is upside down, cut
each box from the full image (:mod:`extractors.ocr_read`), recognise, put back the spaces the
recogniser drops (:mod:`extractors.ocr_spaces`), and join segments into lines with
``extractors.ocr``'s layout rules (runs of two or more spaces between segments).

``read_lines`` is the pipeline's OCR (the local engine's, and so the witness's): it reads a
page's finer gray OCR image where the preparer made one. ``bench/ocr.py`` compares it with
RapidOCR's own pipeline, and every default of :class:`OcrOptions` was chosen there.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from core.errors import BadInputError
from extractors.heap import trim_heap
from extractors.ocr import DET_PIXELS, _group, _join, _segments, ocr_threads
from extractors.ocr_prep import OCR_MAX_PIXELS
from extractors.ocr_read import (
    Image,
    Models,
    crop,
    detect,
    detector_scale,
    load_models,
    recognise,
    turn_around,
    upside_down,
)
from extractors.ocr_spaces import SpaceRule, respace
from models.page import BBox, TextLine

# Raw segments as RapidOCR returns them: [4 corner points, text, score], optionally followed
# by its weakest character probability (``Reading.weakest``).
RawSegment = list[Any]


class OcrOptions(BaseModel):
    """How a page is read. The defaults are the measured choice (see ``bench/ocr.py``)."""

    model_config = ConfigDict(frozen=True)

    det_pixels: int = Field(
        DET_PIXELS,
        ge=100_000,
        le=16_000_000,
        description="Most pixels of the copy the text detector sees; larger pages are scaled "
        "down to it (the detector's time grows with pixels, while crops for reading are cut "
        "from the full image).",
    )
    det_box_thresh: float = Field(0.5, ge=0.0, le=1.0, description="Least mean text score of a box.")
    det_unclip_ratio: float = Field(
        1.6, ge=1.0, le=4.0, description="How far a detected text kernel is grown into a box."
    )
    angle: Literal["sample", "always", "never"] = Field(
        "sample",
        description="Upside-down text: 'sample' classifies a few lines and turns the page only "
        "when most of them are upside down; 'always' classifies every line (RapidOCR's way); "
        "'never' trusts the page to be upright.",
    )
    rec_batch: int = Field(6, ge=1, le=64, description="Crops per recogniser call.")
    rec_min_width: int = Field(
        0,
        ge=0,
        le=2048,
        description="Pad every recogniser batch to at least this width in pixels (RapidOCR "
        "pads to 320); 0 pads a batch to its widest crop only.",
    )
    respace: SpaceRule | None = Field(
        SpaceRule(), description="Put back dropped spaces from the line image; None: off."
    )
    text_score: float = Field(0.5, ge=0.0, le=1.0, description="Least recogniser score of a kept segment.")
    threads: int | None = Field(
        None, ge=1, le=64, description="onnxruntime threads; None: ``ocr_threads()``."
    )
    max_pixels: int = Field(
        OCR_MAX_PIXELS,
        ge=1_000_000,
        description="Largest image decoded at full size; a larger one is decoded at 1/2, 1/4 or "
        "1/8 scale, so one oversized page cannot take the memory.",
    )


DEFAULT_OPTIONS = OcrOptions()

# Full-width forms (U+FF01..FF5E) and CJK punctuation the Chinese-trained recogniser emits
# for Latin print: read as their ASCII counterparts.
_ASCII_FORMS = str.maketrans(
    {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: " ", 0x3001: ",", 0x3002: "."}
)


def _decode(jpeg: bytes, pixels: int, options: OcrOptions) -> Any:
    """The image as 8-bit gray; one of more than ``options.max_pixels`` (``pixels``, as the
    caller states it) is decoded at 1/2, 1/4 or 1/8 scale instead."""
    flag, decoded = cv2.IMREAD_GRAYSCALE, pixels
    for reduced, factor in (
        (cv2.IMREAD_REDUCED_GRAYSCALE_2, 4),
        (cv2.IMREAD_REDUCED_GRAYSCALE_4, 16),
        (cv2.IMREAD_REDUCED_GRAYSCALE_8, 64),
    ):
        if decoded <= options.max_pixels:
            break
        flag, decoded = reduced, pixels // factor
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), flag) if jpeg else None
    if image is None:
        raise BadInputError("OCR could not read the image: not a decodable image", code="ocr_unreadable")
    return image


def lines_from_segments(
    raw: list[RawSegment], width: int, height: int, *, upside_down: bool = False
) -> list[TextLine]:
    """Join raw segments (corner points in pixels of a ``width`` x ``height`` image, text,
    score[, weakest character probability]) into text lines in reading order, boxes normalised
    0..1. ``upside_down``: the points are those of the image turned by 180°; the boxes
    returned are on the image as given."""
    lines = []
    for line in _group(_segments(raw)):
        weights = [len(s.text) for s in line]
        confidence = sum(s.score * w for s, w in zip(line, weights, strict=True)) / sum(weights)
        weakest = [s.weakest for s in line if s.weakest is not None]
        x0 = max(0.0, min(s.x0 for s in line) / width)
        y0 = max(0.0, min(s.y0 for s in line) / height)
        x1 = min(1.0, max(s.x1 for s in line) / width)
        y1 = min(1.0, max(s.y1 for s in line) / height)
        bbox: BBox = (1.0 - x1, 1.0 - y1, 1.0 - x0, 1.0 - y0) if upside_down else (x0, y0, x1, y1)
        lines.append(
            TextLine(
                text=_join(line).translate(_ASCII_FORMS),
                bbox=bbox,
                confidence=max(0.0, min(1.0, confidence)),
                min_char_confidence=max(0.0, min(1.0, confidence, *weakest)) if weakest else None,
            )
        )
    return lines


# Lines the angle classifier reads to decide whether a page is upside down: the widest ones,
# whose verdict is the surest. A page is turned only when most of them agree.
_ANGLE_SAMPLE = 6


def _page_upside_down(models: Models, crops: list[Image]) -> bool:
    widest = sorted(crops, key=lambda c: c.shape[1] / max(c.shape[0], 1), reverse=True)[:_ANGLE_SAMPLE]
    flags = upside_down(models, widest)
    return sum(flags) * 2 > len(flags)


def read_page(image: Image, options: OcrOptions, *, threads: int) -> tuple[list[RawSegment], bool]:
    """The segments of a gray page image as ``[corner points, text, score, weakest character
    probability]`` and whether the page was read turned by 180° (the points are then on the
    turned image)."""
    models = load_models(threads)
    height, width = image.shape[:2]
    scale = detector_scale(width, height, options.det_pixels)
    quads = detect(models, image, scale, options.det_box_thresh, options.det_unclip_ratio)
    if not quads:
        return [], False
    crops = [crop(image, quad) for quad in quads]
    turned = False
    if options.angle == "sample" and _page_upside_down(models, crops):
        # The whole page is turned, not each line, so the reading order comes out right; and
        # found again, as an upright page would be (rare enough to pay the detector twice).
        image = turn_around(image)
        quads = detect(models, image, scale, options.det_box_thresh, options.det_unclip_ratio)
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
        raw.append([quad.tolist(), text, reading.score, reading.weakest])
    return raw, turned


def read_lines(jpeg: bytes, width: int, height: int, options: OcrOptions = DEFAULT_OPTIONS) -> list[TextLine]:
    """Text lines of an image, in reading order, with boxes normalised 0..1 on the image and
    the recogniser's confidence (length-weighted mean over the line's segments) and its
    weakest character probability (``min_char_confidence``). ``width`` x ``height`` is the
    image's pixel size as the caller knows it (it bounds the decode); boxes are fractions of
    the image, so they hold at whatever scale it was decoded. Raises ``BadInputError`` when
    the bytes are not an image."""
    try:
        image = _decode(jpeg, width * height, options)
        page_height, page_width = image.shape[:2]
        raw, turned = read_page(image, options, threads=options.threads or ocr_threads())
    finally:
        # The decoded page, its copies and crops are freed by now, but in the arena of
        # whichever thread of the event loop's pool ran this OCR: given back, or the process
        # would hold the largest page's worth per thread.
        trim_heap()
    lines = lines_from_segments(raw, page_width, page_height, upside_down=turned)
    return [line.model_copy(update={"text": repair_numbers(line.text)}) for line in lines]


# A run of digits and the letters the recogniser reads for digits (O for 0, I and l for 1),
# standing apart from any word: ``4380O``, ``2O18``, ``1O.00``.
_NUMBER_LIKE = re.compile(r"(?<![^\W\d_])[0-9OoIl]{2,}(?![^\W\d_])")
_DIGIT_FOR = str.maketrans("OoIl", "0011")


def repair_numbers(text: str) -> str:
    """``text`` with the letters read inside a number turned into the digits they stand for:
    where a run of digits and ``O o I l`` stands apart from any word and holds at least as
    many digits as such letters (``43800`` for ``438OO``; ``IOI`` and ``Il`` are left as read)."""

    def repaired(found: re.Match[str]) -> str:
        run = found.group(0)
        digits = sum(c.isdigit() for c in run)
        return run.translate(_DIGIT_FOR) if digits and digits * 2 >= len(run) else run

    return _NUMBER_LIKE.sub(repaired, text)
