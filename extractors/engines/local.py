"""The ``local`` engine: text layer, OCR and schema-guided field mapping, on the CPU.

Weaker than Llama 4 but real, offline and free. ``model`` names what produced the result:
the OCR reader and the mapper's version (``extractors.ocr.OCR_MODEL`` + ``MAPPER_VERSION``),
so stored results say which rules made them even for text-only pages.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from core.errors import FolioError, InternalError, PageTimeoutError
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.vendor_context import current_vendor_memory
from extractors.fieldmap.mapper import MAPPER_VERSION
from extractors.fieldmap.vendor_prior import apply_prior
from extractors.memory_budget import MemoryBudget
from extractors.ocr import OCR_MODEL, ocr_concurrency, ocr_memory_cost
from extractors.reading_frame import map_in_reading_frame
from models.extraction import PageExtraction, PageFailure
from models.page import PageRoute, PreparedPage, TextLine
from models.schemas import ExtractionSchema
from models.usage import EngineCall

OcrFunction = Callable[[bytes, int, int], list[TextLine]]


class LocalEngine:
    """CPU engine: one page per call; OCR off the event loop, a few at a time, time-limited."""

    name = "local"
    model: str | None = f"{OCR_MODEL}+{MAPPER_VERSION}"
    max_pages_per_call = 1

    def __init__(
        self, settings: Settings, *, ocr: OcrFunction | None = None, memory: MemoryBudget | None = None
    ) -> None:
        """``ocr`` replaces the OCR reader (tests use it to simulate a hung or failing OCR).
        ``memory``: the budget each OCR takes its working memory from before it runs (the
        render pool's, :attr:`extractors.prepare.PagePreparer.memory`; None: none)."""
        self._settings = settings
        self._ocr = ocr or _read_lines
        self._ocr_slots = asyncio.Semaphore(ocr_concurrency())
        self._memory = memory
        self._log = get_logger(__name__)

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema) -> PageExtraction:
        """Fields of one page; a page that cannot be read comes back as ``failure``."""
        if len(pages) != self.max_pages_per_call:
            raise InternalError(f"local engine takes one page per call, got {len(pages)}")
        page = pages[0]
        started = time.perf_counter()
        if page.failed:
            return self._failed(
                page,
                started,
                page.error_code or "prepare_failed",
                page.error or "the page could not be prepared",
            )
        try:
            lines = await self.read_lines(page)
            result = map_in_reading_frame(
                lines,
                schema,
                turn=page.reading_turn,
                page_number=page.page_number,
                date_order=self._settings.extraction.date_order,
            )
            # The tenant's vendor memory (none outside a document): a prior on this page.
            match = current_vendor_memory().match(lines, schema.name)
            if match is not None:
                result = apply_prior(lines, result, match, schema)
        except FolioError as exc:
            return self._failed(page, started, exc.code, exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug in mapping fails this page, not the document
            self._log.exception("local engine failed on page %s", page.page_number)
            return self._failed(page, started, InternalError.code, f"{type(exc).__name__}: {exc}")
        result.calls.append(self._call(page, started))
        return result

    async def aclose(self) -> None:
        """Nothing to release: the OCR model is shared, read-only, for the process."""

    async def read_lines(self, page: PreparedPage) -> list[TextLine]:
        """The lines the mapper reads: the text layer, OCR of the image, or both merged."""
        text_lines = list(page.lines) or _lines_from_text(page.text)
        if page.route == PageRoute.TEXT:
            return text_lines
        if page.image is None:
            if text_lines:
                return text_lines
            raise FolioError("the page has neither a text layer nor an image", code="no_content")
        ocr = await self._run_ocr(page)
        if page.route == PageRoute.IMAGE or not text_lines:
            return ocr
        # BOTH: the text layer is exact where it exists; OCR adds what lies outside it.
        return [*text_lines, *(line for line in ocr if not _covered(line, text_lines))]

    async def _run_ocr(self, page: PreparedPage) -> list[TextLine]:
        assert page.image is not None
        # The finer gray copy where the preparer made one: OCR reads small print better there.
        image = page.ocr_image or page.image
        await self._ocr_slots.acquire()
        share = object()  # this OCR's holding in the memory budget
        try:
            if self._memory is not None:
                # An OCR's peak (~310 MiB for a full page) beside a decompression bomb's decode
                # in a render worker is what took a folder of hostile files over 1 GiB: the two
                # share one budget, so one waits for the other; small decodes still fit beside.
                await self._memory.take(share, ocr_memory_cost(image.width, image.height))
        except BaseException:
            self._ocr_slots.release()
            raise
        # The slot and the memory are released when the thread ends, not at the timeout: a
        # thread cannot be stopped, and releasing early would pile more OCR onto cores and
        # memory it still occupies.
        job = asyncio.ensure_future(asyncio.to_thread(self._ocr, image.jpeg, image.width, image.height))
        job.add_done_callback(functools.partial(self._release, share))
        try:
            return await asyncio.wait_for(asyncio.shield(job), self._settings.extraction.ocr_timeout_s)
        except TimeoutError:
            raise PageTimeoutError(
                f"OCR of page {page.page_number} took longer than "
                f"{self._settings.extraction.ocr_timeout_s:g} s"
            ) from None
        except FolioError:
            raise
        except Exception as exc:  # onnxruntime / OpenCV trouble inside the OCR thread
            raise FolioError(f"OCR failed: {type(exc).__name__}: {exc}", code="ocr_failed") from exc

    def _release(self, share: object, job: asyncio.Future[list[TextLine]]) -> None:
        self._ocr_slots.release()
        if self._memory is not None:
            self._memory.release(share)
        if not job.cancelled() and job.exception() is not None:
            self._log.debug("OCR thread ended with %r", job.exception())

    def _call(
        self, page: PreparedPage, started: float, *, error_code: str | None = None, error: str | None = None
    ) -> EngineCall:
        return EngineCall(
            engine=self.name,
            model=self.model,
            page_numbers=[page.page_number],
            latency_ms=(time.perf_counter() - started) * 1000,
            cost_usd=Decimal("0"),
            finish_reason=None if error_code else "stop",
            error_code=error_code,
            error=error,
        )

    def _failed(self, page: PreparedPage, started: float, code: str, message: str) -> PageExtraction:
        return PageExtraction(
            page_numbers=[page.page_number],
            failure=PageFailure(page_number=page.page_number, code=code, message=message),
            calls=[self._call(page, started, error_code=code, error=message)],
        )


def _read_lines(jpeg: bytes, width: int, height: int) -> list[TextLine]:
    """The page reader with its measured defaults (``extractors.ocr_page``)."""
    # Imported late: OpenCV and onnxruntime take a while, and text pages never need them.
    from extractors.ocr_page import read_lines

    return read_lines(jpeg, width, height)


def _lines_from_text(text: str) -> list[TextLine]:
    """Lines without boxes (a text layer given as plain text): stacked one per row."""
    rows = [row for row in text.splitlines() if row.strip()]
    step = 1.0 / max(len(rows), 1)
    return [TextLine(text=row, bbox=(0.0, i * step, 1.0, (i + 0.8) * step)) for i, row in enumerate(rows)]


def _covered(line: TextLine, others: Sequence[TextLine]) -> bool:
    """Whether half or more of ``line``'s box lies under one of ``others``."""
    x0, y0, x1, y1 = line.bbox
    area = max((x1 - x0) * (y1 - y0), 1e-9)
    for other in others:
        ox0, oy0, ox1, oy1 = other.bbox
        overlap = max(0.0, min(x1, ox1) - max(x0, ox0)) * max(0.0, min(y1, oy1) - max(y0, oy0))
        if overlap >= 0.5 * area:
            return True
    return False
