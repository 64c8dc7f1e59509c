"""The pipeline's OCR: what reads a page (its name, threads, memory) and how segments become lines.

The reader itself is :func:`extractors.ocr_page.read_lines` (RapidOCR's PP-OCRv4 models driven
directly; every option measured by ``bench/ocr.py``). It reads a page's finer gray OCR image
where the preparer made one (:mod:`extractors.ocr_prep`), else the model image.

It reads one box per text segment. The segments that sit on one baseline are joined into a
line, in reading order, and the gap between two segments is padded with as many spaces as the
gap is wide in characters (at least two), the way ``pdftotext -layout`` does: the field mapper
then finds labels, values and table columns by those runs of spaces, and can estimate each
piece's x-position from its character offset.
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass
from typing import Any

from extractors.ocr_prep import OCR_MAX_PIXELS

# What read the page, in every result's ``model`` and so in fingerprints: the OCR models, then
# after "+" the version of Folio's own page reader (the catalog lists the models alone).
OCR_MODEL = "rapidocr-ppocrv4+reader-2"

# Most pixels the reader's text detector sees by default (``extractors.ocr_page.OcrOptions``).
DET_PIXELS = 1_400_000
# What one OCR adds to the process at its peak: a part that grows with the detector's input
# (its float tensors and feature maps), a part that grows with the image read (the decoded gray
# page, its turned copy, the line crops) and a part that does neither (the recogniser's
# batches, which vary with the lines' widths). python -m bench.ocr_memory measured 241-309 MiB
# for model images and 300-dpi OCR images (1.1-1.4 detector megapixels, 0.6-8.7 megapixels
# read), and 122 MiB for a 336 x 336 image.
OCR_BASE_BYTES = 200 * 1024 * 1024
OCR_BYTES_PER_DETECTOR_PIXEL = 80
OCR_BYTES_PER_IMAGE_PIXEL = 4


def ocr_threads() -> int:
    """onnxruntime threads per OCR: all cores up to 4 (more buys little for one page), and
    the engine runs at most ``ocr_concurrency()`` OCRs at once so the two never oversubscribe."""
    return max(1, min(4, (os.cpu_count() or 1) // ocr_concurrency()))


def ocr_concurrency() -> int:
    """OCRs run at the same time: one on a machine of up to four cores, else two."""
    return 1 if (os.cpu_count() or 1) <= 4 else 2


def decoded_size(width: int, height: int) -> tuple[int, int]:
    """The size of a ``width`` x ``height`` image once the reader has decoded it: a large one
    is decoded at 1/2, 1/4 or 1/8 scale (``extractors.ocr_page``)."""
    divisor = next((d for d in (1, 2, 4) if width * height <= OCR_MAX_PIXELS * d * d), 8)
    return -(-width // divisor), -(-height // divisor)


def detector_pixels(width: int, height: int) -> int:
    """Pixels of the detector's input for a ``width`` x ``height`` image."""
    # Imported late, as the reader is: OpenCV takes a while, and text pages never need it.
    from extractors.ocr_read import detector_scale, detector_size

    decoded_w, decoded_h = decoded_size(width, height)
    det_w, det_h = detector_size(decoded_w, decoded_h, detector_scale(decoded_w, decoded_h, DET_PIXELS))
    return det_w * det_h


def ocr_memory_cost(width: int, height: int) -> int:
    """Bytes one OCR of a ``width`` x ``height`` image needs at its peak (an estimate from
    the detector's input and the decoded image; what the engine reserves before it runs)."""
    return (
        OCR_BASE_BYTES
        + OCR_BYTES_PER_DETECTOR_PIXEL * detector_pixels(width, height)
        + OCR_BYTES_PER_IMAGE_PIXEL * math.prod(decoded_size(width, height))
    )


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
    weakest: float | None = None  # weakest character probability, where the reader gives it

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


def _segments(raw: list[Any]) -> list[_Segment]:
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
                    weakest=float(item[3]) if len(item) > 3 and item[3] is not None else None,
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
