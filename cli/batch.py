"""folio batch: ingest an inbox folder once (the same flow the schedule runs)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
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

from cli.checks import check_model_server
from cli.common import EngineChoice, _settings, app, err
from cli.output import OutputFormat, RowWriter, chosen_format, json_alias, setting_default
from cli.root import EXIT_CODES_HELP, EXIT_NOT_DONE
from core.errors import ConfigurationError
from core.logging import configure_logging
from core.settings import Settings

if TYPE_CHECKING:
    from flows.batch import BatchFileOutcome, BatchProgress
    from flows.stopping import StopRequest
    from models.outcome import BatchReport


class AfterChoice(StrEnum):
    """What happens to an inbox file once it has ended."""

    move = "move"
    keep = "keep"


@app.command(epilog=EXIT_CODES_HELP)
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
    after: AfterChoice = typer.Option(
        None,
        "--after",
        help=f"move (to done/ or failed/) or keep the files \\[default: "
        f"{setting_default('batch', 'after')}, or FOLIO_BATCH_AFTER]",
    ),
    settle: float = typer.Option(
        None,
        "--settle",
        min=0,
        help=f"Skip files modified in the last N seconds \\[default: "
        f"{setting_default('batch', 'settle_s'):g}, or FOLIO_BATCH_SETTLE_S]",
    ),
    reprocess: bool = typer.Option(
        False,
        "--reprocess",
        help="Process again the files still in the inbox that earlier runs ended (a new version).",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table,
        "--format",
        "-f",
        help="table: a summary line; json (JSON Lines) / csv: a row per file as it ends.",
    ),
    as_json: bool = json_alias(),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each file's outcome to stderr."),
) -> None:
    """Ingest the new files of an inbox folder once: register, process, then move or mark each."""
    settings = _settings()
    if not verbose:
        configure_logging("WARNING")
    fmt = chosen_format(fmt, as_json)
    check_model_server(settings, engine.value if engine else None)
    update: dict[str, Any] = {}
    if after is not None:
        update["after"] = after.value
    if settle is not None:
        update["settle_s"] = settle
    settings = settings.replace(batch=update)
    from flows.stopping import exit_stopped, run_stoppable

    ended: list[BatchFileOutcome] = []  # as they come: the summary if a stopped run is abandoned

    rows = None if fmt is OutputFormat.table else RowWriter(fmt)

    def on_document(outcome: BatchFileOutcome) -> None:
        ended.append(outcome)
        if rows is not None:
            rows.write(outcome.file.row())

    request = _Ingest(path, schema, tenant, engine.value if engine else None, reprocess)
    run = partial(_ingest, settings, request, on_document)
    started = time.perf_counter()
    # Ctrl-C or SIGTERM: no new file is started, documents in progress go back to the queue
    # (their files stay for the next run), the summary is printed, and the exit status is 130.
    try:
        show_bar = err.is_terminal and rows is None
        outcome = _with_progress_bar(run) if show_bar else run_stoppable(lambda stop: run(None, stop))
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    result = outcome.result
    if rows is None:
        err.print(_summary_line(path, result, ended, time.perf_counter() - started), soft_wrap=True)
    if outcome.stopped:
        err.print(
            f"[yellow]stopped by {outcome.signal_name}[/yellow]: documents in progress were "
            "given back to the queue; their files stay in the inbox for the next run",
            soft_wrap=True,
        )
        exit_stopped()
    if any(o.status != "done" and o.file.skipped not in ("hidden", "link", "special") for o in ended):
        raise typer.Exit(EXIT_NOT_DONE)


@dataclass(frozen=True)
class _Ingest:
    """What ``folio batch`` was asked for."""

    inbox: Path
    schema_name: str | None
    tenant: str | None
    engine: str | None
    reprocess: bool


async def _ingest(
    settings: Settings,
    request: _Ingest,
    on_document: Callable[[BatchFileOutcome], None],
    on_progress: Callable[[BatchProgress], None] | None,
    stop: StopRequest,
) -> BatchReport:
    """The ingest: in this process (``flows.local_run``) unless a Prefect API is configured,
    then as a ``batch-ingest`` flow run the API records (with its table and progress
    artifacts) instead of starting Prefect's temporary server for it."""
    from flows.runtime import configure_prefect, prefect_api_configured

    if not prefect_api_configured():
        from flows.local_run import ingest_here

        return await ingest_here(
            settings,
            str(request.inbox),
            schema_name=request.schema_name,
            tenant=request.tenant,
            engine=request.engine,
            reprocess=request.reprocess,
            on_document=on_document,
            on_progress=on_progress,
            stop=stop,
        )
    configure_prefect(settings)
    from flows.process import BATCH_OBSERVERS, BATCH_STOP, batch_ingest

    token = BATCH_OBSERVERS.set((on_document, on_progress))
    stop_token = BATCH_STOP.set(stop)
    try:
        return await batch_ingest(
            inbox=str(request.inbox),
            schema_name=request.schema_name,
            tenant=request.tenant,
            engine=request.engine,
            settings=settings,
            reprocess=request.reprocess,
        )
    finally:
        BATCH_STOP.reset(stop_token)
        BATCH_OBSERVERS.reset(token)


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
