"""folio process, show, serve and db upgrade."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.common import (
    EngineChoice,
    _first,
    _json_default,
    _settings,
    app,
    db_app,
    err,
)
from core.errors import ConfigurationError
from core.logging import configure_logging
from core.settings import Settings
from flows.stopping import exit_stopped


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the database migrations (creates the SQLite file on first use)."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings, revision)
    err.print(f"database at revision {revision}: {settings.sqlalchemy_url.split('@')[-1]}")


@app.command()
def process(
    paths: list[Path] = typer.Argument(
        ...,
        help="Files or directories (every file under them, whatever its name; hidden entries "
        "and links are skipped and listed).",
    ),
    schema: str = typer.Option(
        None, "--schema", "-s", help="invoice, receipt or generic (default: FOLIO_DEFAULT_SCHEMA)."
    ),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name (default: FOLIO_DEFAULT_TENANT)."),
    engine: EngineChoice = typer.Option(
        None, "--engine", "-e", help="auto, local or llama (default: FOLIO_ENGINE)."
    ),
    password: str = typer.Option(
        None,
        "--password",
        help="Password for encrypted PDFs (never stored).",
        envvar="FOLIO_PDF_PASSWORD",
    ),
    reprocess: bool = typer.Option(
        False, "--reprocess", help="Extract again even if already done (new version)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input file (JSON Lines)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each document's outcome to stderr."),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print each file's policy decision and quote (tokens, $); register nothing, call no engine.",
    ),
) -> None:
    """Process documents end to end and print what happened to each."""
    settings = _settings()
    if not verbose:
        configure_logging("WARNING")
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from flows.batch_run import BatchRequest, run_batch, run_owner
    from flows.stopping import run_stoppable

    request = BatchRequest(
        paths=paths,
        schema_name=schema or settings.default_schema,
        tenant=tenant or settings.default_tenant,
        engine=engine.value if engine else None,
        password=password,
        reprocess=reprocess,
        dry_run=dry_run,
    )
    started = time.perf_counter()
    # Ctrl-C or SIGTERM: documents in progress go back to the queue, the rows say what
    # finished, and the exit status is 130 (flows.stopping).
    owner = run_owner()
    try:
        if as_json or dry_run:
            run = run_stoppable(lambda stop: run_batch(settings, request, stop=stop, owner=owner))
        else:
            run = _with_progress(settings, request, owner)
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    elapsed = time.perf_counter() - started
    rows = run.result
    if rows is None:  # stopped, and the run did not report in time: release and leave
        _release_abandoned(settings, owner)
        err.print(
            f"[yellow]stopped by {run.signal_name}[/yellow]: the run did not report in time; "
            "documents in progress were given back to the queue (`folio process` again resumes)"
        )
        exit_stopped()
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, default=_json_default) + "\n")
        sys.stdout.flush()
    elif dry_run:
        _print_quotes(rows)
    else:
        _print_table(rows, elapsed)
        _print_skipped(rows)
    if run.stopped:
        _print_stopped(rows, run.signal_name)
        exit_stopped()


def _with_progress(settings: Settings, request: Any, owner: str) -> Any:
    from flows.batch_run import run_batch
    from flows.stopping import run_stoppable

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("processing", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        return run_stoppable(
            lambda stop: run_batch(settings, request, on_progress=on_progress, stop=stop, owner=owner)
        )


def _release_abandoned(settings: Settings, owner: str) -> None:
    """Give back what a stopped run that never reported still holds (its own cancellation
    normally has already)."""
    from flows.batch_run import release_run
    from storage.database import make_engine, make_session_factory

    engine = make_engine(settings)
    try:
        release_run(make_session_factory(engine), owner, None)
    except Exception:  # the database is gone too: the leases lapse and the sweeper takes over
        logging.getLogger("folio.cli").exception("could not release the stopped run's documents")
    finally:
        engine.dispose()


def _print_skipped(rows: list[dict[str, Any]]) -> None:
    """One line counting the entries that were not read (hidden, links, ...), if any."""
    kinds = Counter(str(row["skipped"]) for row in rows if row.get("skipped"))
    if kinds:
        listed = ", ".join(f"{n} {_SKIPPED_WORDS.get(k, k)}" for k, n in sorted(kinds.items()))
        err.print(f"not read: {listed} (each is listed above with its reason)")


_SKIPPED_WORDS = {
    "hidden": "hidden",
    "link": "symbolic link(s)",
    "special": "special file(s)",
    "unreadable": "unreadable",
    "missing": "missing",
    "stopped": "not reached before the stop",
}


def _print_stopped(rows: list[dict[str, Any]], signal_name: str | None) -> None:
    finished = sum(1 for row in rows if row.get("document_id") and row.get("status") in _FINAL)
    documents = sum(1 for row in rows if row.get("document_id"))
    again = sum(1 for row in rows if row.get("status") == "queued")
    err.print(
        f"[yellow]stopped by {signal_name}[/yellow]: {finished} of {documents} document(s) "
        f"finished; {again} queued again (run `folio process` again to finish them)",
        soft_wrap=True,
    )


_FINAL = frozenset({"done", "partial", "needs_review", "failed", "blocked", "rejected"})


_STATUS_STYLE = {
    "done": "green",
    "needs_review": "yellow",
    "partial": "yellow",
    "rejected": "red",
    "failed": "red",
    "blocked": "magenta",
    "skipped": "dim",
    "queued": "cyan",
}
_SHOWN_FIELDS = (
    "invoice_number",
    "invoice_date",
    "vendor_name",
    "merchant_name",
    "date",
    "total_amount",
    "currency",
)


def _print_table(rows: list[dict[str, Any]], elapsed: float) -> None:
    out = Console()
    table = Table(title=f"Folio: {len(rows)} file(s) in {elapsed:.1f} s", show_lines=True)
    for column in ("file", "id", "status", "pages", "key fields", "cost $", "reason"):
        table.add_column(column, overflow="fold")
    for row in rows:
        fields = row.get("fields") or {}
        shown = [f"{k}: {fields[k]}" for k in _SHOWN_FIELDS if fields.get(k) is not None]
        if fields.get("line_items"):
            shown.append(f"line items: {len(fields['line_items'])}")
        style = _STATUS_STYLE.get(str(row.get("status")), "white")
        table.add_row(
            Path(row["file"]).name,
            (row.get("document_id") or "-")[:8],
            f"[{style}]{row.get('status')}[/{style}]",
            str(row.get("pages") or "-"),
            "\n".join(shown) or "-",
            f"{Decimal(row.get('cost_usd') or 0):.6f}",
            (row.get("reason") or "")[:300],
        )
    out.print(table)


@app.command()
def show(
    document_id: str = typer.Argument(..., help="Document id (a unique prefix is enough)."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored extraction as JSON."),
) -> None:
    """Show one document: status, reason, and each field with confidence, page and source."""
    from flows.results import document_detail
    from storage.database import make_engine, make_session_factory

    settings = _settings()
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            try:
                detail = document_detail(session, document_id)
            except LookupError as exc:
                err.print(f"[red]{exc.args[0]}[/red]")
                raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(detail, default=_json_default, indent=2) + "\n")
        return
    out = Console()
    out.print(
        f"[bold]{detail['document_id']}[/bold]  {detail['file_name']}  schema={detail['schema']}  "
        f"status={detail['status']}  pages={detail['pages']}  engine={detail['engine']}  "
        f"cost=${Decimal(detail['cost_usd']):.6f}  tier={detail['licence_tier']}"
    )
    if detail["reason"]:
        out.print(f"reason: {detail['reason']}")
    table = Table(show_lines=False)
    for column in ("field", "value", "confidence", "page", "source text", "flags"):
        table.add_column(column, overflow="fold")
    for name, found in detail["evidence"].items():
        table.add_row(
            name,
            str(found["value"]),
            "?" if found["confidence"] is None else f"{found['confidence']:.2f}",  # unknown
            str(found["page"] or "-"),
            (found["source_text"] or "")[:80],
            ", ".join(found["flags"]),
        )
    out.print(table)
    for table_name, rows in detail["tables"].items():
        items = Table(title=f"{table_name} ({len(rows)})")
        columns = sorted(
            {c for r in rows for c in r}, key=lambda c: list(rows[0]).index(c) if c in rows[0] else 99
        )
        for column in columns:
            items.add_column(column, overflow="fold")
        for r in rows:
            items.add_row(*(str(r.get(c, {}).get("value", "")) for c in columns))
        out.print(items)


# --- cost and licence (issue 4) ---------------------------------------------------------


def _print_quotes(rows: list[dict[str, Any]]) -> None:
    out = Console()
    table = Table(
        title=f"Folio dry run: {len(rows)} file(s); nothing registered, no engine called", show_lines=True
    )
    for column in (
        "file",
        "tier",
        "model",
        "decision",
        "pages",
        "tokens",
        "quote $",
        "hosted $ (indicative)",
        "reason",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        hosted = (
            f"{row['hosted_low_usd']:.6f}-{row['hosted_high_usd']:.6f}"
            if row.get("hosted_low_usd") is not None
            else "-"
        )
        cost = row.get("quoted_cost_usd")
        table.add_row(
            Path(row["file"]).name,
            str(row.get("licence_tier") or "-"),
            str(row.get("model") or "-"),
            f"{row.get('status')}" + (" (duplicate)" if row.get("duplicate") else ""),
            str(row.get("pages") or "-"),
            f"{row.get('quoted_tokens') or 0:,}",
            f"{cost:.8f}" if cost is not None else "-",
            hosted,
            # Quoted rows: their notes (attribution, undeclared facts) are in --json.
            "" if row.get("policy_decision") == "allowed" else (row.get("reason") or "")[:300],
        )
    out.print(table)
    total = sum(
        (r.get("quoted_cost_usd") or Decimal(0) for r in rows if r.get("status") == "quoted"), Decimal(0)
    )
    out.print(f"total quoted: ${total:.8f} (price list {_first(rows, 'price_version')})")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    engine: EngineChoice = typer.Option(None, "--engine", help="Engine of the in-process worker."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="API processes sharing the port; each runs its own in-process worker and sweeper "
        "(claims keep every document to one of them) and its own rate limiter.",
    ),
    process: bool = typer.Option(
        None,
        "--process/--no-process",
        help="Process uploads in this server (default: FOLIO_API_PROCESS); --no-process only "
        "registers them for a separate worker.",
    ),
    schedules: bool = typer.Option(
        True,
        "--schedules/--no-schedules",
        help="Also serve the batch-ingest and sweep deployments with a Prefect Runner (needs "
        "PREFECT_API_URL: a Prefect server's scheduler creates the runs).",
    ),
) -> None:
    """Serve the HTTP API with an in-process worker and the sweeper (and, with PREFECT_API_URL,
    the batch-ingest, sweep and process-document deployments)."""
    import os

    import uvicorn

    from api.app import create_app
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    level = settings.log_level.lower()
    process_uploads = settings.api_process if process is None else process
    if schedules:  # batch ingest and schedules (issue 6)
        _serve_schedules_in_background(settings)
    if workers == 1:
        application = create_app(
            settings, process=process_uploads, engine_name=engine.value if engine else None
        )
        uvicorn.run(application, host=host, port=port, log_level=level)
        return
    # Worker processes build their own app from the environment: pass the options there.
    os.environ["FOLIO_API_PROCESS"] = "true" if process_uploads else "false"
    if engine is not None:
        os.environ["FOLIO_ENGINE"] = engine.value
    uvicorn.run(
        "api.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=level,
    )


def _serve_schedules_in_background(settings: Settings) -> None:
    """Run the Runner of Folio's deployments (issue 6) in a daemon thread beside the API;
    each scheduled flow run executes in its own subprocess. Without a Prefect server there is
    no scheduler, so it says so and serves the API alone."""
    import threading

    from flows.trigger import prefect_configured

    if not prefect_configured():
        err.print(
            "[yellow]no PREFECT_API_URL: serving the API without schedules (Prefect's ephemeral "
            "mode has no scheduler; run `prefect server start` and set PREFECT_API_URL)[/yellow]"
        )
        return
    from flows.runtime import configure_prefect

    configure_prefect(settings)

    def run() -> None:
        from flows.deployments import serve_deployments

        try:
            asyncio.run(serve_deployments(settings))
        except Exception:  # the API keeps serving; the log says why schedules stopped
            logging.getLogger("folio.deployments").exception("the schedules' Runner stopped")

    threading.Thread(target=run, name="folio-schedules", daemon=True).start()
