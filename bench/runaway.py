"""What a runaway model server costs per document: completion tokens and dollars when every
structured answer loops on whitespace until its token budget is spent (vllm-project/vllm#38696,
xgrammar at temperature 0 without ``disable_any_whitespace``).

Run: ``.venv/bin/python -m bench.runaway [--docs 6] [--cure]``. Prints figures; no asserts.

Documents (1-2 page invoices: digital, and scanned ones that go to the model as images) go
through the whole pipeline (intake, policy, quote, extract, persist in SQLite) with the
llama engine against the fake vLLM server in its own process, in whitespace-loop mode
(``--cure``: the server started with ``disable_any_whitespace``, as docker-compose.yml
starts vLLM, so it never loops). The figures are the usage ledger's: completion tokens and
dollars (priced by the price list) per document, with the calls made and the statuses. The
fake is not told what the scans show, so their values are null: a figure of cost, not of
extraction.

Before/after: ``--folio PATH`` imports Folio from another checkout (a ``git worktree`` of an
older commit) while the fake still comes from this one, so the same server behaviour meets
the old client; settings that checkout lacks are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

from tests.support.documents import invoice_pdf, scanned_pdf
from tests.support.truth import make_invoice_truth

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Completion tokens and dollars per document, runaway server")
    parser.add_argument("--docs", type=int, default=6, help="documents (half digital, half scanned)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--cure", action="store_true", help="server started with disable_any_whitespace")
    parser.add_argument("--folio", type=Path, default=None, help="import Folio from this checkout")
    return parser.parse_args()


ARGS = parse_args()
FOLIO = (ARGS.folio or ROOT).resolve()
if ARGS.folio is not None:
    # Folio itself from the checkout measured; the test documents (imported above) and the
    # fake server (started from this tree) stay this tree's.
    sys.path.insert(0, str(FOLIO))

from core.settings import Settings  # noqa: E402
from flows.intake import register_file  # noqa: E402
from flows.pipeline import open_pipeline, run_document  # noqa: E402
from storage.migrate import upgrade  # noqa: E402


def make_documents(folder: Path, count: int, seed: int) -> list[Path]:
    """``count`` invoices of 1-2 pages: even ones born-digital, odd ones scanned."""
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        digital = invoice_pdf(make_invoice_truth(seed * 100 + index), pages=rng.randint(1, 2))
        data = digital if index % 2 == 0 else scanned_pdf(digital)
        path = folder / f"doc{index:02d}-{'digital' if index % 2 == 0 else 'scanned'}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


def start_fake(cure: bool) -> tuple[subprocess.Popen[str], str]:
    """The fake from this tree in its own process: answers at once (a huge decode rate), in
    whitespace-loop mode, or cured by disable_any_whitespace."""
    command = [sys.executable, "-m", "tests.fakes.vllm_server", "--slots", "64"]
    command += ["--prefill-tps", "1e9", "--decode-tps", "1e9"]
    command += ["--faults", json.dumps({"whitespace_loop": True}), "--stream-interval", "64"]
    if cure:
        command.append("--disable-any-whitespace")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("LISTENING "):
        process.kill()
        raise SystemExit(f"the fake vLLM server did not start: {line!r}")
    return process, line.split()[1]


def settings_for(folder: Path, base_url: str) -> Settings:
    return Settings(
        _env_file=None,
        storage={"data_dir": folder / "var"},
        extraction={"engine": "llama"},
        llm={
            "base_urls": [base_url],
            "model": "meta-llama/Llama-4-Scout-17B-16E-Instruct",
            "read_timeout_s": 120.0,
        },
        licence={"licensee_country": "US"},
        pages={"render_workers": 1},
    )


async def run(settings: Settings, paths: list[Path]) -> list[str]:
    upgrade(settings)
    ids = []
    async with open_pipeline(settings) as pipeline:
        for path in paths:
            document_id = register_file(
                path,
                settings=settings,
                sessions=pipeline.sessions,
                blobs=pipeline.blobs,
                tenant="bench",
                schema_name="invoice",
            ).document_id
            await run_document(pipeline, document_id)
            ids.append(document_id)
    return ids


def report(settings: Settings, paths: list[Path], ids: list[str], label: str) -> None:
    with sqlite3.connect(settings.storage.data_dir / "folio.db") as db:
        rows = []
        for path, document_id in zip(paths, ids, strict=True):
            status, reason, pages = db.execute(
                "select status, reason, page_count from documents where id = ?", (document_id,)
            ).fetchone()
            calls, completion, cost, budgets = db.execute(
                "select count(*), coalesce(sum(completion_tokens), 0), coalesce(sum(cost_usd), 0), "
                "group_concat(coalesce(completion_tokens, 0)) from usage_ledger where document_id = ?",
                (document_id,),
            ).fetchone()
            rows.append((path.name, pages, status, calls, completion, Decimal(str(cost)), budgets, reason))
    print(f"== {label} (Folio from {FOLIO})")  # noqa: T201
    for name, pages, status, calls, completion, cost, budgets, reason in rows:
        print(  # noqa: T201
            f"{name:22s} {pages} p  {status:12s} {calls:2d} calls  {completion:6,d} completion tokens  "
            f"${cost:.5f}  per call [{budgets}]  {(reason or '')[:90]}"
        )
    pages = sum(r[1] or 0 for r in rows)
    completion = sum(r[4] for r in rows)
    cost = sum((r[5] for r in rows), Decimal(0))
    statuses = Counter(r[2] for r in rows)
    print(  # noqa: T201
        f"{label}: {len(rows)} docs, {pages} pages: {completion / len(rows):,.0f} completion tokens "
        f"and ${cost / len(rows):.5f} per document ({completion / pages:,.0f} tokens a page); "
        f"statuses {dict(sorted(statuses.items()))}"
    )


def main() -> None:
    label = "cured server (disable_any_whitespace)" if ARGS.cure else "whitespace-loop server"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_documents(folder, ARGS.docs, ARGS.seed)
        process, base_url = start_fake(ARGS.cure)
        try:
            settings = settings_for(folder, base_url)
            ids = asyncio.run(run(settings, paths))
            report(settings, paths, ids, label)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
