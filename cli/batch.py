"""folio batch: ingest an inbox folder once (the same flow the schedule runs)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli.common import EngineChoice, _json_default, _settings, app, err
from core.errors import ConfigurationError
from core.logging import configure_logging

if TYPE_CHECKING:
    from flows.batch import BatchFileOutcome
    from models.outcome import BatchReport


@app.command()
def batch(
    path: Path = typer.Argument(
        ...,
        help="Inbox folder: every file under it, whatever its name (its done/ and failed/ "
        "excluded; hidden entries and links are skipped and reported).",
    ),
    schema: str = typer.Option(
        None, "--schema", "-s", help="Extraction schema (default: FOLIO_DEFAULT_SCHEMA)."
    ),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name (default: FOLIO_DEFAULT_TENANT)."),
    engine: EngineChoice = typer.Option(
        None, "--engine", "-e", help="auto, local or llama (default: FOLIO_ENGINE)."
    ),
    after: str = typer.Option(
        None, "--after", help="move (to done/ or failed/) or keep the files (default: FOLIO_BATCH_AFTER)."
    ),
    settle: float = typer.Option(
        None,
        "--settle",
        min=0,
        help="Skip files modified in the last N seconds (default: FOLIO_BATCH_SETTLE_S).",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file as it ends (JSON Lines)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each file's outcome to stderr."),
) -> None:
    """Ingest the new files of an inbox folder once: register, process, then move or mark each."""
    settings = _settings()
    if not verbose:
        configure_logging("WARNING")
    if after not in (None, "move", "keep"):
        err.print(f"[red]error:[/red] --after must be move or keep, not {after!r}")
        raise typer.Exit(2)
    update: dict[str, Any] = {}
    if after is not None:
        update["after"] = after
    if settle is not None:
        update["settle_s"] = settle
    settings = settings.replace(batch=update)
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from flows.process import BATCH_OBSERVERS, BATCH_STOP, batch_ingest
    from flows.stopping import StopRequest, exit_stopped, run_stoppable

    ended: list[BatchFileOutcome] = []  # as they come: the summary if a stopped run is abandoned

    def on_document(outcome: BatchFileOutcome) -> None:
        ended.append(outcome)
        if as_json:
            sys.stdout.write(json.dumps(outcome.file.row(), default=_json_default) + "\n")
            sys.stdout.flush()

    async def run(on_progress: Any, stop: StopRequest) -> BatchReport:
        token = BATCH_OBSERVERS.set((on_document, on_progress))
        stop_token = BATCH_STOP.set(stop)
        try:
            return await batch_ingest(
                inbox=str(path),
                schema_name=schema,
                tenant=tenant,
                engine=engine.value if engine else None,
                settings=settings,
            )
        finally:
            BATCH_STOP.reset(stop_token)
            BATCH_OBSERVERS.reset(token)

    started = time.perf_counter()
    # Ctrl-C or SIGTERM: no new file is started, documents in progress go back to the queue
    # (their files stay for the next run), the summary is printed, and the exit status is 130.
    try:
        show_bar = err.is_terminal and not as_json
        outcome = _with_progress_bar(run) if show_bar else run_stoppable(lambda stop: run(None, stop))
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    result = outcome.result
    if not as_json:
        err.print(_summary_line(path, result, ended, time.perf_counter() - started), soft_wrap=True)
    if outcome.stopped:
        err.print(
            f"[yellow]stopped by {outcome.signal_name}[/yellow]: documents in progress were "
            "given back to the queue; their files stay in the inbox for the next run",
            soft_wrap=True,
        )
        exit_stopped()


def _summary_line(
    path: Path, result: BatchReport | None, ended: list[BatchFileOutcome], elapsed: float
) -> str:
    """The run in one line; ``result`` None (a stopped run that did not report in time):
    counted from the outcomes seen as they ended."""
    if result is None:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(Counter(str(o.status) for o in ended).items()))
        return f"batch {path}: {counts or 'nothing ended'}; {elapsed:.1f} s"
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.by_status.items())) or "no new files"
    return (
        f"batch {path}: {counts}; {result.pages} page(s), ${result.cost_usd}, {elapsed:.1f} s "
        f"({result.skipped_known} already ingested, {result.skipped_unsettled} still being "
        f"written{_skipped_words(result)})"
    )


def _skipped_words(result: BatchReport) -> str:
    """', 2 hidden, 1 link not read' for the entries the inbox did not read, if any."""
    if not result.skipped:
        return ""
    return ", " + ", ".join(f"{n} {kind}" for kind, n in sorted(result.skipped.items())) + " not read"


def _with_progress_bar(run: Any) -> Any:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages · {task.fields[rate]:.2f} pages/s · ${task.fields[cost]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("files", total=None, pages=0, rate=0.0, cost="0")

        def on_progress(state: Any) -> None:
            progress.update(
                bar,
                completed=state.documents_done,
                total=state.documents_total,
                pages=state.pages_done,
                rate=state.pages_per_s,
                cost=f"{state.cost_usd:.6f}",
            )

        from flows.stopping import run_stoppable

        return run_stoppable(lambda stop: run(on_progress, stop))


@app.command()
def deploy(
    pool: str = typer.Option("folio", "--pool", "-p", help="Prefect work pool the deployments run on."),
) -> None:
    """Register the batch-ingest, sweep and process-document deployments on a work pool (production:
    then run `prefect worker start --pool POOL` on each worker host)."""
    settings = _settings()
    from flows.runtime import configure_prefect
    from flows.trigger import prefect_configured

    if not prefect_configured():
        err.print("[red]error:[/red] set PREFECT_API_URL to the Prefect server the workers use")
        raise typer.Exit(2)
    configure_prefect(settings)
    from flows.deployments import deploy_to_work_pool

    for name in asyncio.run(deploy_to_work_pool(settings, pool)):
        err.print(f"deployment {name} on work pool {pool}")
