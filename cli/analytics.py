"""folio query and folio report fields: analyst queries (folio export: ``cli.exports``)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import (
    _instant,
    _open_sessions,
    _settings,
    app,
    err,
    report_app,
)
from cli.output import OutputFormat, chosen_format, json_alias, list_format, write_rows
from models.document import DocumentStatus


def _document_query(
    where: list[str] | None,
    schema: str | None,
    status: str | None,
    tenant: str | None,
    since: str | None,
    until: str | None,
    sort: str,
    limit: int,
    *,
    facets: dict[str, Any] | None = None,
) -> Any:
    """The repository query; ``facets``: the API's other filters (engine, model,
    licence_tier, min_confidence, has_review_flags)."""
    from storage import repository as repo

    try:
        predicates = [repo.parse_where(w) for w in where or []]
    except repo.QueryError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    return repo.DocumentQuery(
        schema=schema,
        status=status,
        tenant=tenant,
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),
        predicates=predicates,
        sort=sort,
        limit=limit,
        **(facets or {}),
    )


class QuerySort(StrEnum):
    """How ``folio query`` orders its rows (``-``: descending)."""

    newest = "-created_at"
    oldest = "created_at"
    costliest = "-cost_usd"
    cheapest = "cost_usd"
    id = "id"
    id_descending = "-id"


@app.command()
def query(
    where: list[str] = typer.Option(
        None, "--where", "-w", help="field>value (ops = != > >= < <= ~contains); repeatable."
    ),
    schema: str = typer.Option(None, "--schema", "-s", help="Schema name."),
    status: DocumentStatus = typer.Option(None, "--status", help="Document status."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name."),
    since: str = typer.Option(None, "--since", help="Received from this UTC date/time."),
    until: str = typer.Option(None, "--until", help="Received before this UTC date/time."),
    engine: str = typer.Option(None, "--engine", "-e", help="Engine that processed it: local or llama."),
    model: str = typer.Option(None, "--model", help="Model that processed it."),
    tier: str = typer.Option(None, "--tier", help="Licence tier in force when received."),
    min_confidence: float = typer.Option(
        None, "--min-confidence", min=0, max=1, help="Lowest field confidence at least this."
    ),
    review_flags: bool = typer.Option(
        None, "--review-flags/--no-review-flags", help="Only documents with (without) review flags."
    ),
    sort: QuerySort = typer.Option(
        QuerySort.newest.value, "--sort", help="created_at, cost_usd or id; a leading - descends."
    ),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="Rows to print."),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="table, json (JSON Lines) or csv."
    ),
) -> None:
    """Documents whose fields match, e.g. --where 'total_amount>10000' --schema invoice."""
    from storage import repository as repo
    from storage.export import COLUMNS, flat

    settings = _settings()
    facets = {
        "engine": engine,
        "model": model,
        "licence_tier": tier,
        "min_confidence": min_confidence,
        "has_review_flags": review_flags,
    }
    request = _document_query(
        where,
        schema,
        status.value if status else None,
        tenant,
        since,
        until,
        sort.value,
        limit,
        facets=facets,
    )
    db, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            rows = repo.query_documents(session, query=request, tenant_scope=None).rows
    except repo.QueryError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    flats = [flat(r) for r in rows]
    if fmt == "json":
        for f in flats:
            sys.stdout.write(json.dumps({**f, "fields": json.loads(f["fields"])}) + "\n")
        return
    if fmt == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(flats)
        return
    table = Table(title=f"{len(flats)} document(s)")
    for column in ("document", "tenant", "schema", "status", "cost $", "received (UTC)", "fields"):
        table.add_column(column, overflow="fold")
    for f in flats:
        table.add_row(
            f["document_id"][:8],
            f["tenant"],
            f["schema_name"],
            f["status"],
            f["cost_usd"],
            f["created_at"][:19],
            f["fields"][:120],
        )
    Console().print(table)


@report_app.command("fields")
def report_fields(
    schema: str = typer.Option(None, "--schema", "-s", help="Only this schema."),
    fmt: OutputFormat = list_format(),
    as_json: bool = json_alias(),
) -> None:
    """Per field: fill rate, mean confidence, review rate (fields failing review first)."""
    from storage import repository as repo

    settings = _settings()
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            rows = repo.field_report(session, tenant_scope=None, schema=schema)
    finally:
        engine.dispose()
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        write_rows(fmt, rows)
        return
    table = Table(title="Fields (current extractions)")
    for column in ("schema", "field", "documents", "fill rate", "mean conf.", "review rate"):
        table.add_column(column)
    for r in rows:
        conf = "-" if r["mean_confidence"] is None else f"{r['mean_confidence']:.2f}"
        table.add_row(
            r["schema_name"],
            r["field"],
            str(r["documents"]),
            f"{r['fill_rate']:.1%}",
            conf,
            f"{r['review_rate']:.1%}",
        )
    Console().print(table)
