"""folio schema add | list | show: built-in and custom extraction schemas."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.common import (
    _open_sessions,
    _settings,
    err,
    schema_app,
)
from cli.output import (
    ItemFormat,
    OutputFormat,
    chosen_format,
    item_format,
    json_alias,
    list_format,
    write_rows,
)
from core.errors import ConfigurationError


@schema_app.command("add")
def schema_add(
    name: str = typer.Argument(..., help="Schema name, used with --schema."),
    source: str = typer.Argument(..., help="A .json JSON Schema, or path/to/module.py:ClassName."),
    description: str = typer.Option("", "--description", help="What it extracts (in the prompt)."),
    fmt: ItemFormat = item_format("table (a line on stderr), or json: the result as one JSON object."),
    as_json: bool = json_alias(),
) -> None:
    """Register a custom schema (a new version when its content changed)."""
    from flows.schemas import register_schema
    from storage.database import session_scope

    settings = _settings()
    try:
        engine, sessions = _open_sessions(settings)
        try:
            with session_scope(sessions) as session:
                schema, created = register_schema(session, name=name, source=source, description=description)
        finally:
            engine.dispose()
    except ConfigurationError as exc:
        # One line, whatever the schema held: a hostile one must not flood the terminal.
        err.print(f"[red]error:[/red] {escape(_one_line(str(exc)))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    fields = [f.name for f in schema.fields]
    row: dict[str, Any] = {
        "name": schema.name,
        "version": int(schema.version),
        "created": created,
        "fields": fields,
        "schema_hash": schema.schema_hash,
    }
    if chosen_format(fmt, as_json) is ItemFormat.json:
        sys.stdout.write(json.dumps(row) + "\n")
        return
    verb = "registered" if created else "unchanged:"
    err.print(
        f"schema {schema.name} {verb} version {schema.version} ({len(fields)} fields: {', '.join(fields)})"
    )


# Longest error line `folio schema add` prints (the rest would be the schema echoed back).
_ERROR_CHARS = 500


def _one_line(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1] + "…"


@schema_app.command("list")
def schema_list(fmt: OutputFormat = list_format(), as_json: bool = json_alias()) -> None:
    """List the built-in schemas and the latest version of each custom one."""
    from models.schemas import BUILTIN_SCHEMAS
    from storage import repository as repo

    settings = _settings()
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "version": s.version,
            "kind": "built-in",
            "description": s.description,
            "created_at": None,
        }
        for s in BUILTIN_SCHEMAS.values()
    ]
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            rows += [
                {
                    "name": r.name,
                    "version": str(r.version),
                    "kind": "custom",
                    "description": r.description,
                    "created_at": r.created_at.isoformat(),
                }
                for r in repo.list_schemas(session)
            ]
    finally:
        engine.dispose()
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        write_rows(fmt, rows)
        return
    table = Table(title=f"{len(rows)} schema(s)")
    for column in ("name", "version", "kind", "description"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["name"], row["version"], row["kind"], row["description"])
    Console().print(table)


@schema_app.command("show")
def schema_show(name: str = typer.Argument(..., help="Schema name.")) -> None:
    """Print a schema's JSON Schema (a custom one as registered, latest version)."""
    from flows.schemas import resolve_schema
    from models.schemas import BUILTIN_SCHEMAS
    from storage import repository as repo

    settings = _settings()
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            if name in BUILTIN_SCHEMAS:
                document = BUILTIN_SCHEMAS[name].json_schema()
            else:
                try:
                    resolve_schema(session, name)
                except ConfigurationError as exc:
                    err.print(f"[red]error:[/red] {exc}")
                    raise typer.Exit(2) from None
                row = repo.latest_schema(session, name)
                assert row is not None  # resolve_schema found it
                document = row.json_schema
    finally:
        engine.dispose()
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
