"""The render pool's memory budget: decodes that do not fit together run one after the other,
the wait does not count against a page's time limit, a dead worker gives its bytes back, and
a worker gives a large decode's memory back to the system after the page."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.errors import InternalError
from core.settings import Settings
from extractors.prepare import PagePreparer
from extractors.render_pool import RenderPool
from models.document import FileKind
from tests.support import decode_bombs
from tests.support.pool_runners import HoldingRunner

MIB = 1024 * 1024


def _pool(budget: int, *, timeout_s: float = 20.0) -> RenderPool:
    return RenderPool(workers=2, timeout_s=timeout_s, runner_factory=HoldingRunner, memory_budget=budget)


def _overlap(first: tuple[float, float], second: tuple[float, float]) -> float:
    return min(first[1], second[1]) - max(first[0], second[0])


def _run_two(budget: int, jobs: list[tuple[str, int, float]], *, timeout_s: float = 20.0) -> list[object]:
    async def run() -> list[object]:
        async with _pool(budget, timeout_s=timeout_s) as pool:
            return list(await asyncio.gather(*(pool.run(job) for job in jobs), return_exceptions=True))

    return asyncio.run(run())


def test_two_decodes_that_do_not_fit_together_run_one_after_the_other() -> None:
    first, second = _run_two(100 * MIB, [("hold", 80 * MIB, 0.5)] * 2)
    assert isinstance(first, tuple) and isinstance(second, tuple)
    assert _overlap(first, second) <= 0


def test_two_decodes_that_fit_together_run_at_the_same_time() -> None:
    first, second = _run_two(200 * MIB, [("hold", 80 * MIB, 1.0)] * 2)
    assert isinstance(first, tuple) and isinstance(second, tuple)
    assert _overlap(first, second) > 0


def test_waiting_for_memory_does_not_count_against_the_time_limit() -> None:
    # The second job waits ~1.2 s for the first, then holds 1.2 s itself: 2.4 s in all, over
    # the 2 s limit, but each job's own work is within it.
    results = _run_two(100 * MIB, [("hold", 80 * MIB, 1.2)] * 2, timeout_s=2.0)
    assert all(isinstance(r, tuple) for r in results), results


def test_a_worker_that_dies_holding_memory_gives_it_back() -> None:
    async def run() -> tuple[BaseException | None, tuple[float, float]]:
        async with _pool(100 * MIB) as pool:
            died: BaseException | None = None
            try:
                await pool.run(("die", 80 * MIB, 0.0))
            except InternalError as exc:
                died = exc
            after = await asyncio.wait_for(pool.run(("hold", 80 * MIB, 0.0)), 20)
            return died, after

    died, after = asyncio.run(run())
    assert isinstance(died, InternalError) and died.code == "render_crash"
    assert isinstance(after, tuple)


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_worker_gives_a_large_decodes_memory_back_after_the_page(
    settings: Settings, tmp_path: Path
) -> None:
    # A 36-megapixel CMYK TIFF takes ~200 MiB to decode; glibc kept ~140 MiB of it in the
    # worker until the process ended.
    path = tmp_path / "cmyk.tif"
    path.write_bytes(decode_bombs.cmyk_tiff())
    one_worker = settings.replace(pages={"render_workers": 1})

    async def run() -> tuple[float, float, str | None]:
        async with PagePreparer(one_worker) as preparer:
            [pid] = preparer.pool.worker_pids()
            before = _rss_mib(pid)
            pages = [page async for page in preparer.prepare(path, FileKind.TIFF)]
            assert preparer.pool.worker_pids() == [pid]  # the same worker, not a new one
            return before, _rss_mib(pid), pages[0].error

    before, after, error = asyncio.run(run())
    assert error is None
    assert after - before < 40, (before, after)
