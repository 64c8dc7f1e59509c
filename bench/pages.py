"""Page preparation speed and memory, next to the floor measured in the same run.

Run: ``.venv/bin/python -m bench.pages`` (about a minute on 2 cores). Prints one line per
figure; no asserts. The floor is the least any preparation must do for the same pages:
PyMuPDF rendering straight at the final size plus Pillow's JPEG encode (PDFs), or Pillow's
reduced decode, resize and encode (scans), in one process, with no text layer, no checks
and no process boundary. Figures:

- pool start-up: cold (the first pool in a process also starts the fork server, which
  imports PyMuPDF, Pillow and numpy and warms them up) and warm (every later pool);
- per document: wall time / pages through ``PagePreparer.prepare`` (all workers busy) and
  the median per-page ``prepare_ms`` (one worker's time on one page), each with its ratio
  to the single-process floor;
- peak memory (VmHWM) of the parent and each worker while preparing a 500-page PDF, at
  100, 250 and 500 pages: flat when the look-ahead bound holds.
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import pymupdf
from PIL import Image

from core.settings import Settings
from extractors.prepare import PagePreparer
from extractors.tokens import fit_tile_grid
from models.document import FileKind
from models.page import PreparedPage
from tests.support import hardcases


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000.0


def _vm(pid: int, key: str) -> int:
    """VmHWM / VmRSS of ``pid`` in kB (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def make_scans(folder: Path, count: int) -> list[Path]:
    """``count`` noisy A4 scans at 300 dpi (2480 x 3508), half grey, half tinted colour."""
    paths = []
    for number in range(1, count + 1):
        lines = hardcases.invoice_lines(number, count=40)
        scan = hardcases.text_image(lines, width=2480, height=3508, noise=0.4, seed=number)
        if number % 2 == 0:  # a phone photo: colour, warm paper
            scan = Image.merge("RGB", (scan, scan, scan.point(lambda v: v * 0.9)))
        path = folder / f"scan-{number:02d}.jpg"
        path.write_bytes(hardcases.jpeg_bytes(scan, quality=90))
        paths.append(path)
    return paths


def pdf_floor(path: Path, settings: Settings) -> list[float]:
    """Seconds per page: render at the prepared size and JPEG-encode, one process."""
    times = []
    zoom = settings.pages.render_dpi / 72
    with pymupdf.open(path) as doc:
        for page in doc:
            start = time.perf_counter()
            rect = page.rect
            _grid, width, height = fit_tile_grid(rect.width * zoom, rect.height * zoom)
            pix = page.get_pixmap(matrix=pymupdf.Matrix(width / rect.width, height / rect.height))
            image = Image.frombuffer("RGB", (pix.width, pix.height), pix.samples_mv, "raw", "RGB")
            image.save(io.BytesIO(), "JPEG", quality=settings.pages.jpeg_quality)
            times.append(time.perf_counter() - start)
    return times


def scan_floor(paths: list[Path], settings: Settings) -> list[float]:
    """Seconds per scan: reduced JPEG decode, resize to the grid size, encode; one process."""
    times = []
    for path in paths:
        start = time.perf_counter()
        with Image.open(path) as image:
            _grid, width, height = fit_tile_grid(*image.size)
            image.draft(None, (width, height))
            small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            small.save(io.BytesIO(), "JPEG", quality=settings.pages.jpeg_quality)
        times.append(time.perf_counter() - start)
    return times


async def prepare_all(
    preparer: PagePreparer, paths: list[Path], kind: FileKind, render: str
) -> tuple[float, list[PreparedPage]]:
    """Wall seconds and pages for preparing every file in ``paths``."""
    pages: list[PreparedPage] = []
    start = time.perf_counter()
    for path in paths:
        pages.extend([p async for p in preparer.prepare(path, kind, render=render)])  # type: ignore[arg-type]
    return time.perf_counter() - start, pages


def report(label: str, wall_s: float, pages: list[PreparedPage], floor: list[float]) -> None:
    """Print the wall and per-page figures of one run against its floor."""
    failed = sum(p.failed for p in pages)
    floor_ms = _median_ms(floor)
    wall_ms = wall_s * 1000.0 / len(pages)
    prepare_ms = statistics.median(p.prepare_ms for p in pages)
    rendered = sum(p.image is not None for p in pages)
    print(
        f"pages: {label} prepare median {prepare_ms:.1f} ms/page "
        f"(floor {floor_ms:.1f} ms, ratio {prepare_ms / floor_ms:.2f}); "
        f"wall {wall_ms:.1f} ms/page (ratio {wall_ms / floor_ms:.2f}); "
        f"{rendered}/{len(pages)} rendered, {failed} failed"
    )


async def prepare_concurrently(
    preparer: PagePreparer, paths: list[Path], kind: FileKind, render: str, documents: int
) -> tuple[float, list[PreparedPage]]:
    """Like :func:`prepare_all`, ``documents`` files at a time (as the flows run them)."""
    gate = asyncio.Semaphore(documents)

    async def one(path: Path) -> list[PreparedPage]:
        async with gate:
            return [p async for p in preparer.prepare(path, kind, render=render)]  # type: ignore[arg-type]

    start = time.perf_counter()
    results = await asyncio.gather(*(one(path) for path in paths))
    return time.perf_counter() - start, [page for pages in results for page in pages]


async def memory_run(preparer: PagePreparer, path: Path) -> None:
    """Prepare a 500-page PDF, printing parent and worker memory at checkpoints."""
    checkpoints = {100, 250, 500}
    count = 0
    # The parent's peak so far is the generation of the inputs; reset it (Linux: writing
    # 5 to clear_refs resets VmHWM) so the figure is this run's.
    Path("/proc/self/clear_refs").write_text("5")
    async for _page in preparer.prepare(path, FileKind.PDF, render="always"):
        count += 1
        if count in checkpoints:
            workers = preparer.pool.worker_pids()
            parent_hwm = _vm(os.getpid(), "VmHWM") / 1024
            parent_rss = _vm(os.getpid(), "VmRSS") / 1024
            worker_hwm = [_vm(pid, "VmHWM") / 1024 for pid in workers]
            worker_rss = [_vm(pid, "VmRSS") / 1024 for pid in workers]
            print(
                f"pages: pdf-500 memory at page {count}: parent peak {parent_hwm:.0f} MB "
                f"(now {parent_rss:.0f} MB, mostly the bench's own generated inputs), "
                f"workers peak {' + '.join(f'{m:.0f}' for m in worker_hwm)} MB "
                f"(now {' + '.join(f'{m:.0f}' for m in worker_rss)} MB), "
                f"total peak {parent_hwm + sum(worker_hwm):.0f} MB"
            )


async def main() -> None:
    """Generate the inputs, run every measurement, print the figures."""
    settings = Settings(_env_file=None, pages={"render_workers": 2})
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as tmp:
        folder = Path(tmp)
        digital = folder / "digital-50.pdf"
        digital.write_bytes(hardcases.digital_pdf(50, lines_per_page=45))
        base = pymupdf.open(stream=hardcases.digital_pdf(10, lines_per_page=45))
        long_doc = pymupdf.open()
        for _ in range(50):
            long_doc.insert_pdf(base)
        long_pdf = folder / "digital-500.pdf"
        long_doc.save(long_pdf)
        long_doc.close()
        base.close()
        scans = make_scans(folder, 20)

        start = time.perf_counter()
        cold = PagePreparer(settings)
        await cold.__aenter__()
        cold_ms = (time.perf_counter() - start) * 1000
        await cold.__aexit__(None, None, None)
        warm = []
        for _ in range(5):
            start = time.perf_counter()
            async with PagePreparer(settings):
                warm.append(time.perf_counter() - start)
        print(
            f"pages: pool start cold {cold_ms:.0f} ms (fork server + {settings.pages.render_workers} "
            f"workers), warm {_median_ms(warm):.0f} ms (median of 5, start + stop)"
        )

        # The floor is measured before and after the runs and the lower median kept: on a
        # shared machine that is the conservative choice for the ratios.
        floor_pdf = pdf_floor(digital, settings)
        floor_scans = scan_floor(scans, settings)
        one_worker = settings.replace(pages={"render_workers": 1})
        async with PagePreparer(one_worker) as preparer:
            await prepare_all(preparer, [digital], FileKind.PDF, "always")  # warm the caches
            wall, one_worker_pages = await prepare_all(preparer, [digital], FileKind.PDF, "always")
        async with PagePreparer(settings) as preparer:
            await prepare_all(preparer, [digital], FileKind.PDF, "always")  # warm the caches
            always = await prepare_all(preparer, [digital], FileKind.PDF, "always")
            when_needed = await prepare_all(preparer, [digital], FileKind.PDF, "when_needed")
            scans_run = await prepare_concurrently(
                preparer, scans, FileKind.JPEG, "always", settings.extraction.document_concurrency
            )
        floor_pdf = min(floor_pdf, pdf_floor(digital, settings), key=statistics.median)
        floor_scans = min(floor_scans, scan_floor(scans, settings), key=statistics.median)
        report("digital-50 render=always, 1 worker", wall, one_worker_pages, floor_pdf)
        report("digital-50 render=always, 2 workers", *always, floor_pdf)
        report("digital-50 render=when_needed, 2 workers", *when_needed, floor_pdf)
        report(
            f"scans-20 render=always, 2 workers, {settings.extraction.document_concurrency} files at a time",
            *scans_run,
            floor_scans,
        )
        async with PagePreparer(settings) as preparer:
            start = time.perf_counter()
            await memory_run(preparer, long_pdf)
            wall_ms = (time.perf_counter() - start) * 1000 / 500
            print(f"pages: pdf-500 render=always wall {wall_ms:.1f} ms/page")


if __name__ == "__main__":
    asyncio.run(main())
