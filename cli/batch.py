"""folio batch: ingest an inbox folder once (the same flow the schedule runs)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

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


@app.command()
def batch(
    path: Path = typer.Argument(
        ..., help="Inbox folder: every supported file under it (its done/ and failed/ excluded)."
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
        update["batch_after"] = after
    if settle is not None:
        update["batch_settle_s"] = settle
    settings = settings.model_copy(update=update)
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from flows.process import BATCH_OBSERVERS, batch_ingest

    def print_line(outcome: Any) -> None:
        sys.stdout.write(json.dumps(outcome.summary, default=_json_default) + "\n")
        sys.stdout.flush()

    async def run(on_progress: Any) -> dict[str, Any]:
        token = BATCH_OBSERVERS.set((print_line if as_json else None, on_progress))
        try:
            return await batch_ingest(
                inbox=str(path),
                schema_name=schema,
                tenant=tenant,
                engine=engine.value if engine else None,
                settings=settings,
            )
        finally:
            BATCH_OBSERVERS.reset(token)

    started = time.perf_counter()
    try:
        show_bar = err.is_terminal and not as_json
        result = _with_progress_bar(run) if show_bar else asyncio.run(run(None))
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if not as_json:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(result["by_status"].items())) or "no new files"
        err.print(
            f"batch {path}: {counts}; {result['pages']} page(s), ${result['cost_usd']}, "
            f"{time.perf_counter() - started:.1f} s ({result['skipped_known']} already ingested, "
            f"{result['skipped_unsettled']} still being written)",
            soft_wrap=True,
        )


def _with_progress_bar(run: Any) -> dict[str, Any]:
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

        result: dict[str, Any] = asyncio.run(run(on_progress))
        return result


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
