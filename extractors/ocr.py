"""OCR of a page image with RapidOCR's PP-OCRv4 models (shipped inside the wheel; offline).

``ocr_lines`` decodes the page in gray, finds text boxes on a reduced copy, reads each box
from the full image (:mod:`extractors.ocr_read`), puts back the spaces the recogniser drops
(:mod:`extractors.ocr_spaces`), and joins the segments that sit on one baseline into a line,
in reading order. The gap between two segments is padded with as many spaces as the gap is
wide in characters (at least two), the way ``pdftotext -layout`` does: the field mapper then
finds labels, values and table columns by those runs of spaces, and can estimate each piece's
x-position from its character offset.

Every setting was chosen by measurement on scanned receipts (``bench/ocr.py`` prints speed
and an accuracy independent of the field mapper for any set of :class:`OcrOptions`).
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import BadInputError
from extractors.ocr_prep import OCR_MAX_PIXELS
from extractors.ocr_spaces import SpaceRule
from models.page import BBox, TextLine

# Part of every result's fingerprint (through the local engine's model name): bumped whenever
# the same image can read differently.
OCR_MODEL = "rapidocr-ppocrv4"

# Raw segments as RapidOCR returns them: [4 corner points, text, score].
RawSegment = list[Any]


def ocr_threads() -> int:
    """onnxruntime threads per OCR: all cores up to 4 (more buys little for one page), and
    the engine runs at most ``ocr_concurrency()`` OCRs at once so the two never oversubscribe."""
    return max(1, min(4, (os.cpu_count() or 1) // ocr_concurrency()))


def ocr_concurrency() -> int:
    """OCRs run at the same time: one on a machine of up to four cores, else two."""
    return 1 if (os.cpu_count() or 1) <= 4 else 2


class OcrOptions(BaseModel):
    """How a page is read. The defaults are the measured choice (see ``bench/ocr.py``)."""

    model_config = ConfigDict(frozen=True)

    det_pixels: int = Field(
        1_400_000,
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
    import cv2
    import numpy as np

    flag = cv2.IMREAD_GRAYSCALE
    for reduced, factor in (
        (cv2.IMREAD_REDUCED_GRAYSCALE_2, 4),
        (cv2.IMREAD_REDUCED_GRAYSCALE_4, 16),
        (cv2.IMREAD_REDUCED_GRAYSCALE_8, 64),
    ):
        if pixels <= options.max_pixels:
            break
        flag, pixels = reduced, pixels // factor
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), flag) if jpeg else None
    if image is None:
        raise BadInputError("OCR could not read the image: not a decodable image", code="ocr_unreadable")
    return image


@dataclass(frozen=True)
class _Segment:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float
    cx: float  # centre in de-rotated page coordinates
    cy: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _skew(quads: list[list[list[float]]]) -> float:
    """Median angle (radians) of the wide segments' top edges: the page's rotation."""
    angles = []
    for (ax, ay), (bx, by), _, (_dx, dy) in quads:
        width, height = math.hypot(bx - ax, by - ay), abs(dy - ay)
        if width > 2 * max(height, 1.0):
            angles.append(math.atan2(by - ay, bx - ax))
    return statistics.median(angles) if angles else 0.0


def _segments(raw: list[RawSegment]) -> list[_Segment]:
    quads = [[[float(v) for v in point] for point in item[0]] for item in raw]
    angle = _skew(quads)
    cos, sin = math.cos(-angle), math.sin(-angle)
    segments = []
    for quad, item in zip(quads, raw, strict=True):
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        mx, my = sum(xs) / 4, sum(ys) / 4
        text = str(item[1]).strip()
        if text:
            segments.append(
                _Segment(
                    text=text,
                    score=float(item[2]),
                    x0=min(xs),
                    y0=min(ys),
                    x1=max(xs),
                    y1=max(ys),
                    cx=mx * cos - my * sin,
                    cy=mx * sin + my * cos,
                )
            )
    return segments


def _group(segments: list[_Segment]) -> list[list[_Segment]]:
    """Segments whose de-rotated centres are within half a text height form one line."""
    if not segments:
        return []
    typical = statistics.median(s.height for s in segments)
    lines: list[list[_Segment]] = []
    for segment in sorted(segments, key=lambda s: s.cx):
        best, best_distance = None, 0.5 * typical
        for line in lines:
            last = line[-1]
            distance = abs(last.cy - segment.cy)
            if distance < best_distance and last.cx < segment.cx:
                best, best_distance = line, distance
        if best is None:
            lines.append([segment])
        else:
            best.append(segment)
    lines.sort(key=lambda line: statistics.fmean(s.cy for s in line))
    return lines


def _join(line: list[_Segment]) -> str:
    parts = [line[0].text]
    for previous, segment in zip(line, line[1:], strict=False):
        char_width = (previous.x1 - previous.x0) / max(len(previous.text), 1)
        gap = max(0.0, segment.x0 - previous.x1)
        parts.append(" " * max(2, min(60, round(gap / max(char_width, 1.0)))))
        parts.append(segment.text)
    return "".join(parts)


def lines_from_segments(
    raw: list[RawSegment], width: int, height: int, *, upside_down: bool = False
) -> list[TextLine]:
    """Join raw segments (corner points in pixels of a ``width`` x ``height`` image, text,
    score) into text lines in reading order, boxes normalised 0..1. ``upside_down``: the
    points are those of the image turned by 180°; the boxes returned are on the image as
    given."""
    lines = []
    for line in _group(_segments(raw)):
        weights = [len(s.text) for s in line]
        confidence = sum(s.score * w for s, w in zip(line, weights, strict=True)) / sum(weights)
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
            )
        )
    return lines


def ocr_lines(jpeg: bytes, width: int, height: int, options: OcrOptions = DEFAULT_OPTIONS) -> list[TextLine]:
    """Text lines of an image, in reading order, with boxes normalised 0..1 on the image and
    the recogniser's confidence (length-weighted mean over the line's segments). ``width`` x
    ``height`` is the image's pixel size as the caller knows it; boxes are fractions of the
    image, so they hold whatever scale it was decoded at. Raises ``BadInputError`` when the
    bytes are not an image."""
    from extractors.ocr_page import read_page  # imported late: onnxruntime takes a while

    image = _decode(jpeg, width * height, options)
    page_height, page_width = image.shape[:2]
    raw, upside_down = read_page(image, options, threads=options.threads or ocr_threads())
    return lines_from_segments(raw, page_width, page_height, upside_down=upside_down)
