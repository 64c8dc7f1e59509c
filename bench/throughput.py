"""End-to-end throughput of Folio with the llama engine against the fake vLLM server.

Run: ``.venv/bin/python -m bench.throughput [--docs 200] [--slots 64] [--prefill-tps 40000]
[--decode-tps 6000] [--stream-interval 16 | --no-stream]``. Prints figures; no asserts.

The fake runs in its own process with a stated capacity (see ``tests/fakes/vllm_server``:
``slots`` requests at once, each holding its slot for
``slots x (prompt/prefill_tps + completion/decode_tps)`` s). Documents (1-20 pages, half
born-digital, half scanned) go through intake -> ``run_document`` (prepare, extract, merge,
check, persist in SQLite) with a hand-built ``Pipeline`` around ``LlamaEngine``. The fake's
capacity for the same work is ``pages / sum(prompt/prefill_tps + completion/decode_tps)``
over every call made (retries included), so the ratio says how close Folio keeps the
server to its limit. Client CPU is ``time.process_time()`` of this process (render workers
are separate processes and not counted) divided by pages.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from core.settings import Settings
from extractors.llama import LlamaEngine
from extractors.prepare import PagePreparer
from flows.intake import register_file
from flows.pipeline import Pipeline, run_document
from models.extraction import PageExtraction
from models.page import PageRoute, PreparedPage
from models.schemas import ExtractionSchema
from models.usage import EngineCall
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.fakes.vllm_server import Capacity, spawn
from tests.support import hardcases


class RecordingEngine:
    """The llama engine, keeping every call and each page's route for the figures."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.inner = engine
        self.name, self.model = engine.name, engine.model
        self.max_pages_per_call = engine.max_pages_per_call
        self.calls: list[EngineCall] = []
        self.routes: dict[tuple[int, int], PageRoute] = {}
        self.groups: list[tuple[list[PageRoute], list[EngineCall]]] = []
        # page groups being extracted: (time of each change, how many after it), to say how
        # full the client kept the server
        self.in_flight = 0
        self.changes: list[tuple[float, int]] = []

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema) -> PageExtraction:
        self._change(+1)
        try:
            result = await self.inner.extract(pages, schema)
        finally:
            self._change(-1)
        self.calls.extend(result.calls)
        self.groups.append(([p.route for p in pages], result.calls))
        return result

    def _change(self, by: int) -> None:
        self.in_flight += by
        self.changes.append((time.perf_counter(), self.in_flight))

    def by_tenth(self) -> list[float]:
        """Time-weighted mean of the page groups in flight in each tenth of the run."""
        if len(self.changes) < 2:
            return []
        start, end = self.changes[0][0], self.changes[-1][0]
        step = (end - start) / 10
        sums = [0.0] * 10
        for (t0, n), (t1, _) in zip(self.changes, self.changes[1:], strict=False):
            for k in range(10):  # the part of [t0, t1) in tenth k
                lo, hi = start + k * step, start + (k + 1) * step
                sums[k] += n * max(0.0, min(t1, hi) - max(t0, lo))
        return [x / step for x in sums] if step > 0 else []

    def occupancy(self, slots: int) -> tuple[float, float]:
        """Time-weighted mean of the page groups in flight, and the share of the time from the
        first to the last change with at least ``slots`` of them in flight."""
        if len(self.changes) < 2:
            return 0.0, 0.0
        total = self.changes[-1][0] - self.changes[0][0]
        mean = full = 0.0
        for (t0, n), (t1, _) in zip(self.changes, self.changes[1:], strict=False):
            mean += n * (t1 - t0)
            full += (t1 - t0) if n >= slots else 0.0
        return (mean / total, full / total) if total > 0 else (0.0, 0.0)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_documents(folder: Path, count: int, seed: int) -> list[Path]:
    """``count`` PDFs of 1-20 pages: even ones born-digital, odd ones scanned."""
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        pages = rng.randint(1, 20)
        data = (
            hardcases.digital_pdf(pages, seed=index)
            if index % 2 == 0
            else hardcases.scanned_pdf(pages, seed=index)
        )
        path = folder / f"doc{index:03d}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


def start_fake(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    """The fake vLLM server in its own process, at the capacity the options state, streaming
    with compose's ``--stream-interval``."""
    capacity = Capacity(args.slots, args.prefill_tps, args.decode_tps)
    return spawn(capacity, extra=["--stream-interval", str(args.stream_interval)])


async def run(args: argparse.Namespace, base_url: str, folder: Path, paths: list[Path]) -> None:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": folder / "var"},
        extraction={
            "engine": "llama",
            "page_concurrency": args.page_concurrency,
            "document_concurrency": args.doc_concurrency,
        },
        llm={
            "base_urls": [base_url],
            "max_concurrency_per_replica": args.slots * 2,
            "read_timeout_s": 600,
            "stream": not args.no_stream,
        },
        licence={"licensee_country": "US"},  # the licence policy needs the licensee's country
        pages={"render_workers": 2},
    )
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(settings.storage.blob_dir)
    engine = RecordingEngine(LlamaEngine(settings))
    try:
        async with PagePreparer(settings, model_images=True) as preparer:  # as open_pipeline for llama
            pipeline = Pipeline(
                settings=settings, sessions=sessions, blobs=blobs, preparer=preparer, engine=engine
            )  # type: ignore[arg-type]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            ids = [
                register_file(
                    p,
                    settings=settings,
                    sessions=sessions,
                    blobs=blobs,
                    tenant="bench",
                    schema_name="invoice",
                ).document_id
                for p in paths
            ]
            slots = asyncio.Semaphore(args.doc_concurrency)

            async def one(document_id: str) -> str:
                async with slots:
                    done = await run_document(pipeline, document_id)
                    if done.reason and args.verbose:
                        print(done.status.value, done.reason)  # noqa: T201
                    return done.status.value

            statuses = await asyncio.gather(*(one(i) for i in ids))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        await engine.aclose()
        db.dispose()
    report(args, engine, statuses, wall, cpu)


def report(
    args: argparse.Namespace, engine: RecordingEngine, statuses: list[str], wall: float, cpu: float
) -> None:
    pages = sum(len(routes) for routes, _ in engine.groups)
    if not pages:
        raise SystemExit(f"no page reached the engine; document statuses: {statuses}")
    busy = sum(
        (c.prompt_tokens or 0) / args.prefill_tps + (c.completion_tokens or 0) / args.decode_tps
        for c in engine.calls
    )
    capacity = pages / busy if busy else float("nan")
    rate = pages / wall
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(
        f"fake capacity model: {args.slots} slots, prefill {args.prefill_tps:,.0f} tok/s, "
        f"decode {args.decode_tps:,.0f} tok/s; client: {args.doc_concurrency} documents x "
        f"{args.page_concurrency} page groups in flight; "
        + ("whole answers" if args.no_stream else f"streamed, {args.stream_interval} tokens a chunk")
    )
    print(
        f"throughput: {len(statuses)} docs, {pages} pages, {rate:.1f} pages/s = "
        f"{rate / capacity:.2f} of fake capacity ({capacity:.1f} pages/s); client CPU "
        f"{cpu / pages * 1000:.1f} ms/page; wall {wall:.1f} s; statuses {counts}"
    )
    failed = [c for c in engine.calls if not c.succeeded]
    print(f"calls: {len(engine.calls)} ({len(failed)} failed attempts)")
    mean, full = engine.occupancy(args.slots)
    print(
        f"page groups in flight: time-weighted mean {mean:.1f} against {args.slots} slots; "
        f"at least {args.slots} in flight {full:.0%} of the time; by tenth of the run: "
        + " ".join(f"{x:.0f}" for x in engine.by_tenth())
    )
    timed = sorted(c.first_token_ms for c in engine.calls if getattr(c, "first_token_ms", None) is not None)
    if timed:
        rates = sorted(c.tokens_per_s for c in engine.calls if getattr(c, "tokens_per_s", None))
        print(
            f"time to first token: median {timed[len(timed) // 2]:,.0f} ms, p95 "
            f"{timed[int(len(timed) * 0.95)]:,.0f} ms; decode rate per call: median "
            f"{rates[len(rates) // 2] if rates else float('nan'):,.0f} tokens/s ({len(timed)} streamed calls)"
        )
    for route in (PageRoute.TEXT, PageRoute.IMAGE):
        real = estimated = n = 0
        for routes, calls in engine.groups:
            if routes and all(r is route for r in routes):
                done = [c for c in calls if c.prompt_tokens is not None]
                if done:
                    real += done[-1].prompt_tokens or 0
                    estimated += done[-1].estimated_prompt_tokens
                    n += len(routes)
        if n:
            print(
                f"prompt tokens per {route.value}-routed page: {real / n:,.0f} reported by "
                f"the server, {estimated / n:,.0f} estimated by Folio ({n} pages)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Folio + llama engine vs the fake vLLM")
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--prefill-tps", type=float, default=40_000.0)
    parser.add_argument("--decode-tps", type=float, default=6_000.0)
    parser.add_argument("--doc-concurrency", type=int, default=64)
    parser.add_argument("--page-concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--stream-interval", type=int, default=16, help="tokens per streamed chunk (compose: 16)"
    )
    parser.add_argument("--no-stream", action="store_true", help="whole answers (FOLIO_LLM_STREAM=false)")
    parser.add_argument("--verbose", action="store_true", help="print every document's reason")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_documents(folder, args.docs, args.seed)
        process, base_url = start_fake(args)
        try:
            asyncio.run(run(args, base_url, folder, paths))
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
