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

app = typer.Typer(
    help="Folio: documents in, schema-validated JSON out, every cost on record.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
# Cost and licence (issue 4): tenants and their tiers, cost and licence reports.
tenant_app = typer.Typer(help="Tenants and their licence tiers.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
report_app = typer.Typer(help="Cost and licence reports (computed in SQL).", no_args_is_help=True)
app.add_typer(report_app, name="report")
# Custom extraction schemas (issue 3): register, list and show users' schemas.
schema_app = typer.Typer(help="Extraction schemas: built-in and custom.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

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
    from flows.batch_run import BatchRequest, run_batch

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
    try:
        if as_json or dry_run:
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
    if dry_run:
        _print_quotes(rows)
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


_STATUS_STYLE = {
    "done": "green",
    "needs_review": "yellow",
    "partial": "yellow",
    "rejected": "red",
    "failed": "red",
    "blocked": "magenta",
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
            f"{found['confidence']:.2f}",
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


def _first(rows: list[dict[str, Any]], key: str) -> str:
    return next((str(r[key]) for r in rows if r.get(key)), "-")


def _exact_json(value: Any) -> Any:
    # Reports keep money exact: Decimal as a fixed-point string ("0.01234567"), never a float.
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _open_sessions(settings: Settings) -> Any:
    from storage.database import make_engine, make_session_factory
    from storage.migrate import upgrade

    upgrade(settings)
    engine = make_engine(settings)
    return engine, make_session_factory(engine)


def _tiers(settings: Settings) -> Any:
    from models.tiers import load_tiers

    try:
        return load_tiers(settings.tiers_file)
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@tenant_app.command("create")
def tenant_create(
    name: str = typer.Argument(..., help="Tenant name (unique)."),
    tier: str = typer.Option(None, "--tier", help="Licence tier (default: FOLIO_DEFAULT_TIER)."),
) -> None:
    """Create a tenant on a licence tier."""
    from storage import repository as repo
    from storage.database import session_scope

    settings = _settings()
    tier_name = tier or settings.default_tier
    try:
        _tiers(settings).get(tier_name)
        engine, sessions = _open_sessions(settings)
        try:
            with session_scope(sessions) as session:
                repo.create_tenant(session, name=name, tier=tier_name)
        finally:
            engine.dispose()
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    err.print(f"tenant {name} created on tier {tier_name}")


@tenant_app.command("set-tier")
def tenant_set_tier(
    name: str = typer.Argument(..., help="Tenant name."),
    tier: str = typer.Argument(..., help="New licence tier (documents already received keep theirs)."),
) -> None:
    """Move a tenant to another licence tier."""
    from storage import repository as repo
    from storage.database import session_scope

    settings = _settings()
    try:
        _tiers(settings).get(tier)
        engine, sessions = _open_sessions(settings)
        try:
            with session_scope(sessions) as session:
                repo.set_tenant_tier(session, name=name, tier=tier)
        finally:
            engine.dispose()
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    err.print(f"tenant {name} is now on tier {tier}")


@tenant_app.command("list")
def tenant_list(as_json: bool = typer.Option(False, "--json", help="JSON Lines.")) -> None:
    """List tenants with their tier and the tier's limits."""
    from storage import repository as repo

    settings = _settings()
    tiers = _tiers(settings)
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            tenants = [(t.name, t.tier, t.created_at) for t in repo.list_tenants(session)]
    finally:
        engine.dispose()
    rows = []
    for name, tier_name, created in tenants:
        tier = tiers.tiers.get(tier_name)
        rows.append(
            {
                "tenant": name,
                "tier": tier_name,
                "created_at": created.isoformat(),
                "known_tier": tier is not None,
                "pages_per_month": tier.pages_per_month if tier else None,
                "usd_per_month": tier.usd_per_month if tier else None,
                "allowed_models": list(tier.allowed_models) if tier else [],
            }
        )
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, default=_exact_json) + "\n")
        return
    table = Table(title=f"{len(rows)} tenant(s)")
    for column in ("tenant", "tier", "pages/month", "$/month", "models", "created (UTC)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        unlimited = "unlimited" if row["known_tier"] else "?"
        table.add_row(
            row["tenant"],
            row["tier"] + ("" if row["known_tier"] else " (unknown tier!)"),
            f"{row['pages_per_month']:,}" if row["pages_per_month"] is not None else unlimited,
            f"{row['usd_per_month']:,.2f}" if row["usd_per_month"] is not None else unlimited,
            ", ".join(row["allowed_models"]),
            row["created_at"][:19],
        )
    Console().print(table)


def _instant(value: str | None, option: str) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/red] {option} {value!r} is not an ISO 8601 date or time")
        raise typer.Exit(2) from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


@report_app.command("costs")
def report_costs(
    by: str = typer.Option(
        "tenant,month", "--by", help="Comma-separated groups: tenant, month, model, tier, status."
    ),
    since: str = typer.Option(None, "--since", help="From this UTC date/time (ISO 8601), inclusive."),
    until: str = typer.Option(None, "--until", help="Until this UTC date/time (ISO 8601), exclusive."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines; money as exact decimal strings."),
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
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, default=_exact_json) + "\n")
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
    as_json: bool = typer.Option(False, "--json", help="One JSON object; money as decimal strings."),
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
    if as_json:
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


@schema_app.command("add")
def schema_add(
    name: str = typer.Argument(..., help="Schema name, used with --schema."),
    source: str = typer.Argument(..., help="A .json JSON Schema, or path/to/module.py:ClassName."),
    description: str = typer.Option("", "--description", help="What it extracts (in the prompt)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
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
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    row = {
        "name": schema.name,
        "version": int(schema.version),
        "created": created,
        "fields": [f.name for f in schema.fields],
        "schema_hash": schema.schema_hash,
    }
    if as_json:
        sys.stdout.write(json.dumps(row) + "\n")
        return
    verb = "registered" if created else "unchanged:"
    err.print(
        f"schema {schema.name} {verb} version {schema.version} "
        f"({len(row['fields'])} fields: {', '.join(row['fields'])})"
    )


@schema_app.command("list")
def schema_list(as_json: bool = typer.Option(False, "--json", help="JSON Lines.")) -> None:
    """List the built-in schemas and the latest version of each custom one."""
    from models.schemas import BUILTIN_SCHEMAS
    from storage import repository as repo

    settings = _settings()
    rows: list[dict[str, Any]] = [
        {"name": s.name, "version": s.version, "kind": "built-in", "description": s.description}
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
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
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


# --- HTTP API (issue 5): API keys and `folio serve` -----------------------------------

key_app = typer.Typer(help="API keys of a tenant (stored hashed; shown once).", no_args_is_help=True)
tenant_app.add_typer(key_app, name="key")


@key_app.command("create")
def tenant_key_create(
    tenant: str = typer.Argument(..., help="Tenant the key acts for (created if missing)."),
    admin: bool = typer.Option(False, "--admin", help="An admin key: reads every tenant's documents."),
    as_json: bool = typer.Option(False, "--json", help='Print {"tenant": ..., "key": ...}.'),
) -> None:
    """Create an API key; the key is printed once and only its sha256 is stored."""
    from storage import repository as repo
    from storage.database import session_scope

    settings = _settings()
    engine, sessions = _open_sessions(settings)
    try:
        with session_scope(sessions) as session:
            tenant_id = None
            if not admin:
                tenant_id = repo.get_or_create_tenant(session, name=tenant, tier=settings.default_tier).id
            row, key = repo.create_api_key(session, tenant_id=tenant_id)
            prefix = row.prefix
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({"tenant": None if admin else tenant, "key": key, "admin": admin}))
        return
    err.print(f"{'admin ' if admin else ''}key {prefix}... created for {tenant}; shown once:")
    print(key)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    engine: EngineChoice = typer.Option(None, "--engine", help="Engine of the in-process worker."),
) -> None:
    """Serve the HTTP API with an in-process worker and the sweeper (one process)."""
    import uvicorn

    from api.app import create_app
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    application = create_app(settings, engine_name=engine.value if engine else None)
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())


# --- analyst queries (issue 7): folio query, folio export, folio report fields -------------


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


@app.command()
def export(
    out: Path = typer.Option(..., "--out", "-o", help="File to write."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, jsonl or parquet (needs pyarrow)."),
    where: list[str] = typer.Option(None, "--where", "-w", help="field>value; repeatable."),
    schema: str = typer.Option(None, "--schema", "-s", help="Schema name."),
    status: str = typer.Option(None, "--status", help="Document status."),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Tenant name."),
    since: str = typer.Option(None, "--since", help="Received from this UTC date/time."),
    until: str = typer.Option(None, "--until", help="Received before this UTC date/time."),
) -> None:
    """Every matching document to a file, streamed in batches (bounded memory)."""
    from storage import repository as repo
    from storage.export import export_rows

    settings = _settings()
    request = _document_query(where, schema, status, tenant, since, until, "id", 1)
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            count = export_rows(
                repo.iter_documents(session, query=request, tenant_scope=None), fmt=fmt, out=out
            )
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    err.print(f"{count} document(s) written to {out}")


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


def main() -> None:
    """Entry point of the ``folio`` command."""
    app()


if __name__ == "__main__":
    main()
