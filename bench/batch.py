"""Batch ingest end to end: the Prefect ``batch-ingest`` flow over an inbox of mixed PDFs,
with the llama engine against the fake vLLM server, while interactive uploads come in.

Run: ``.venv/bin/python -m bench.batch [--docs 1000] [--slots 16] [--prefill-tps 40000]
[--decode-tps 6000] [--doc-concurrency 32] [--uploads 5]``. Prints figures; no asserts.

- Documents: ``--docs`` PDFs of 1-10 pages (seeded), born-digital or scanned at random.
- The fake runs in its own process (as in ``bench/throughput.py``) with a stated capacity
  and ``--scheduling-policy priority``; Folio sends vLLM's ``priority``.
- pages/s: batch pages / wall time of the flow run. Fraction of capacity: the server work
  of every batch model call (``prompt/prefill_tps + completion/decode_tps`` summed over
  the ledger, retries included) / that wall time.
- Prefect overhead per document: the ``process-one`` task call as the flow sees it minus
  ``run_document`` inside it, averaged; plus the flow run's own start and end (flow wall
  minus ``run_batch_ingest`` wall) spread over the documents. Measured by wrapping those
  functions in this script; the ephemeral Prefect server's start is excluded and printed.
- Interactive latency: an upload ("api" source, 2 scanned pages, another tenant) from
  registration to final status through its own pipeline (as the API's in-process worker
  does: its own client, so its requests overtake the batch in the server's queue), on the
  idle system first, then ``--uploads`` times while the batch runs.
- Worker memory: RSS of this process (which runs the flow) and of its render processes,
  sampled every 0.25 s; printed at 25/50/75/100 % of the batch's documents.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.settings import Settings
from flows.intake import register_file
from flows.pipeline import Pipeline, open_pipeline, run_document
from flows.runtime import configure_prefect
from models.outcome import BatchReport
from storage.migrate import upgrade
from tests.fakes.vllm_server import Capacity, spawn
from tests.support import hardcases


def make_inbox(folder: Path, count: int, seed: int) -> int:
    """``count`` PDFs of 1-10 pages, digital or scanned at random; returns the page total."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pages_total = 0
    for index in range(count):
        pages = rng.randint(1, 10)
        make = hardcases.scanned_pdf if rng.random() < 0.5 else hardcases.digital_pdf
        (folder / f"doc{index:04d}.pdf").write_bytes(make(pages, seed=seed * 100_000 + index))
        pages_total += pages
    return pages_total


def start_fake(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    """The fake vLLM server in its own process, at the capacity the options state."""
    capacity = Capacity(args.slots, args.prefill_tps, args.decode_tps)
    return spawn(capacity, scheduling_policy="priority")


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class MemorySampler(threading.Thread):
    """RSS of this process and its children, and the batch's progress from the database."""

    def __init__(self, database_url: str, total: int, *, exclude: int) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.exclude = exclude  # the fake server's process: not the worker's
        self.cpu_start = {pid: _cpu_s(pid) for pid in self._worker_pids()}
        self.cpu_last = dict(self.cpu_start)
        self.engine = sa.create_engine(database_url)
        self.total = total
        self.stop = threading.Event()
        self.peak_self = self.peak_all = 0
        self.marks: list[tuple[int, int, int, int]] = []  # (percent, done, peak self, peak all)
        self.done = 0

    def run(self) -> None:
        while not self.stop.wait(0.25):
            self.sample()
        self.sample()

    def _worker_pids(self) -> list[int]:
        """This process and its descendants (render processes hang below the forkserver)."""
        found, todo = [os.getpid()], [os.getpid()]
        while todo:
            for child in _children(todo.pop()):
                if child != self.exclude:
                    found.append(child)
                    todo.append(child)
        return found

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the worker (this process and its render processes) since the start."""
        return sum(last - self.cpu_start.get(pid, 0.0) for pid, last in self.cpu_last.items())

    def sample(self) -> None:
        pids = self._worker_pids()
        for pid in pids:
            self.cpu_last[pid] = max(self.cpu_last.get(pid, 0.0), _cpu_s(pid))
        own = _rss_kib(os.getpid())
        every = own + sum(_rss_kib(c) for c in pids[1:])
        self.peak_self, self.peak_all = max(self.peak_self, own), max(self.peak_all, every)
        with self.engine.connect() as conn:
            self.done = conn.execute(
                sa.text(
                    "select count(*) from documents where source = 'batch' "
                    "and status not in ('queued', 'processing')"
                )
            ).scalar_one()
        for percent in (25, 50, 75, 100):
            if self.done >= self.total * percent / 100 and percent not in [m[0] for m in self.marks]:
                self.marks.append((percent, self.done, self.peak_self, self.peak_all))


def instrument() -> dict[str, list[float]]:
    """Wrap the flow's per-document task call and ``run_document`` inside it with timers."""
    import flows.batch
    import flows.process

    timings: dict[str, list[float]] = {"task": [], "pipeline": [], "ingest": []}

    def timed(key: str, inner: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await inner(*args, **kwargs)
            finally:
                timings[key].append(time.perf_counter() - started)

        return wrapper

    flows.process.run_document = timed("pipeline", flows.process.run_document)  # type: ignore[assignment]
    flows.process._one_as_task = timed("task", flows.process._one_as_task)  # type: ignore[assignment]
    flows.batch.run_batch_ingest = timed("ingest", flows.batch.run_batch_ingest)  # type: ignore[assignment]
    return timings


async def upload(pipeline: Pipeline, path: Path) -> tuple[float, str]:
    """An interactive upload: register ("api") and run to a final status; seconds, status."""
    started = time.perf_counter()
    registered = await asyncio.to_thread(
        register_file,
        path,
        settings=pipeline.settings,
        sessions=pipeline.sessions,
        blobs=pipeline.blobs,
        tenant="uploads",
        schema_name="invoice",
        source="api",
    )
    run = await run_document(pipeline, registered.document_id)
    return time.perf_counter() - started, run.status.value


async def run(args: argparse.Namespace, fake_pid: int, base_url: str, folder: Path, pages_total: int) -> None:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": folder / "var"},
        extraction={"engine": "llama", "page_concurrency": args.page_concurrency},
        llm={
            "base_urls": [base_url],
            "max_concurrency_per_replica": args.slots * 2,
            "scheduling_policy": "priority",
            "read_timeout_s": 600,
        },
        batch={"document_concurrency": args.doc_concurrency, "settle_s": 0},
        pages={"render_workers": 2},
        licence={"licensee_country": "US"},
        tenancy={"default_schema": "invoice", "default_tenant": "batch"},
    )
    upgrade(settings)
    configure_prefect(settings)
    timings = instrument()
    from flows.process import batch_ingest

    uploads = folder / "uploads"
    uploads.mkdir()
    upload_paths = []
    for index in range(args.uploads + 3):
        upload_paths.append(uploads / f"upload{index}.pdf")
        upload_paths[-1].write_bytes(hardcases.scanned_pdf(2, seed=900_000 + index))

    warm0 = time.perf_counter()
    await batch_ingest(inbox=str(folder / "empty"), settings=settings.replace(batch={"after": "keep"}))
    warm = time.perf_counter() - warm0

    async with open_pipeline(settings, engine_name="llama") as interactive:
        idle = [await upload(interactive, p) for p in upload_paths[:3]]
        sampler = MemorySampler(settings.storage.sqlalchemy_url, args.docs, exclude=fake_pid)
        sampler.start()
        wall0 = time.perf_counter()
        batch = asyncio.create_task(batch_ingest(inbox=str(folder / "inbox"), settings=settings))
        busy: list[tuple[float, str]] = []
        for path in upload_paths[3:]:
            while sampler.done < args.docs * (len(busy) + 1) / (args.uploads + 2) and not batch.done():
                await asyncio.sleep(0.2)
            if batch.done():
                break
            busy.append(await upload(interactive, path))
        result = await batch
        wall = time.perf_counter() - wall0
        sampler.stop.set()
        sampler.join()
    report(args, settings, Measured(result, timings, wall, warm, idle, busy, sampler, pages_total))


@dataclass(frozen=True)
class Measured:
    """What one run measured, for the report."""

    result: BatchReport  # the batch flow's summary
    timings: dict[str, list[float]]  # seconds per instrumented call, by name
    wall: float  # seconds from the batch's start to its end
    warm: float  # seconds to start the ephemeral server and the first flow (excluded)
    idle: list[tuple[float, str]]  # interactive uploads before the batch: (seconds, status)
    busy: list[tuple[float, str]]  # interactive uploads during the batch
    sampler: MemorySampler
    pages_total: int  # pages generated


def report(args: argparse.Namespace, settings: Settings, measured: Measured) -> None:
    result, timings, wall, warm = measured.result, measured.timings, measured.wall, measured.warm
    idle, busy, sampler, pages_total = measured.idle, measured.busy, measured.sampler, measured.pages_total
    engine = sa.create_engine(settings.storage.sqlalchemy_url)
    with engine.connect() as conn:
        pages = conn.execute(
            sa.text("select coalesce(sum(page_count), 0) from documents where source = 'batch'")
        ).scalar_one()
        calls = conn.execute(
            sa.text(
                "select u.prompt_tokens, u.completion_tokens from usage_ledger u "
                "join documents d on d.id = u.document_id where d.source = 'batch'"
            )
        ).all()
    engine.dispose()
    busy_s = sum((p or 0) / args.prefill_tps + (c or 0) / args.decode_tps for p, c in calls)
    task_overhead = [t - p for t, p in zip(timings["task"], timings["pipeline"], strict=False)]
    n = max(1, len(timings["task"]))
    flow_overhead = (wall - (timings["ingest"][-1] if timings["ingest"] else wall)) / n
    print(  # noqa: T201
        f"fake capacity model: {args.slots} slots, prefill {args.prefill_tps:,.0f} tok/s, decode "
        f"{args.decode_tps:,.0f} tok/s, priority scheduling; client: {args.doc_concurrency} documents x "
        f"{args.page_concurrency} page groups"
    )
    print(  # noqa: T201
        f"batch: {args.docs} docs, {pages} pages (of {pages_total} generated), {pages / wall:.1f} pages/s = "
        f"{busy_s / wall:.2f} of fake capacity; wall {wall:.1f} s; statuses {result.by_status}; "
        f"{len(calls)} model calls"
    )
    task_ms = statistics.mean(task_overhead) * 1000 if task_overhead else 0.0
    pipeline_s = statistics.mean(timings["pipeline"]) if timings["pipeline"] else 0.0
    print(  # noqa: T201
        f"prefect overhead per document: {task_ms:.1f} ms task (p95 {_p95(task_overhead) * 1000:.1f} ms)"
        f" + {flow_overhead * 1000:.1f} ms flow start/end; pipeline {pipeline_s:.2f} s/document; "
        f"ephemeral server start + first flow {warm:.1f} s (excluded)"
    )
    idle_s, during = [s for s, _ in idle], [s for s, _ in busy]
    if idle_s and during:
        idle_med, busy_med = statistics.median(idle_s), statistics.median(during)
        print(  # noqa: T201
            f"interactive upload (2 scanned pages) to final status: idle median {idle_med:.2f} s "
            f"(n={len(idle_s)}), during batch median {busy_med:.2f} s, max {max(during):.2f} s "
            f"(n={len(during)}) = {busy_med / idle_med:.2f}x idle; statuses {[s for _, s in idle + busy]}"
        )
    marks = ", ".join(
        f"{pct}%: {own / 1024:.0f} MiB ({every / 1024:.0f} with render workers)"
        for pct, _, own, every in sampler.marks
    )
    print(f"worker peak RSS by progress: {marks}")  # noqa: T201
    cpu_ms = sampler.cpu_s / max(1, pages) * 1000
    print(  # noqa: T201
        f"worker CPU (flow process + render processes, uploads included): {sampler.cpu_s:.0f} s = "
        f"{cpu_ms:.0f} ms per batch page -> {3.6e6 / cpu_ms:,.0f} pages/hour per busy core"
    )


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Batch ingest flow + uploads vs the fake vLLM")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--prefill-tps", type=float, default=40_000.0)
    parser.add_argument("--decode-tps", type=float, default=6_000.0)
    parser.add_argument("--doc-concurrency", type=int, default=32)
    parser.add_argument("--page-concurrency", type=int, default=8)
    parser.add_argument("--uploads", type=int, default=5, help="interactive uploads during the batch")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "empty").mkdir()
        made = time.perf_counter()
        pages_total = make_inbox(folder / "inbox", args.docs, args.seed)
        print(f"generated {args.docs} documents, {pages_total} pages in {time.perf_counter() - made:.1f} s")  # noqa: T201
        process, base_url = start_fake(args)
        try:
            asyncio.run(run(args, process.pid, base_url, folder, pages_total))
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
