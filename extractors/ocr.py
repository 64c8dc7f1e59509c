"""OCR of a page image with RapidOCR (PP-OCRv4 ONNX models shipped inside the wheel; offline).

RapidOCR returns one box per text segment. ``ocr_lines`` joins the segments that sit on one
baseline into a line, in reading order, and pads the gap between two segments with as many
spaces as the gap is wide in characters (at least two), the way ``pdftotext -layout`` does:
the field mapper then finds labels, values and table columns by those runs of spaces, and can
estimate each piece's x-position from its character offset.
"""

from __future__ import annotations

import functools
import math
import os
import statistics
from dataclasses import dataclass
from typing import Any

from core.errors import BadInputError
from extractors.heap import trim_heap
from models.page import TextLine

OCR_MODEL = "rapidocr-ppocrv4"

# RapidOCR's defaults: a page is first shrunk to a longest side of at most 2000 pixels, then
# the detector reads it grown to a shortest side of at least 736, both rounded to 32 pixels.
_MAX_SIDE, _DETECTOR_MIN_SIDE = 2000, 736
# What one OCR adds to the process at its peak: a part that grows with the detector's input
# (its float tensors and feature maps) and a part that does not (the recogniser's batches of
# line crops, the page's decoded copies). python -m bench.ocr_memory measured 250-311 MiB
# for pages of 1.1-1.8 detector megapixels, a few MiB either side of what these reserve.
OCR_BASE_BYTES = 170 * 1024 * 1024
OCR_BYTES_PER_DETECTOR_PIXEL = 80


def ocr_threads() -> int:
    """onnxruntime threads per OCR: all cores up to 4 (more buys little for one page), and
    the engine runs at most ``ocr_concurrency()`` OCRs at once so the two never oversubscribe."""
    return max(1, min(4, (os.cpu_count() or 1) // ocr_concurrency()))


def ocr_concurrency() -> int:
    """OCRs run at the same time: one on a machine of up to four cores, else two."""
    return 1 if (os.cpu_count() or 1) <= 4 else 2


def detector_pixels(width: int, height: int) -> int:
    """Pixels of the detector's input for a ``width`` x ``height`` page image."""
    scale = min(1.0, _MAX_SIDE / max(width, height, 1))
    scale *= max(1.0, _DETECTOR_MIN_SIDE / max(min(width, height) * scale, 1.0))
    return max(32, round(width * scale / 32) * 32) * max(32, round(height * scale / 32) * 32)


def ocr_memory_cost(width: int, height: int) -> int:
    """Bytes one OCR of a ``width`` x ``height`` page image needs at its peak (an estimate
    from the detector's input size; what the engine reserves before it runs)."""
    return OCR_BASE_BYTES + OCR_BYTES_PER_DETECTOR_PIXEL * detector_pixels(width, height)


@functools.cache
def _recogniser() -> Any:
    """The RapidOCR pipeline, loaded once per process (read-only after loading), its three
    onnxruntime sessions replaced by :class:`_LeanSession`s."""
    from rapidocr_onnxruntime import RapidOCR  # imported late: onnxruntime takes a while

    threads = ocr_threads()
    recogniser = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
    for wrapper in (recogniser.text_det.infer, recogniser.text_cls.infer, recogniser.text_rec.session):
        wrapper.session = _LeanSession(wrapper.session._model_path, threads)
    return recogniser


class _LeanSession:
    """An onnxruntime session that gives its working memory back after every run.

    RapidOCR's own sessions run without onnxruntime's arena, so every tensor of a run is a
    glibc allocation made from the session's threads: the heap then grows to about twice the
    run's live tensors (a 1344 x 1344 page: ~550 MiB over the model) and keeps that size for
    the process's life. With the arena growing by what is asked and shrunk at the end of each
    run, a run's peak is about its live tensors (~250 MiB) and ~40 MiB stay. Same graph, same
    kernels, same threads: the numbers computed are the same."""

    def __init__(self, model_path: str, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.enable_cpu_mem_arena = True
        options.enable_mem_pattern = False
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        provider = ("CPUExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"})
        self._session = ort.InferenceSession(model_path, sess_options=options, providers=[provider])
        self._run_options = ort.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: list[str] | None, inputs: dict[str, Any]) -> list[Any]:
        return list(self._session.run(output_names, inputs, self._run_options))

    def __getattr__(self, name: str) -> Any:  # get_inputs, get_outputs, get_modelmeta, ...
        return getattr(self._session, name)


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


def ocr_lines(jpeg: bytes, width: int, height: int) -> list[TextLine]:
    """Text lines of an image, in reading order, with boxes normalised 0..1 by ``width`` x
    ``height`` (the image's pixel size) and the recogniser's confidence (length-weighted mean
    over the line's segments). Raises ``BadInputError`` when the bytes are not an image."""
    try:
        raw, _ = _recogniser()(jpeg)
    except Exception as exc:  # RapidOCR raises its own LoadImageError and cv2 errors
        raise BadInputError(f"OCR could not read the image: {exc}", code="ocr_unreadable") from exc
    finally:
        # The decoded page, its resized copies and crops are freed by now, but in the arena
        # of whichever thread of the event loop's pool ran this OCR: given back, or the
        # process would hold the largest page's worth per thread.
        trim_heap()
    lines = []
    for line in _group(_segments(raw or [])):
        weights = [len(s.text) for s in line]
        confidence = sum(s.score * w for s, w in zip(line, weights, strict=True)) / sum(weights)
        bbox = (
            max(0.0, min(s.x0 for s in line) / width),
            max(0.0, min(s.y0 for s in line) / height),
            min(1.0, max(s.x1 for s in line) / width),
            min(1.0, max(s.y1 for s in line) / height),
        )
        lines.append(TextLine(text=_join(line), bbox=bbox, confidence=max(0.0, min(1.0, confidence))))
    return lines
