"""folio query and folio report fields: analyst queries (folio export: ``cli.exports``)."""

from __future__ import annotations

import json
import sys
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


def _document_query(
    where: list[str] | None,
    schema: str | None,
    status: str | None,
    tenant: str | None,
    since: str | None,
    until: str | None,
    sort: str,
    limit: int,
) -> Any:
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
    )


@app.command()
def query(
    where: list[str] = typer.Option(
        None, "--where", "-w", help="field>value (ops = != > >= < <= ~contains); repeatable."
    ),
    schema: str = typer.Option(None, "--schema", "-s", help="Schema name."),
    status: str = typer.Option(None, "--status", help="Document status."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name."),
    since: str = typer.Option(None, "--since", help="Received from this UTC date/time."),
    until: str = typer.Option(None, "--until", help="Received before this UTC date/time."),
    sort: str = typer.Option("-created_at", "--sort", help="created_at, cost_usd or id; - descending."),
    limit: int = typer.Option(100, "--limit", help="Rows to print (at most 1000)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json (JSON Lines) or csv."),
) -> None:
    """Documents whose fields match, e.g. --where 'total_amount>10000' --schema invoice."""
    from storage import repository as repo
    from storage.export import COLUMNS, flat

    if fmt not in ("table", "json", "csv"):
        err.print(f"[red]error:[/red] --format {fmt!r}: use table, json or csv")
        raise typer.Exit(2)
    settings = _settings()
    request = _document_query(where, schema, status, tenant, since, until, sort, limit)
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            rows = repo.query_documents(session, query=request, tenant_scope=None).rows
    except repo.QueryError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
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
    as_json: bool = typer.Option(False, "--json", help="JSON Lines."),
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
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
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
