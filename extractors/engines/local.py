"""The ``local`` engine: text layer, OCR and schema-guided field mapping, on the CPU.

Weaker than Llama 4 but real, offline and free. ``model`` names what produced the result:
the OCR reader and the mapper's version (``extractors.ocr.OCR_MODEL`` + ``MAPPER_VERSION``),
so stored results say which rules made them even for text-only pages.

The mapper reads a page in the frame its text reads in (:mod:`extractors.reading_frame`),
and which turn that is depends on where the lines came from: text-layer lines read in the
page's ``reading_turn`` (a PDF page turned by /Rotate), OCR lines in the turn the reader
found (a scan fed in sideways or upside down). A page routed BOTH is mapped in its text
layer's turn: the text layer is exact and the page's own statement of its frame, and OCR only
adds the lines outside it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.errors import FolioError, InternalError, PageTimeoutError
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.vendor_context import current_vendor_memory
from extractors.fieldmap.mapper import MAPPER_VERSION, map_page
from extractors.fieldmap.vendor_prior import apply_prior
from extractors.memory_budget import MemoryBudget
from extractors.ocr import OCR_MODEL, ocr_concurrency, ocr_memory_cost
from extractors.reading_frame import lines_in_reading_frame, result_as_shown
from models.extraction import ExtractedField, PageExtraction, PageFailure
from models.page import OcrReading, PageRoute, PreparedPage, TextLine, Turn
from models.schemas import ExtractionSchema
from models.usage import EngineCall

# Reads an image's lines: an ``OcrReading`` (with the turn it found), or lines alone when the
# reader takes every image as upright (tests' stand-ins).
OcrFunction = Callable[[bytes, int, int], OcrReading | list[TextLine]]

# The first word of the evidence that says OCR read the page turned back from how it lay.
READ_TURNED = "read_turned"


@dataclass(frozen=True)
class PageText:
    """The lines the mapper reads on a page (boxes on the page as shown), the turn they read
    in (the page as shown turned that far clockwise from their frame) and the turn OCR found
    (None when no OCR ran)."""

    lines: list[TextLine]
    turn: Turn = 0
    ocr_turn: Turn | None = None

    @property
    def reading_lines(self) -> list[TextLine]:
        """The lines with their boxes in the frame they read in."""
        return lines_in_reading_frame(self.lines, self.turn)


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
            text = await self.read_text(page)
            # Mapped, and matched to the tenant's vendor memory (none outside a document), in
            # the frame the lines read in; every box goes back onto the page as shown.
            lines = text.reading_lines
            result = map_page(
                lines, schema, page_number=page.page_number, date_order=self._settings.extraction.date_order
            )
            match = current_vendor_memory().match(lines, schema.name)
            if match is not None:
                result = apply_prior(lines, result, match, schema)
            result = _noting_turn(result_as_shown(result, text.turn), text.ocr_turn)
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
        """The lines the mapper reads, boxes on the page as shown (:meth:`read_text`)."""
        return (await self.read_text(page)).lines

    async def read_text(self, page: PreparedPage) -> PageText:
        """The lines the mapper reads: the text layer, OCR of the image, or both merged; with
        the turn they read in (see the module's docstring)."""
        text_lines = list(page.lines) or _lines_from_text(page.text)
        if page.route == PageRoute.TEXT:
            return PageText(text_lines, page.reading_turn)
        if page.image is None:
            if text_lines:
                return PageText(text_lines, page.reading_turn)
            raise FolioError("the page has neither a text layer nor an image", code="no_content")
        ocr = await self._run_ocr(page)
        if page.route == PageRoute.IMAGE or not text_lines:
            return PageText(ocr.lines, ocr.turn, ocr.turn)
        # BOTH: the text layer is exact where it exists; OCR adds what lies outside it.
        merged = [*text_lines, *(line for line in ocr.lines if not _covered(line, text_lines))]
        return PageText(merged, page.reading_turn, ocr.turn)

    async def _run_ocr(self, page: PreparedPage) -> OcrReading:
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
            read = await asyncio.wait_for(asyncio.shield(job), self._settings.extraction.ocr_timeout_s)
        except TimeoutError:
            raise PageTimeoutError(
                f"OCR of page {page.page_number} took longer than "
                f"{self._settings.extraction.ocr_timeout_s:g} s"
            ) from None
        except FolioError:
            raise
        except Exception as exc:  # onnxruntime / OpenCV trouble inside the OCR thread
            raise FolioError(f"OCR failed: {type(exc).__name__}: {exc}", code="ocr_failed") from exc
        return read if isinstance(read, OcrReading) else OcrReading(lines=read)

    def _release(self, share: object, job: asyncio.Future[OcrReading | list[TextLine]]) -> None:
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


def _read_lines(jpeg: bytes, width: int, height: int) -> OcrReading:
    """The page reader with its measured defaults (``extractors.ocr_page``)."""
    # Imported late: OpenCV and onnxruntime take a while, and text pages never need them.
    from extractors.ocr_page import read_page_lines

    return read_page_lines(jpeg, width, height)


def _noting_turn(result: PageExtraction, ocr_turn: Turn | None) -> PageExtraction:
    """``result`` with every field saying, where it was so, that OCR read the page turned."""
    if not ocr_turn:
        return result
    note = f"{READ_TURNED} {ocr_turn}: OCR found the image turned {ocr_turn}° clockwise and read it upright"

    def noted(found: ExtractedField) -> ExtractedField:
        return found.model_copy(update={"evidence": [*found.evidence, note]})

    return result.model_copy(update={"fields": {name: noted(f) for name, f in result.fields.items()}})


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
