"""The local engine's OCR takes its memory from the render pool's budget: a large decode and
an OCR never run at once, small decodes still run beside it, and an OCR that fails or runs
past its time limit gives its share back when its thread ends."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.memory_budget import MemoryBudget
from extractors.ocr import DET_PIXELS, detector_pixels, ocr_memory_cost
from extractors.ocr_read import Models, detect, detector_scale
from extractors.render_pool import RenderPool
from models.page import PageImage, PageRoute, PreparedPage, TextLine, TextQuality, TileGrid
from models.schemas import get_schema
from tests.support.pool_runners import HoldingRunner

MIB = 1024 * 1024
Span = tuple[float, float]


def _scan(width: int = 1344, height: int = 1344) -> PreparedPage:
    """An image page of that size (the OCRs below never read its bytes)."""
    return PreparedPage(
        page_number=1,
        width_pt=width,
        height_pt=height,
        route=PageRoute.IMAGE,
        text_quality=TextQuality.EMPTY,
        image=PageImage(
            jpeg=b"", width=width, height=height, grid=TileGrid(cols=4, rows=4), estimated_tokens=16 * 145
        ),
    )


class _TimedOcr:
    """Sleeps ``seconds``, noting when it ran on the system's monotonic clock (the one the
    pool's HoldingRunner answers with)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.span: Span | None = None

    def __call__(self, jpeg: bytes, width: int, height: int) -> list[TextLine]:
        start = time.monotonic()
        time.sleep(self.seconds)
        self.span = (start, time.monotonic())
        return []


def _overlap(first: Span, second: Span) -> float:
    return min(first[1], second[1]) - max(first[0], second[0])


def _ocr_beside_a_decode(settings: Settings, decode_bytes: int) -> tuple[Span, Span]:
    """One OCR of a full-size page and one decode of ``decode_bytes``, started together."""
    ocr = _TimedOcr(1.0)

    async def run() -> tuple[Span, Span]:
        async with RenderPool(
            workers=2, timeout_s=20.0, runner_factory=HoldingRunner, memory_budget=384 * MIB
        ) as pool:
            engine = LocalEngine(settings, ocr=ocr, memory=pool.memory)
            read = asyncio.ensure_future(engine.extract([_scan()], get_schema("receipt")))
            await asyncio.sleep(0.1)  # the OCR holds its share before the decode asks
            decoded = await pool.run(("hold", decode_bytes, 1.0))
            result = await read
            assert result.failure is None
            assert pool.memory.held == 0
            assert ocr.span is not None
            return ocr.span, decoded

    return asyncio.run(run())


def test_a_large_decode_waits_for_the_ocr(settings: Settings) -> None:
    ocr, decode = _ocr_beside_a_decode(settings, 200 * MIB)
    assert _overlap(ocr, decode) <= 0
    assert decode[0] >= ocr[1]


def test_a_small_decode_runs_beside_the_ocr(settings: Settings) -> None:
    ocr, decode = _ocr_beside_a_decode(settings, 8 * MIB)
    assert _overlap(ocr, decode) > 0


def test_an_ocr_waits_for_a_large_decode(settings: Settings) -> None:
    async def run() -> tuple[Span, Span]:
        budget = MemoryBudget(384 * MIB)
        await budget.take("decode", 200 * MIB)
        ocr = _TimedOcr(0.0)
        engine = LocalEngine(settings, ocr=ocr, memory=budget)
        read = asyncio.ensure_future(engine.extract([_scan()], get_schema("receipt")))
        await asyncio.sleep(0.3)
        assert ocr.span is None  # still waiting
        released = time.monotonic()
        budget.release("decode")
        await read
        assert ocr.span is not None
        return (0.0, released), ocr.span

    decode, ocr = asyncio.run(run())
    assert ocr[0] >= decode[1]


def test_a_failed_ocr_gives_its_share_back(settings: Settings) -> None:
    def broken_ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        raise RuntimeError("onnxruntime exploded")

    async def run() -> int:
        budget = MemoryBudget(384 * MIB)
        result = await LocalEngine(settings, ocr=broken_ocr, memory=budget).extract(
            [_scan()], get_schema("receipt")
        )
        assert result.failure is not None and result.failure.code == "ocr_failed"
        await asyncio.sleep(0)  # the thread's done callback
        return budget.held

    assert asyncio.run(run()) == 0


def test_an_ocr_past_its_time_limit_keeps_its_share_until_its_thread_ends(settings: Settings) -> None:
    limited = settings.replace(extraction={"ocr_timeout_s": 0.05})

    async def run() -> tuple[int, int]:
        budget = MemoryBudget(384 * MIB)
        result = await LocalEngine(limited, ocr=_TimedOcr(0.6), memory=budget).extract(
            [_scan()], get_schema("receipt")
        )
        assert result.failure is not None and result.failure.code == "page_timeout"
        during = budget.held  # the thread still runs, and still uses its memory
        for _ in range(200):
            if budget.held == 0:
                break
            await asyncio.sleep(0.05)
        return during, budget.held

    during, after = asyncio.run(run())
    assert during == ocr_memory_cost(1344, 1344)
    assert after == 0


class _RecordingDetector:
    """A detector session that notes the shape of its input and finds no text."""

    def __init__(self) -> None:
        self.shape: tuple[int, ...] | None = None

    def run(self, output_names: object, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        tensor = inputs["x"]
        self.shape = tensor.shape
        return [np.zeros((1, 1, *tensor.shape[2:]), dtype=np.float32)]


@pytest.mark.parametrize("size", [(1344, 1344), (448, 1344), (1344, 336), (2480, 3508), (100, 40)])
def test_detector_pixels_match_what_the_reader_gives_its_detector(size: tuple[int, int]) -> None:
    width, height = size
    recorder = _RecordingDetector()
    models = Models(det=recorder, cls=None, rec=None, alphabet=("",))
    image = np.full((height, width), 255, dtype=np.uint8)

    assert detect(models, image, detector_scale(width, height, DET_PIXELS), 0.5, 1.6) == []
    assert recorder.shape is not None
    assert detector_pixels(width, height) == recorder.shape[2] * recorder.shape[3]
