"""folio report costs | licences: cost and licence reports computed in SQL."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import typer
from rich.console import Console
from rich.table import Table

from cli.common import (
    _exact_json,
    _instant,
    _open_sessions,
    _settings,
    err,
    report_app,
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


@report_app.command("costs")
def report_costs(
    by: str = typer.Option(
        "tenant,month", "--by", help="Comma-separated groups: tenant, month, model, tier, status."
    ),
    since: str = typer.Option(None, "--since", help="From this UTC date/time (ISO 8601), inclusive."),
    until: str = typer.Option(None, "--until", help="Until this UTC date/time (ISO 8601), exclusive."),
    fmt: OutputFormat = list_format("table, json (JSON Lines) or csv; money as exact decimals."),
    as_json: bool = json_alias(),
) -> None:
    """Costs from the usage ledger, grouped in SQL; totals equal the sum of ledger rows."""
    from storage import repository as repo

    settings = _settings()
    groups = [g.strip() for g in by.split(",") if g.strip()]
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            rows = repo.cost_report(
                session, by=groups, since=_instant(since, "--since"), until=_instant(until, "--until")
            )
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        write_rows(fmt, rows, _exact_json)
        return
    table = Table(title="Costs (USD, from the usage ledger)")
    measures = ("documents", "calls", "failed_calls", "input_tokens", "output_tokens", "cost_usd")
    for column in (*groups, *measures):
        table.add_column(column, justify="right" if column in measures else "left")
    for row in rows:
        table.add_row(
            *(str(row[g]) for g in groups),
            *(f"{row[m]:,}" if m != "cost_usd" else f"{row[m]:.8f}" for m in measures),
        )
    total = sum((row["cost_usd"] for row in rows), Decimal(0))
    table.add_row(
        *(["total"] + [""] * (len(groups) - 1) if groups else []),
        str(sum(r["documents"] for r in rows)),
        str(sum(r["calls"] for r in rows)),
        str(sum(r["failed_calls"] for r in rows)),
        f"{sum(r['input_tokens'] for r in rows):,}",
        f"{sum(r['output_tokens'] for r in rows):,}",
        f"{total:.8f}",
    )
    Console().print(table)


@report_app.command("licences")
def report_licences(
    since: str = typer.Option(None, "--since", help="Documents received from this UTC date/time."),
    until: str = typer.Option(None, "--until", help="Documents received before this UTC date/time."),
    fmt: ItemFormat = item_format("table, or json: one JSON object, money as decimal strings."),
    as_json: bool = json_alias(),
) -> None:
    """Documents per tier, model licence and policy decision, and why blocked ones were."""
    from storage import repository as repo

    settings = _settings()
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            report = repo.licence_report(
                session, since=_instant(since, "--since"), until=_instant(until, "--until")
            )
    finally:
        engine.dispose()
    if chosen_format(fmt, as_json) is ItemFormat.json:
        sys.stdout.write(json.dumps(report, default=_exact_json) + "\n")
        return
    out = Console()
    table = Table(title="Documents by licence tier, model licence and policy decision")
    for column in ("tier", "model licence", "model", "decision", "documents", "cost $"):
        table.add_column(column, overflow="fold")
    for row in report["decisions"]:
        table.add_row(
            row["tier"],
            row["model_licence"],
            row["model"],
            row["decision"],
            str(row["documents"]),
            f"{row['cost_usd']:.8f}",
        )
    out.print(table)
    blocked = Table(title="Blocked documents by reason")
    for column in ("tier", "documents", "reason"):
        blocked.add_column(column, overflow="fold")
    for row in report["blocked"]:
        blocked.add_row(row["tier"], str(row["documents"]), row["reason"])
    out.print(blocked)
