"""folio export: documents (or their line items) to CSV, JSON Lines or typed Parquet."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from cli.analytics import _document_query
from cli.common import _open_sessions, _settings, app, err
from core.errors import ConfigurationError
from models.document import DocumentStatus


class ExportFormat(StrEnum):
    """What ``folio export`` writes."""

    csv = "csv"
    json = "json"  # JSON Lines
    jsonl = "jsonl"  # the same, by its other name
    parquet = "parquet"  # typed columns


def _schemas(session: Any, names: list[str]) -> tuple[list[Any], list[str]]:
    """The matching documents' schemas that resolve, and the names of the free-form or
    unknown ones (their columns are whatever their documents hold)."""
    from flows.schemas import resolve_schema

    schemas, free = [], []
    for name in names:
        try:
            schema = resolve_schema(session, name)
        except ConfigurationError:  # a custom schema no longer registered: still exportable
            free.append(name)
            continue
        schemas.append(schema)
        if schema.free_form:
            free.append(name)
    return schemas, free


def _columns(session: Any, request: Any, table: str) -> list[Any]:
    from storage import repository as repo
    from storage.export import (
        DOCUMENT_COLUMNS,
        DOCUMENTS,
        TABLE_ROW_COLUMNS,
        TABLE_TAIL_COLUMNS,
        field_columns,
    )

    # --schema names the columns even when no document matches (an empty export keeps its shape).
    names = (
        [request.schema] if request.schema else repo.schema_names(session, query=request, tenant_scope=None)
    )
    schemas, free = _schemas(session, names)
    discovered = sorted(
        {
            n
            for name in free
            for n in repo.field_names(session, schema_name=name, table=table, tenant_scope=None)
        }
    )
    head = DOCUMENT_COLUMNS if table == DOCUMENTS else TABLE_ROW_COLUMNS
    tail = () if table == DOCUMENTS else TABLE_TAIL_COLUMNS
    taken = [c.name for c in (*head, *tail)]
    fields = field_columns(schemas, table=table, discovered=discovered, taken=taken)
    if table != DOCUMENTS and not fields and schemas:
        tables = sorted({s.name for schema in schemas for s in schema.fields if s.columns})
        raise ConfigurationError(
            f"no table {table!r} in the matching documents' schemas; "
            f"use --table documents or one of: {', '.join(tables) or 'none'}"
        )
    return [*head, *fields, *tail]


@app.command()
def export(
    out: str = typer.Option(..., "--out", "-o", help="File to write; - for standard output."),
    fmt: ExportFormat = typer.Option(
        ExportFormat.csv,
        "--format",
        "-f",
        help="csv, json (JSON Lines; jsonl also accepted) or parquet (typed).",
    ),
    table: str = typer.Option(
        "documents",
        "--table",
        help="documents: one row per document, a column per schema field; or a table field "
        "such as line_items: one row per table row, with its document id.",
    ),
    where: list[str] = typer.Option(None, "--where", "-w", help="field>value; repeatable."),
    schema: str = typer.Option(None, "--schema", "-s", help="Schema name."),
    status: DocumentStatus = typer.Option(None, "--status", help="Document status."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name."),
    since: str = typer.Option(None, "--since", help="Received from this UTC date/time."),
    until: str = typer.Option(None, "--until", help="Received before this UTC date/time."),
) -> None:
    """Every matching document to a file, streamed in batches (bounded memory): status, reason,
    review flags, lowest confidence, engine, model, cost, file name and one typed column per
    schema field (amounts as numbers, dates as dates, identifiers as text)."""
    from storage import repository as repo
    from storage.export import DOCUMENTS, export_rows

    settings = _settings()
    status_name = status.value if status else None
    request = _document_query(where, schema, status_name, tenant, since, until, "id", 1)
    engine, sessions = _open_sessions(settings)
    target = sys.stdout.buffer if out == "-" else Path(out)
    try:
        with sessions() as session:
            columns = _columns(session, request, table)
            fields = [c for c in columns if c.field is not None]
            rows = (
                repo.iter_export_documents(session, query=request, tenant_scope=None, fields=fields)
                if table == DOCUMENTS
                else repo.iter_export_table(
                    session, query=request, tenant_scope=None, table=table, fields=fields
                )
            )
            count = export_rows(rows, columns=columns, fmt=fmt.value, out=target)
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    what = "document(s)" if table == DOCUMENTS else f"{table} row(s)"
    err.print(f"{count} {what} written to {'standard output' if out == '-' else out}")
