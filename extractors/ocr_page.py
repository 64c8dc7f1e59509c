"""The page reader: one page image read end to end with RapidOCR's PP-OCRv4 models.

Decode in gray, find text boxes on a reduced copy, turn the page if it is upside down or on
its side, cut each box from the full image (:mod:`extractors.ocr_read`), recognise, put back
the spaces the recogniser drops (:mod:`extractors.ocr_spaces`), and join segments into lines
with ``extractors.ocr``'s layout rules (runs of two or more spaces between segments).

``read_page_lines`` is the pipeline's OCR (the local engine's, and so the witness's): it reads
a page's finer gray OCR image where the preparer made one, and says how far the image was
turned from the frame its text reads in; ``read_lines`` gives its lines alone.
``bench/ocr.py`` compares it with RapidOCR's own pipeline, and every default of
:class:`OcrOptions` was chosen there.
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
    Quad,
    crop,
    detect,
    detector_scale,
    load_models,
    recognise,
    turn_around,
    upside_down,
)
from extractors.ocr_spaces import SpaceRule, respace
from extractors.reading_frame import to_shown
from models.page import OcrReading, TextLine, Turn

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
        "'never' trusts the page to be upright. A page on its side is turned upright in "
        "'sample' and 'always' alike.",
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


def lines_from_segments(raw: list[RawSegment], width: int, height: int, *, turn: Turn = 0) -> list[TextLine]:
    """Join raw segments (corner points in pixels of a ``width`` x ``height`` image, text,
    score[, weakest character probability]) into text lines in reading order, boxes normalised
    0..1. ``turn``: the image as given is turned that far clockwise from the one the points
    are on (the page turned into its reading frame, ``width`` x ``height``); the boxes
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
        lines.append(
            TextLine(
                text=_join(line).translate(_ASCII_FORMS),
                bbox=to_shown((x0, y0, x1, y1), turn),
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


# A page on its side: its text boxes stand on end. A box stands when it is at least twice as
# tall as wide, and the page is sideways when at least three boxes stand, they are at least
# half of all its boxes and they outnumber the boxes lying (twice as wide as tall) three to
# one. Measured on SROIE's first 30 receipts and the generated scans and photos: upright, no
# box stands; turned a quarter, none lies and 62-98 % stand (the rest are short words and
# lone digits). A column of lone narrow glyphs (1, I, l) has standing boxes too, but among
# as many squat ones.
_LONG_BOX = 2.0
_LEAST_STANDING = 3
_STANDING_OF_ALL = 0.5
_STANDING_TO_LYING = 3


def _standing_boxes(quads: list[Quad]) -> list[bool] | None:
    """Which boxes stand, when the page is on its side; None when it is not."""
    corners = np.stack(quads)
    across = np.linalg.norm(corners[:, 1] - corners[:, 0], axis=1) + np.linalg.norm(
        corners[:, 2] - corners[:, 3], axis=1
    )
    down = np.linalg.norm(corners[:, 3] - corners[:, 0], axis=1) + np.linalg.norm(
        corners[:, 2] - corners[:, 1], axis=1
    )
    standing = down >= _LONG_BOX * across
    count, lying = int(np.count_nonzero(standing)), int(np.count_nonzero(across >= _LONG_BOX * down))
    sideways = count >= _LEAST_STANDING and count >= _STANDING_OF_ALL * len(quads)
    if sideways and count > _STANDING_TO_LYING * lying:
        return [bool(flag) for flag in standing]
    return None


def _turned_upright(image: Image, turn: Turn) -> Image:
    """``image`` (turned ``turn``° clockwise from its reading frame) turned back into it."""
    if turn == 90:
        return np.asarray(cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE), dtype=np.uint8)
    if turn == 270:
        return np.asarray(cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE), dtype=np.uint8)
    return turn_around(image) if turn == 180 else image


def _page_turn(models: Models, quads: list[Quad], crops: list[Image], options: OcrOptions) -> Turn:
    """How far the page is turned clockwise from its reading frame, from the boxes already
    found (on an upright page this costs the sideways test and the angle sample alone)."""
    if options.angle == "never":
        return 0
    standing = _standing_boxes(quads)
    if standing is not None:
        # crop() stands a standing box's content up by a quarter turn counter-clockwise:
        # upright then, the page is turned 90° clockwise; upside down, 270°.
        stood_up = [c for c, stands in zip(crops, standing, strict=True) if stands]
        return 270 if _page_upside_down(models, stood_up) else 90
    if options.angle == "sample" and _page_upside_down(models, crops):
        return 180
    return 0


def read_page(image: Image, options: OcrOptions, *, threads: int) -> tuple[list[RawSegment], Turn]:
    """The segments of a gray page image as ``[corner points, text, score, weakest character
    probability]`` and how far the page is turned clockwise from its reading frame (0, 90,
    180 or 270; when turned, the points are on the image turned back into that frame)."""
    models = load_models(threads)
    height, width = image.shape[:2]
    scale = detector_scale(width, height, options.det_pixels)
    quads = detect(models, image, scale, options.det_box_thresh, options.det_unclip_ratio)
    if not quads:
        return [], 0
    crops = [crop(image, quad) for quad in quads]
    turn = _page_turn(models, quads, crops, options)
    if turn:
        # The whole page is turned, not each line, so the reading order comes out right; and
        # found again, as an upright page would be (rare enough to pay the detector twice).
        # The scale holds: it depends on the page's pixels and its short side alone.
        image = _turned_upright(image, turn)
        quads = detect(models, image, scale, options.det_box_thresh, options.det_unclip_ratio)
        crops = [crop(image, quad) for quad in quads]
    if options.angle == "always":
        flags = upside_down(models, crops)
        crops = [turn_around(c) if f else c for c, f in zip(crops, flags, strict=True)]
    readings = recognise(models, crops, options.rec_batch, options.rec_min_width)
    raw: list[Any] = []
    for quad, reading, piece in zip(quads, readings, crops, strict=True):
        if reading.score < options.text_score or not reading.chars:
            continue
        text = respace(reading, piece, options.respace) if options.respace else reading.text
        raw.append([quad.tolist(), text, reading.score, reading.weakest])
    return raw, turn


def read_page_lines(
    jpeg: bytes, width: int, height: int, options: OcrOptions = DEFAULT_OPTIONS
) -> OcrReading:
    """Text lines of an image, in reading order, with boxes normalised 0..1 on the image as
    given and the recogniser's confidence (length-weighted mean over the line's segments) and
    its weakest character probability (``min_char_confidence``); and the turn the reader
    found (the image as given turned that far clockwise from the frame its text reads in).
    ``width`` x ``height`` is the image's pixel size as the caller knows it (it bounds the
    decode); boxes are fractions of the image, so they hold at whatever scale it was decoded.
    Raises ``BadInputError`` when the bytes are not an image."""
    try:
        image = _decode(jpeg, width * height, options)
        page_height, page_width = image.shape[:2]
        raw, turn = read_page(image, options, threads=options.threads or ocr_threads())
    finally:
        # The decoded page, its copies and crops are freed by now, but in the arena of
        # whichever thread of the event loop's pool ran this OCR: given back, or the process
        # would hold the largest page's worth per thread.
        trim_heap()
    if turn in (90, 270):
        page_width, page_height = page_height, page_width  # the points are on the page stood up
    lines = lines_from_segments(raw, page_width, page_height, turn=turn)
    repaired = [line.model_copy(update={"text": repair_numbers(line.text)}) for line in lines]
    return OcrReading(lines=repaired, turn=turn)


def read_lines(jpeg: bytes, width: int, height: int, options: OcrOptions = DEFAULT_OPTIONS) -> list[TextLine]:
    """The lines of :func:`read_page_lines` alone (boxes on the image as given)."""
    return read_page_lines(jpeg, width, height, options).lines


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
