"""folio process and folio show: run files through Folio, and look at one document."""

from __future__ import annotations

import logging
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.checks import check_model_server
from cli.common import EngineChoice, _first, _json_default, _settings, app, err
from cli.output import (
    ItemFormat,
    OutputFormat,
    RowWriter,
    chosen_format,
    item_format,
    json_alias,
    print_files,
    setting_default,
    write_item,
)
from cli.root import EXIT_CODES_HELP, EXIT_NOT_DONE
from core.logging import configure_logging
from core.settings import Settings
from flows.stopping import StoppableRun, exit_stopped
from models.document import DocumentStatus
from models.outcome import DocumentOutcome, FileOutcome


@app.command(epilog=EXIT_CODES_HELP)
def process(
    paths: list[Path] = typer.Argument(
        ...,
        help="Files or directories (every file under them, whatever its name; hidden entries "
        "and links are skipped and listed).",
    ),
    schema: str = typer.Option(
        None,
        "--schema",
        "-s",
        help=f"invoice, receipt, generic or a custom schema \\[default: "
        f"{setting_default('tenancy', 'default_schema')}, or FOLIO_DEFAULT_SCHEMA]",
    ),
    tenant: str = typer.Option(
        None,
        "--tenant",
        "-t",
        help=f"Tenant name \\[default: {setting_default('tenancy', 'default_tenant')}, "
        "or FOLIO_DEFAULT_TENANT]",
    ),
    engine: EngineChoice = typer.Option(
        None,
        "--engine",
        "-e",
        help=f"auto: llama when model servers are set, else local \\[default: "
        f"{setting_default('extraction', 'engine')}, or FOLIO_ENGINE]",
    ),
    password: str = typer.Option(
        None,
        "--password",
        help="Password for encrypted PDFs (never stored); a document rejected for want of it is run again.",
        envvar="FOLIO_PDF_PASSWORD",
    ),
    reprocess: bool = typer.Option(
        False,
        "--reprocess",
        help="Process again even what is stored (done, blocked, rejected...): a new version.",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table,
        "--format",
        "-f",
        help="table, or json (JSON Lines) / csv: a row per file as it ends.",
    ),
    as_json: bool = json_alias(),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each document's outcome to stderr."),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print each file's policy decision and quote (tokens, $); register nothing, call no engine.",
    ),
) -> None:
    """Process documents end to end and print what happened to each.

    Files already processed are answered from the database; a stored blocked or rejected
    ending runs again once its cause has changed (a password given, a licence or tier
    setting changed, a budget with room again).
    """
    settings = _settings()
    if not verbose:
        configure_logging("WARNING")
    fmt = chosen_format(fmt, as_json)
    engine_name = engine.value if engine else None
    if not dry_run:
        check_model_server(settings, engine_name)  # a second, not the whole start-up
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from flows.batch_run import BatchRequest, quote_batch, run_owner
    from flows.stopping import run_stoppable

    request = BatchRequest(
        paths=paths,
        schema_name=schema or settings.tenancy.default_schema,
        tenant=tenant or settings.tenancy.default_tenant,
        engine=engine_name,
        password=password,
        reprocess=reprocess,
        dry_run=dry_run,
    )
    started = time.perf_counter()
    # Ctrl-C or SIGTERM: documents in progress go back to the queue, the rows say what
    # finished, and the exit status is 130 (flows.stopping).
    owner = run_owner()
    if dry_run:
        _print_quoted(run_stoppable(lambda stop: quote_batch(settings, request)), fmt)
        return
    run = _run_files(settings, request, owner, fmt)
    outcomes = run.result
    if outcomes is None:  # stopped, and the run did not report in time: release and leave
        _release_abandoned(settings, owner)
        err.print(
            f"[yellow]stopped by {run.signal_name}[/yellow]: the run did not report in time; "
            "documents in progress were given back to the queue (`folio process` again resumes)"
        )
        exit_stopped()
    if fmt is OutputFormat.table:
        print_files(outcomes, _title(outcomes, time.perf_counter() - started))
        _print_skipped(outcomes)
    if run.stopped:
        _print_stopped(outcomes, run.signal_name)
        exit_stopped()
    if not all_done(outcomes):
        raise typer.Exit(EXIT_NOT_DONE)


def all_done(outcomes: list[FileOutcome]) -> bool:
    """Whether every file ended ``done``; entries a folder holds that are never read
    (hidden, links, special files) do not count, files named that are missing do."""
    return all(o.status == DocumentStatus.DONE or o.skipped in _NOT_COUNTED for o in outcomes)


_NOT_COUNTED = frozenset({"hidden", "link", "special"})


def _title(outcomes: list[FileOutcome], elapsed: float) -> str:
    counts = Counter(str(o.status) for o in outcomes)
    listed = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return f"Folio: {len(outcomes)} file(s) in {elapsed:.1f} s: {listed}"


def _run_files(
    settings: Settings, request: Any, owner: str, fmt: OutputFormat
) -> StoppableRun[list[FileOutcome]]:
    """The run, with a status line on a terminal's stderr saying what it is doing, and (json,
    csv) each file's row on stdout as soon as the file has ended."""
    from flows.batch_run import RunObservers, run_batch
    from flows.stopping import run_stoppable

    rows = None if fmt is OutputFormat.table else RowWriter(fmt)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("starting", total=None)
        observers = RunObservers(
            on_progress=lambda done, total: progress.update(bar, completed=done, total=total),
            on_outcome=None if rows is None else lambda outcome: rows.write(outcome.row()),
            on_stage=lambda words: progress.update(bar, description=words),
        )
        return run_stoppable(
            lambda stop: run_batch(settings, request, stop=stop, owner=owner, observers=observers)
        )


def _print_quoted(run: StoppableRun[list[dict[str, Any]]], fmt: OutputFormat) -> None:
    """The quotes of a dry run; nothing was registered, so a stop leaves nothing to give back."""
    if run.result is None:
        err.print(f"[yellow]stopped by {run.signal_name}[/yellow]: the dry run did not report in time")
        exit_stopped()
    if fmt is OutputFormat.table:
        _print_quotes(run.result)
    else:
        writer = RowWriter(fmt)
        for row in run.result:
            writer.write(row)
    if run.stopped:
        _print_stopped([], run.signal_name)
        exit_stopped()


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


def _print_skipped(outcomes: list[FileOutcome]) -> None:
    """One line counting the entries that were not read (hidden, links, ...), if any."""
    kinds = Counter(o.skipped for o in outcomes if o.skipped)
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


def _print_stopped(outcomes: list[FileOutcome], signal_name: str | None) -> None:
    finished = sum(1 for o in outcomes if o.document is not None and o.is_final)
    documents = sum(1 for o in outcomes if o.document is not None)
    again = sum(1 for o in outcomes if o.status == DocumentStatus.QUEUED)
    err.print(
        f"[yellow]stopped by {signal_name}[/yellow]: {finished} of {documents} document(s) "
        f"finished; {again} queued again (run `folio process` again to finish them)",
        soft_wrap=True,
    )


@app.command()
def show(
    document_id: str = typer.Argument(..., help="Document id (a unique prefix is enough)."),
    fmt: ItemFormat = item_format("table, or json: the stored extraction as one JSON object."),
    as_json: bool = json_alias(),
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
    if chosen_format(fmt, as_json) is ItemFormat.json:
        write_item(detail.detail(), _json_default)
        return
    _print_detail(detail)


def _print_detail(detail: DocumentOutcome) -> None:
    out = Console()
    out.print(
        f"[bold]{detail.document_id}[/bold]  {detail.file_name}  schema={detail.schema_name}  "
        f"status={detail.status}  pages={detail.pages}  engine={detail.engine}  "
        f"cost=${detail.cost_usd:.6f}  tier={detail.licence_tier}"
    )
    if detail.reason:
        out.print(f"reason: {detail.reason}")
    extraction = detail.extraction
    table = Table(show_lines=False)
    for column in ("field", "value", "confidence", "page", "source text", "flags"):
        table.add_column(column, overflow="fold")
    for name, found in (extraction.fields if extraction else {}).items():
        table.add_row(
            name,
            str(found.value),
            "?" if found.confidence is None else f"{found.confidence:.2f}",  # unknown
            str(found.page or "-"),
            (found.source_text or "")[:80],
            ", ".join(found.flags),
        )
    out.print(table)
    for table_name, rows in (extraction.tables if extraction else {}).items():
        items = Table(title=f"{table_name} ({len(rows)})")
        columns = sorted(
            {c for r in rows for c in r}, key=lambda c: list(rows[0]).index(c) if c in rows[0] else 99
        )
        for column in columns:
            items.add_column(column, overflow="fold")
        for r in rows:
            items.add_row(*(str(r[c].value) if c in r else "" for c in columns))
        out.print(items)


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
