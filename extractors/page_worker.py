"""What a render worker process does with each job; keeps the last opened PDF open.

One :class:`JobRunner` lives in each worker process (made by the pool at start-up) and runs
one job at a time, so caching the open document needs no lock. A 500-page PDF is opened
once per worker, not once per page.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pymupdf

from core.errors import FolioError
from extractors.heap import trim_heap
from extractors.image_pages import inspect_image, prepare_image_page
from extractors.page_jobs import (
    CrashJob,
    InspectJob,
    InspectResult,
    PageJob,
    RenderSpec,
    Reserve,
    SleepJob,
    WorkerJob,
    failed_page,
    no_reserve,
)
from extractors.pdf_pages import inspect_pdf, open_pdf, prepare_pdf_page
from models.document import FileKind
from models.page import PageImage, PreparedPage

# (path, password, mtime_ns, size): a file rewritten in place is opened afresh.
_DocKey = tuple[str, str | None, int, int]

# MuPDF keeps every object it has parsed until the document is closed, so a worker's memory
# would grow with each page of a long PDF; reopening every so many pages keeps it flat for
# the price of one open (milliseconds) per this many pages.
PAGES_PER_OPEN = 100


class JobRunner:
    """Runs :mod:`extractors.page_jobs` jobs inside one worker process."""

    def __init__(self, reserve: Reserve = no_reserve) -> None:
        """``reserve``: how image decodes ask the pool for their memory first."""
        self._reserve = reserve
        # MuPDF prints repair warnings to stderr; they are expected on damaged input, and
        # the verdict travels back as data instead.
        pymupdf.TOOLS.mupdf_display_errors(False)
        pymupdf.TOOLS.mupdf_display_warnings(False)
        self._doc_key: _DocKey | None = None
        self._doc: pymupdf.Document | None = None
        self._doc_pages = 0  # pages served from the open document

    def __call__(self, job: WorkerJob) -> InspectResult | PreparedPage:
        """Run ``job``; a page job answers a ``PreparedPage`` even when the page fails."""
        try:
            return self._run(job)
        finally:
            # A decoded image is freed when its job ends, but glibc keeps the memory (a CMYK
            # TIFF bomb left a worker 140 MiB larger until it exited): given back after each.
            trim_heap()

    def _run(self, job: WorkerJob) -> InspectResult | PreparedPage:
        if isinstance(job, PageJob):
            return self._page(job)
        if isinstance(job, InspectJob):
            if job.kind is FileKind.PDF:
                self._forget()  # inspect always opens afresh: the file may be new
                return inspect_pdf(self._pdf(job.path, job.password))
            return inspect_image(job.path, job.kind, job.spec, self._reserve)
        if isinstance(job, SleepJob):
            time.sleep(job.seconds)
            return PreparedPage(page_number=job.page_number)
        if isinstance(job, CrashJob):
            os.kill(os.getpid(), signal.SIGSEGV)
        raise TypeError(f"unknown job {job!r}")

    def _pdf(self, path: Path, password: str | None) -> pymupdf.Document:
        stat = path.stat()
        key = (str(path), password, stat.st_mtime_ns, stat.st_size)
        if self._doc is None or self._doc_key != key or self._doc_pages >= PAGES_PER_OPEN:
            self._forget()
            self._doc = open_pdf(path, password)
            self._doc_key = key
        self._doc_pages += 1
        return self._doc

    def _forget(self) -> None:
        if self._doc is not None:
            self._doc.close()
        self._doc, self._doc_key, self._doc_pages = None, None, 0

    def _page(self, job: PageJob) -> PreparedPage:
        start = time.perf_counter()
        try:
            if job.kind is FileKind.PDF:
                doc = self._pdf(job.path, job.password)
                page = prepare_pdf_page(doc, job.page_number, job.render, job.spec)
            else:
                page = prepare_image_page(
                    job.path, job.kind, job.page_number, job.render, job.spec, self._reserve
                )
        except FolioError as exc:
            page = failed_page(job.page_number, exc.code, exc.message)
        except Exception as exc:  # noqa: BLE001 - a page's own trouble is data; a worker never dies of a file
            # MuPDF may leave a document in a bad state after an error; reopen next time.
            self._forget()
            page = failed_page(job.page_number, "render_error", f"{type(exc).__name__}: {exc}")
        if job.spec.model_image_floor_px > 0 and not page.failed:
            # Made here, not in the engine: its CPU would compete with the event loop there.
            page.model_image = _model_image(page, job.spec)
        page.prepare_ms = (time.perf_counter() - start) * 1000.0
        return page


def _model_image(page: PreparedPage, spec: RenderSpec) -> PageImage | None:
    """The page's tile-budget copy for the model, or None when it cannot be made here."""
    # Imported at a worker's first such page, so OpenCV costs a local-engine run nothing.
    from extractors.tile_budget import model_image

    try:
        return model_image(page, spec)
    except Exception:  # noqa: BLE001 - the page is prepared; the engine makes the copy (and meets the error)
        return None
