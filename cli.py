"""``folio``: process documents, run migrations, look at results.

Prefect is imported only by the commands that run flows, after its environment is set from
Folio's settings (see ``flows.runtime``).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.errors import ConfigurationError
from core.logging import configure_logging
from core.settings import Settings

app = typer.Typer(help="Folio: documents in, schema-validated JSON out, every cost on record.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

err = Console(stderr=True)


class EngineChoice(StrEnum):
    auto = "auto"
    local = "local"
    llama = "llama"


def _settings() -> Settings:
    try:
        settings = Settings()
    except Exception as exc:  # pydantic's message names the bad FOLIO_ variable
        err.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    return settings


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the database migrations (creates the SQLite file on first use)."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings, revision)
    err.print(f"database at revision {revision}: {settings.sqlalchemy_url.split('@')[-1]}")


@app.command()
def process(
    paths: list[Path] = typer.Argument(..., help="Files or directories (every supported file under them)."),
    schema: str = typer.Option(None, "--schema", "-s", help="invoice, receipt or generic (default: FOLIO_DEFAULT_SCHEMA)."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name (default: FOLIO_DEFAULT_TENANT)."),
    engine: EngineChoice = typer.Option(None, "--engine", "-e", help="auto, local or llama (default: FOLIO_ENGINE)."),
    password: str = typer.Option(None, "--password", help="Password for encrypted PDFs (never stored).",
                                 envvar="FOLIO_PDF_PASSWORD"),
    reprocess: bool = typer.Option(False, "--reprocess", help="Extract again even if already done (new version)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input file (JSON Lines)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each document's outcome to stderr."),
) -> None:
    """Process documents end to end and print what happened to each."""
    settings = _settings()
    if not verbose:
        configure_logging("WARNING")
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from flows.batch_run import BatchRequest, run_batch

    request = BatchRequest(
        paths=paths,
        schema_name=schema or settings.default_schema,
        tenant=tenant or settings.default_tenant,
        engine=engine.value if engine else None,
        password=password,
        reprocess=reprocess,
    )
    started = time.perf_counter()
    try:
        if as_json:
            rows = asyncio.run(run_batch(settings, request))
        else:
            rows = _with_progress(settings, request)
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    elapsed = time.perf_counter() - started
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, default=_json_default) + "\n")
        return
    _print_table(rows, elapsed)


def _with_progress(settings: Settings, request: Any) -> list[dict[str, Any]]:
    from flows.batch_run import run_batch

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("processing", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        return asyncio.run(run_batch(settings, request, on_progress=on_progress))


_STATUS_STYLE = {"done": "green", "needs_review": "yellow", "partial": "yellow",
                 "rejected": "red", "failed": "red", "blocked": "magenta"}
_SHOWN_FIELDS = ("invoice_number", "invoice_date", "vendor_name", "merchant_name", "date",
                 "total_amount", "currency")


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
        table.add_row(name, str(found["value"]), f"{found['confidence']:.2f}", str(found["page"] or "-"),
                      (found["source_text"] or "")[:80], ", ".join(found["flags"]))
    out.print(table)
    for table_name, rows in detail["tables"].items():
        items = Table(title=f"{table_name} ({len(rows)})")
        columns = sorted({c for r in rows for c in r}, key=lambda c: list(rows[0]).index(c) if c in rows[0] else 99)
        for column in columns:
            items.add_column(column, overflow="fold")
        for r in rows:
            items.add_row(*(str(r.get(c, {}).get("value", "")) for c in columns))
        out.print(items)


def main() -> None:
    """Entry point of the ``folio`` command."""
    app()


if __name__ == "__main__":
    main()
