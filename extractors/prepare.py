"""Page preparation, the public API: PDFs and images in, ``PreparedPage``s out, in order.

Usage::

    async with PagePreparer(settings) as preparer:
        info = await preparer.inspect(path, kind)            # raises BadInputError subclasses
        async for page in preparer.prepare(path, kind):      # page order, bounded look-ahead
            ...                                              # page.failed: data, not raised

All PyMuPDF and Pillow work runs in the preparer's worker processes
(:mod:`extractors.render_pool`); the event loop only waits.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import (
    ConfigurationError,
    CorruptDocumentError,
    EmptyDocumentError,
    FolioError,
    InternalError,
    PageTimeoutError,
    TooManyPagesError,
)
from core.settings import Settings
from extractors.memory_budget import MemoryBudget
from extractors.page_jobs import (
    InspectJob,
    InspectResult,
    PageJob,
    PageLikeJob,
    RenderMode,
    RenderSpec,
    failed_page,
)
from extractors.page_worker import JobRunner
from extractors.render_pool import RenderPool
from models.document import FileKind
from models.page import PreparedPage

# Imported once in the fork server, so every worker starts with them loaded.
_PRELOAD = ("pymupdf", "PIL.Image", "numpy", "extractors.page_warmup")


@dataclass(frozen=True)
class DocumentInfo:
    """What opening a document found."""

    kind: FileKind
    page_count: int
    encrypted: bool


class PagePreparer:
    """Owns the render worker pool; use as ``async with PagePreparer(settings) as p``."""

    def __init__(self, settings: Settings, *, model_images: bool = False) -> None:
        """``model_images``: the pages go to an engine that sends images (llama), so each page
        sent as an image also gets its tile-budget copy (``PreparedPage.model_image``), made
        by the render workers rather than on the event loop."""
        self._settings = settings
        self._spec = RenderSpec.from_settings(settings, model_images=model_images)
        self._pool = RenderPool(
            workers=settings.pages.render_workers,
            timeout_s=settings.pages.render_timeout_s,
            runner_factory=JobRunner,
            preload=_PRELOAD,
            memory_budget=settings.pages.render_memory_bytes,
        )

    @property
    def memory(self) -> MemoryBudget:
        """The render workers' decode-memory budget (FOLIO_RENDER_MEMORY_BYTES), for the OCR
        of the same process to share (``LocalEngine(memory=...)``)."""
        return self._pool.memory

    @property
    def model_images(self) -> bool:
        """Whether pages sent as images come with their model image (asked for, budget on)."""
        return self._spec.model_image_floor_px > 0

    @property
    def pool(self) -> RenderPool:
        """The worker pool (for diagnostics: pids, replacements)."""
        return self._pool

    async def __aenter__(self) -> PagePreparer:
        await self._pool.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._pool.close()

    async def inspect(self, path: Path, kind: FileKind, *, password: str | None = None) -> DocumentInfo:
        """Open the file in a worker and count its pages.

        Raises ``EncryptedDocumentError`` (no or wrong password), ``CorruptDocumentError``,
        ``EmptyDocumentError``, ``TooManyPagesError``, ``DecompressionBombError`` or
        ``UnsupportedTypeError``, each with a message for the person who sent the file.
        """
        job = InspectJob(path=Path(path), kind=kind, password=password, spec=self._spec)
        try:
            result: InspectResult = await self._pool.run(job)
        except PageTimeoutError:
            raise CorruptDocumentError(
                f"opening the file took longer than {self._settings.pages.render_timeout_s:g} s; "
                "it is probably damaged or built to stall readers"
            ) from None
        except InternalError as exc:
            if exc.code != "render_crash":
                raise
            raise CorruptDocumentError(
                "the file crashed the reader while being opened; it is damaged or hostile"
            ) from None
        noun = "PDF" if kind is FileKind.PDF else "image"
        if result.page_count == 0:
            if result.repaired:
                raise CorruptDocumentError("the PDF is damaged: no page could be recovered")
            raise EmptyDocumentError(f"the {noun} has no pages")
        if result.page_count > self._settings.intake.max_pages:
            unit = "pages" if kind is FileKind.PDF else "frames"
            raise TooManyPagesError(
                f"the {noun} has {result.page_count:,} {unit}; the limit is "
                f"{self._settings.intake.max_pages:,} (FOLIO_MAX_PAGES)"
            )
        return DocumentInfo(kind=kind, page_count=result.page_count, encrypted=result.encrypted)

    async def prepare(
        self,
        path: Path,
        kind: FileKind,
        *,
        password: str | None = None,
        render: RenderMode = "when_needed",
        page_numbers: Sequence[int] | None = None,
    ) -> AsyncIterator[PreparedPage]:
        """Yield the document's pages (or ``page_numbers``, 1-based) in page order.

        Inspects first, so a bad document raises a ``BadInputError`` before any page. A page
        that fails (time limit, crash, damaged content) is yielded with ``error_code`` and
        ``error`` set; one page never stops the others. ``render``: "always" renders every
        page, "when_needed" only pages not routed as TEXT, "never" none.
        """
        info = await self.inspect(path, kind, password=password)
        numbers = list(range(1, info.page_count + 1) if page_numbers is None else page_numbers)
        missing = [n for n in numbers if not 1 <= n <= info.page_count]
        if missing:
            raise ConfigurationError(
                f"page {missing[0]} does not exist; the document has {info.page_count} pages"
            )
        jobs = (
            PageJob(
                path=Path(path),
                kind=kind,
                password=password,
                page_number=n,
                render=render,
                spec=self._spec,
            )
            for n in numbers
        )
        async for page in self.run_page_jobs(jobs):
            yield page

    async def run_page_jobs(self, jobs: Iterable[PageLikeJob]) -> AsyncIterator[PreparedPage]:
        """Run page jobs on the pool, yielding their pages in the order of ``jobs``.

        At most ``2 x render_workers`` jobs are in flight, so memory stays flat however long
        the document. ``prepare`` uses this; tests feed it sleep and crash jobs.
        """
        window = 2 * self._pool.size
        queue = iter(jobs)
        pending: deque[asyncio.Task[PreparedPage]] = deque()

        def top_up() -> None:
            while len(pending) < window:
                job = next(queue, None)
                if job is None:
                    return
                pending.append(asyncio.create_task(self._run_page_job(job)))

        top_up()
        try:
            while pending:
                page = await pending[0]
                pending.popleft()
                top_up()  # keep the workers busy while the caller handles this page
                yield page
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run_page_job(self, job: PageLikeJob) -> PreparedPage:
        start = time.perf_counter()
        try:
            page: PreparedPage = await self._pool.run(job)
            return page
        except FolioError as exc:
            elapsed_ms = (time.perf_counter() - start) * 1000.0
            return failed_page(job.page_number, exc.code, exc.message, prepare_ms=elapsed_ms)
