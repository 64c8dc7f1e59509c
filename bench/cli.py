"""`folio process` on one digital invoice, cold and again, and where the time goes.

Run from the repository root: ``.venv/bin/python -m bench.cli`` (``--runs N``: cold runs,
default 3). Prints figures, asserts nothing. Each run uses a fresh data dir, a fresh
interpreter and a generated digital invoice PDF (``tests.support.documents``), local engine.

1. The real command: ``folio process invoice.pdf --format json`` cold (fresh data dir:
   migrations, blob store, render pool, OCR models), then the same file again (answered from
   the database), and ``folio --version`` (the interpreter and the CLI's own imports).
2. Where the time goes: the same run in a fresh interpreter (``--child``), with a clock at
   each import and at each stage the run reports (``flows.batch_run.RunObservers``):
   imports, settings, database, reading the file, opening the engine and page renderer,
   processing (of which preparing the page, from ``pages.prepare_ms``), and the listing.
   With ``PREFECT_API_URL`` set the run goes through Prefect and its stage is named so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOLIO = Path(sys.executable).parent / "folio"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_")}
    env.update(FOLIO_DATA_DIR=str(data_dir), FOLIO_ENGINE="local")
    return env


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode


def _invoice(folder: Path) -> Path:
    from tests.support.documents import invoice_pdf
    from tests.support.truth import make_invoice_truth

    path = folder / "invoice.pdf"
    path.write_bytes(invoice_pdf(make_invoice_truth(7)))
    return path


def command_figures(runs: int) -> None:
    """Part 1: wall times of the real command."""
    cold, again, version = [], [], []
    with tempfile.TemporaryDirectory(prefix="folio-bench-cli-") as tmp:
        pdf = _invoice(Path(tmp))
        for run in range(runs):
            env = _env(Path(tmp) / f"var-{run}")
            wall, code = _timed([str(FOLIO), "process", str(pdf), "--format", "json"], env)
            cold.append(wall)
            wall_again, code_again = _timed([str(FOLIO), "process", str(pdf), "--format", "json"], env)
            again.append(wall_again)
            version.append(_timed([str(FOLIO), "--version"], env)[0])
            if code or code_again:
                print(f"run {run}: exit status {code} cold, {code_again} again (expected 0)")
    print(f"cpus: {os.cpu_count()}  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if sys.dont_write_bytecode:  # then every module without a cached .pyc is compiled each run
        print(
            "bytecode cache: not written (PYTHONDONTWRITEBYTECODE); compile it first: "
            "python -m compileall -q cli core extractors flows models storage"
        )
    print(f"folio process, cold (fresh data dir): median {statistics.median(cold):.2f} s  " + _all(cold))
    print(f"folio process, duplicate (same file): median {statistics.median(again):.2f} s  " + _all(again))
    print(
        f"folio --version (interpreter + CLI):  median {statistics.median(version):.2f} s  " + _all(version)
    )


def _all(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in values) + ")"


def breakdown() -> None:
    """Part 2: the stages of one cold run, in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="folio-bench-cli-") as tmp:
        pdf = _invoice(Path(tmp))
        env = _env(Path(tmp) / "var")
        child = [sys.executable, "-m", "bench.cli", "--child", str(pdf)]
        for label in ("cold", "duplicate"):
            done = subprocess.run(child, env=env, capture_output=True, text=True, check=True)
            print(f"where the time goes ({label}, one fresh interpreter):")
            for name, seconds in json.loads(done.stdout.splitlines()[-1]):
                print(f"  {name:<44} {seconds:7.3f} s")


def child(pdf: Path) -> None:
    """One run of what ``folio process`` does, with a clock at each stage (JSON on stdout)."""
    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    last = [start, "import the CLI (typer, rich, settings, models)"]

    def mark(next_name: str) -> None:
        now = time.perf_counter()
        marks.append((str(last[1]), now - float(last[0])))
        last[:] = [now, next_name]

    import cli  # noqa: F401 - what every folio command imports

    mark("import the run (database, intake)")
    import asyncio

    from flows.batch_run import BatchRequest, RunObservers, run_batch
    from flows.runtime import configure_prefect

    mark("settings")
    from core.settings import Settings

    settings = Settings()
    configure_prefect(settings)
    mark("(first stage)")
    request = BatchRequest(paths=[pdf], schema_name="invoice", tenant="default")
    observers = RunObservers(on_stage=lambda words: mark(_stage_name(words)))
    [outcome] = asyncio.run(run_batch(settings, request, observers=observers))
    mark("")
    prepare_ms = _prepare_ms(settings, outcome.document_id)
    if prepare_ms is not None:
        marks.append(("  of which preparing the page (prepare_ms)", prepare_ms / 1000))
    marks.append(
        (f"total (status {outcome.status}, duplicate {outcome.duplicate})", time.perf_counter() - start)
    )
    sys.stdout.write(json.dumps([m for m in marks if m[0] != "(first stage)"]) + "\n")


def _stage_name(words: str) -> str:
    if words.startswith("reading files"):
        return "read and register the file (sha256, blob, row)"
    if words.startswith("processing"):
        return f"{words} (claim, policy, prepare, extract, persist)"
    return words


def _prepare_ms(settings: object, document_id: str | None) -> float | None:
    import sqlalchemy as sa

    from storage.database import make_engine
    from storage.tables import Page

    if document_id is None:
        return None
    engine = make_engine(settings)  # type: ignore[arg-type]
    try:
        with engine.connect() as connection:
            total = connection.scalar(
                sa.select(sa.func.sum(Page.prepare_ms)).where(Page.document_id == document_id)
            )
    finally:
        engine.dispose()
    return None if total is None else float(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold runs of the real command")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    command_figures(args.runs)
    breakdown()


if __name__ == "__main__":
    main()
