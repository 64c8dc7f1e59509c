"""RapidOCR's three PP-OCRv4 models driven directly with onnxruntime: detect, check, recognise.

The models are the ones inside the ``rapidocr-onnxruntime`` wheel (offline). Folio runs them
itself rather than through ``RapidOCR.__call__`` because each step wants something that
wrapper does not offer:

- the detector runs on a reduced copy of the page (its cost grows with pixels) while the
  crops are cut from the page image itself (recognition always sees 48-pixel-high crops, so
  it wants the sharpest source there is);
- the angle classifier runs on a sample of lines and only reads every line when the sample
  says the page is upside down (on an upright page it is pure cost);
- recognition keeps the time step of every character, so the spaces the recogniser drops can
  be put back where the crop shows a gap (:mod:`extractors.ocr_spaces`);
- a batch is padded to its own widest crop, not to RapidOCR's 320-pixel minimum;
- onnxruntime's worker threads sleep instead of spinning between calls: on two cores shared
  with render workers, spinning burns CPU that the rest of the pipeline needs;
- each session's memory arena grows by what a run asks and shrinks back after it
  (:class:`_LeanSession`), so one large page does not leave its peak in the process.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float32]  # 4 x 2 corners: top-left, top-right, bottom-right, bottom-left

REC_HEIGHT = 48  # the recogniser's input height (PP-OCRv4)
REC_STEP = 8  # input pixels per output time step of the recogniser
_CLS_SHAPE = (48, 192)  # the angle classifier's input height and width
_DET_MULTIPLE = 32  # the detector needs sides that are multiples of this
_DET_SHORT_SIDE = 736  # RapidOCR's default detector input floor (limit_type "min")


@dataclass(frozen=True)
class Models:
    """The three onnxruntime sessions and the recogniser's alphabet (index 0 is CTC blank)."""

    det: Any
    cls: Any
    rec: Any
    alphabet: tuple[str, ...]


def _models_folder() -> Path:
    import rapidocr_onnxruntime  # imported late: it pulls in onnxruntime and OpenCV

    return Path(rapidocr_onnxruntime.__file__).parent / "models"


@functools.cache
def load_models(threads: int) -> Models:
    """The PP-OCRv4 sessions, loaded once per process and thread count (read-only after)."""

    def session(name: str) -> Any:
        return _LeanSession(str(_models_folder() / name), threads)

    rec = session("ch_PP-OCRv4_rec_infer.onnx")
    characters = rec.get_modelmeta().custom_metadata_map["character"].splitlines()
    return Models(
        det=session("ch_PP-OCRv4_det_infer.onnx"),
        cls=session("ch_ppocr_mobile_v2.0_cls_infer.onnx"),
        rec=rec,
        # As PaddleOCR decodes: blank first, the space appended after the dictionary.
        alphabet=("", *characters, " "),
    )


class _LeanSession:
    """An onnxruntime session that gives its working memory back after every run.

    Without onnxruntime's arena every tensor of a run is a glibc allocation made from the
    session's threads, and the heap grows to about twice the run's live tensors for the
    process's life; with the default arena it keeps its largest size. Grown by what is asked
    and shrunk at the end of each run, a run's peak is about its live tensors and little
    stays. Same graph, same kernels, same threads: the numbers computed are the same."""

    def __init__(self, model_path: str, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.enable_cpu_mem_arena = True
        options.enable_mem_pattern = False
        provider = ("CPUExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"})
        self._session = ort.InferenceSession(model_path, sess_options=options, providers=[provider])
        self._run_options = ort.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: list[str] | None, inputs: dict[str, Any]) -> list[Any]:
        return list(self._session.run(output_names, inputs, self._run_options))

    def __getattr__(self, name: str) -> Any:  # get_modelmeta, get_inputs, ...
        return getattr(self._session, name)


@functools.cache
def _box_finder(box_thresh: float, unclip_ratio: float) -> Any:
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess

    return DBPostProcess(
        thresh=0.3,
        box_thresh=box_thresh,
        max_candidates=1000,
        unclip_ratio=unclip_ratio,
        score_mode="fast",
        use_dilation=True,
    )


def detector_scale(width: int, height: int, det_pixels: int) -> float:
    """The scale the detector sees a ``width`` x ``height`` page at: down to ``det_pixels``
    pixels, so a 9-megapixel scan costs what a 1.4-megapixel page does; a small image is
    scaled up (at most twice) until its short side is 736 pixels, the detector's input floor
    in RapidOCR's defaults, but never beyond ``det_pixels``."""
    pixels = max(width * height, 1)
    floor = max(1.0, min(2.0, _DET_SHORT_SIDE / max(min(width, height), 1)))
    return min(math.sqrt(det_pixels / pixels), floor)


def detector_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """The detector's input size for a ``width`` x ``height`` image seen ``scale``d."""
    return (
        max(_DET_MULTIPLE, round(width * scale / _DET_MULTIPLE) * _DET_MULTIPLE),
        max(_DET_MULTIPLE, round(height * scale / _DET_MULTIPLE) * _DET_MULTIPLE),
    )


def detect(models: Models, image: Image, scale: float, box_thresh: float, unclip_ratio: float) -> list[Quad]:
    """Text boxes of ``image`` (gray or BGR) in its own pixels; the detector sees it ``scale``d."""
    height, width = image.shape[:2]
    det_w, det_h = detector_size(width, height, scale)
    shrinking = det_w < width
    small = cv2.resize(image, (det_w, det_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    tensor = (small.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[np.newaxis]
    probability = models.det.run(None, {"x": tensor})[0]
    boxes, _scores = _box_finder(box_thresh, unclip_ratio)(probability, (height, width))
    quads = []
    for box in boxes:
        quad = np.asarray(box, dtype=np.float32)
        quad[:, 0] = np.clip(quad[:, 0], 0, width - 1)
        quad[:, 1] = np.clip(quad[:, 1], 0, height - 1)
        if np.linalg.norm(quad[0] - quad[1]) > 3 and np.linalg.norm(quad[0] - quad[3]) > 3:
            quads.append(quad)
    return quads


def crop(image: Image, quad: Quad) -> Image:
    """The quad's content straightened into an upright rectangle (a tall one turned by 90°)."""
    crop_w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    crop_h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    target = np.array([[0, 0], [crop_w, 0], [crop_w, crop_h], [0, crop_h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    out = np.asarray(
        cv2.warpPerspective(
            image, matrix, (crop_w, crop_h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
        ),
        dtype=np.uint8,
    )
    if crop_h >= 1.5 * crop_w:  # vertical text, as RapidOCR reads it
        out = np.ascontiguousarray(np.rot90(out))
    return out


def _as_bgr(image: Image) -> Image:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8) if image.ndim == 2 else image


def _normalised(image: Image, height: int, width: int, pad_to: int) -> npt.NDArray[np.float32]:
    resized = cv2.resize(_as_bgr(image), (width, height)).astype(np.float32)
    out = np.zeros((3, height, pad_to), dtype=np.float32)
    out[:, :, :width] = resized.transpose(2, 0, 1) / 127.5 - 1.0
    return out


def turn_around(image: Image) -> Image:
    """``image`` turned by 180°."""
    return np.asarray(cv2.rotate(image, cv2.ROTATE_180), dtype=np.uint8)


def upside_down(models: Models, crops: list[Image], threshold: float = 0.9) -> list[bool]:
    """For each crop, whether the angle classifier is sure it is upside down."""
    cls_h, cls_w = _CLS_SHAPE
    flags: list[bool] = []
    for start in range(0, len(crops), 8):
        batch = crops[start : start + 8]
        widths = [min(cls_w, math.ceil(cls_h * c.shape[1] / max(c.shape[0], 1))) for c in batch]
        tensor = np.stack([_normalised(c, cls_h, w, cls_w) for c, w in zip(batch, widths, strict=True)])
        probabilities = models.cls.run(None, {"x": tensor})[0]
        flags.extend(bool(p[1] > threshold) for p in probabilities)
    return flags


@dataclass(frozen=True)
class Reading:
    """What the recogniser read in one crop: characters with their time steps, and its scores."""

    chars: tuple[str, ...]
    steps: tuple[int, ...]  # output time step of each character (REC_STEP input pixels each)
    probabilities: tuple[float, ...]
    input_width: int  # the crop's width once scaled to REC_HEIGHT, before padding

    @property
    def text(self) -> str:
        return "".join(self.chars)

    @property
    def score(self) -> float:
        return float(np.mean(self.probabilities)) if self.probabilities else 0.0

    @property
    def weakest(self) -> float:
        """The least probability of any letter or digit read (of any character when there is
        none): one misread letter shows here while the mean over a long line hides it.
        Punctuation is left out because the recogniser scores its small glyphs (``. / ( -``)
        low even when it reads them right, and a name or number is told by its letters and
        digits."""
        kept = [p for c, p in zip(self.chars, self.probabilities, strict=True) if c.isalnum()]
        return float(min(kept or self.probabilities, default=0.0))


def _decode(probabilities: npt.NDArray[np.float32], alphabet: tuple[str, ...], width: int) -> Reading:
    steps = min(len(probabilities), math.ceil(width / REC_STEP) + 1)  # ignore the padding
    best = probabilities[:steps].argmax(axis=1)
    chars, at, scores = [], [], []
    previous = 0
    for step, index in enumerate(best.tolist()):
        if index != 0 and index != previous and index < len(alphabet):
            chars.append(alphabet[index])
            at.append(step)
            scores.append(float(probabilities[step, index]))
        previous = index
    return Reading(tuple(chars), tuple(at), tuple(scores), width)


def rec_width(image: Image, min_width: int = 0) -> int:
    """The width ``image`` has once scaled to the recogniser's height (at least ``min_width``)."""
    height, width = image.shape[:2]
    return max(min_width, 1, math.ceil(REC_HEIGHT * width / max(height, 1)))


def recognise(models: Models, crops: list[Image], batch_size: int, min_width: int = 0) -> list[Reading]:
    """Read every crop. Crops are batched by width so a batch is padded to little more than
    its widest member (``min_width``: RapidOCR pads every batch to at least 320 pixels)."""
    widths = [rec_width(c) for c in crops]
    order = sorted(range(len(crops)), key=widths.__getitem__)
    readings: list[Reading | None] = [None] * len(crops)
    for start in range(0, len(order), batch_size):
        members = order[start : start + batch_size]
        pad_to = max(min_width, max(widths[i] for i in members))
        tensor = np.stack([_normalised(crops[i], REC_HEIGHT, widths[i], pad_to) for i in members])
        probabilities = models.rec.run(None, {"x": tensor})[0]
        for row, i in enumerate(members):
            readings[i] = _decode(probabilities[row], models.alphabet, widths[i])
    return [r for r in readings if r is not None]
