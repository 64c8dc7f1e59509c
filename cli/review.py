"""folio review: the documents Folio is unsure of, and a person's corrections, approval or
rejection of them.

Exit codes: 0 done; 2 a usage error (bad FIELD=VALUE, a value the schema refuses, an
unknown tenant, an empty reason); 1 a refused operation (no such document, not in review,
changed by someone else meanwhile). Errors are one line on stderr.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import FolioTyper, _json_default, _open_sessions, _settings, app, err
from cli.output import (
    ItemFormat,
    OutputFormat,
    chosen_format,
    item_format,
    json_alias,
    list_format,
    write_rows,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from core.settings import Settings
    from flows.pipeline import DocumentRun

review_app = FolioTyper(
    help="The review queue: correct, approve or reject what Folio is unsure of.", no_args_is_help=True
)
app.add_typer(review_app, name="review")

AUTHOR_HELP = "Who is reviewing (default: the OS user)."


class ReviewOrder(StrEnum):
    """The order of the review queue."""

    oldest = "oldest"  # longest waiting first
    tier = "tier"  # higher licence tiers first


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", soft_wrap=True, markup=True, highlight=False)
    return typer.Exit(code)


@contextmanager
def _refusals() -> Iterator[None]:
    """Review errors as one line and an exit code (2: the input; 1: the document's state)."""
    from models.corrections import FieldValueError
    from storage import repository as repo

    try:
        yield
    except FieldValueError as exc:
        raise _fail(str(exc), 2) from None
    except (repo.QueryError, repo.TenantNotFoundError) as exc:
        raise _fail(str(exc), 2) from None
    except (repo.ReviewConflictError, repo.DocumentNotFoundError, LookupError) as exc:
        raise _fail(str(exc).strip("'\""), 1) from None


@contextmanager
def _database() -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    settings = _settings()
    engine, sessions = _open_sessions(settings)
    try:
        yield settings, sessions
    finally:
        engine.dispose()


def _author(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def _document_id(sessions: sessionmaker[Session], prefix: str) -> str:
    from flows.results import resolve_document_id

    with sessions() as session:
        return resolve_document_id(session, prefix)


def _current_version(sessions: sessionmaker[Session], document_id: str) -> int:
    from flows.review import review_detail

    detail = review_detail(sessions, document_id=document_id, tenant_id=None)
    if detail.version is None:
        raise LookupError(f"document {document_id} has no extraction to review")
    return detail.version


@review_app.command("list")
def review_list(
    tenant: str = typer.Option(None, "--tenant", "-t", help="Only this tenant's documents."),
    order: ReviewOrder = typer.Option(
        ReviewOrder.oldest, "--order", help="oldest (longest waiting first) or tier."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=200, help="At most this many."),
    fmt: OutputFormat = list_format(),
    as_json: bool = json_alias(),
) -> None:
    """Documents waiting for a person, with the reasons they were sent to review."""
    from flows.review import review_queue
    from storage import repository as repo

    with _database() as (_, sessions), _refusals():
        tenant_id = None
        if tenant is not None:
            with sessions() as session:
                row = repo.get_tenant(session, name=tenant)
            if row is None:
                raise repo.TenantNotFoundError(f"no tenant {tenant!r}")
            tenant_id = row.id
        page = review_queue(sessions, tenant_id=tenant_id, order=order.value, limit=limit)
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        write_rows(fmt, (item.__dict__ for item in page.items), _json_default)
        return
    if not page.items:
        err.print("nothing to review")
        return
    table = Table("id", "file", "schema", "version", "waiting since", "reasons")
    for item in page.items:
        since = f"{item.waiting_since:%Y-%m-%d %H:%M}" if item.waiting_since else "-"
        table.add_row(
            item.document_id[:8],
            item.file_name,
            item.schema_name,
            str(item.version or "-"),
            since,
            "; ".join(item.review_flags[:3]) or (item.reason or ""),
        )
    Console().print(table)


def _field_row(table: Table, name: str, found: Any) -> None:
    confidence = "-" if found.confidence is None else f"{found.confidence:.2f}"
    table.add_row(
        name,
        json.dumps(found.value, ensure_ascii=False),
        confidence,
        found.method or "",
        ", ".join(found.flags),
    )


@review_app.command("show")
def review_show(
    document: str = typer.Argument(..., help="Document id (or a unique prefix)."),
    fmt: ItemFormat = item_format(),
    as_json: bool = json_alias(),
) -> None:
    """A document's fields (value, confidence, how found, flags) and why it is in review."""
    from flows.review import review_detail

    with _database() as (_, sessions), _refusals():
        detail = review_detail(sessions, document_id=_document_id(sessions, document), tenant_id=None)
    d, extraction = detail.document, detail.extraction
    if chosen_format(fmt, as_json) is ItemFormat.json:
        body = {
            "id": d.id,
            "status": d.status.value,
            "reason": d.reason,
            "version": detail.version,
            "source": detail.source,
            "author": detail.author,
            "reviewed_by": d.reviewed_by,
            "extraction": extraction.model_dump(mode="json", exclude={"calls"}) if extraction else None,
            "corrections": [
                {
                    "field": c.field,
                    "before": c.before,
                    "after": c.after,
                    "author": c.author,
                    "version": c.to_version,
                }
                for c in detail.corrections
            ],
        }
        print(json.dumps(body, default=_json_default, ensure_ascii=False))
        return
    out = Console()
    out.print(f"[bold]{d.id}[/bold]  {d.file_name}  {d.status.value}  version {detail.version or '-'}")
    if d.reason:
        out.print(f"reason: {d.reason}", highlight=False)
    if extraction is None:
        out.print("no extraction")
        return
    table = Table("field", "value", "confidence", "how found", "flags")
    for name, found in extraction.fields.items():
        _field_row(table, name, found)
    for name, rows in extraction.tables.items():
        for index, row in enumerate(rows):
            for column, cell in row.items():
                _field_row(table, f"{name}[{index}].{column}", cell)
    out.print(table)
    for flag in extraction.review_flags:
        out.print(f"review: {flag}", highlight=False, markup=False)


def _parse_assignments(assignments: list[str]) -> dict[str, str | None]:
    fields: dict[str, str | None] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise _fail(f"{text!r}: write FIELD=VALUE (FIELD= clears the value)", 2)
        fields[name.strip()] = value if value.strip() else None
    return fields


@review_app.command("set")
def review_set(
    document: str = typer.Argument(..., help="Document id (or a unique prefix)."),
    assignments: list[str] = typer.Argument(
        ..., help="FIELD=VALUE (line_items[0].amount=12.50; FIELD= clears)."
    ),
    author: str = typer.Option(None, "--author", help=AUTHOR_HELP),
) -> None:
    """Correct values of the current version: a new version, marked as set by you."""
    from flows.review import correct_document

    fields = _parse_assignments(assignments)
    with _database() as (_, sessions), _refusals():
        document_id = _document_id(sessions, document)
        version = _current_version(sessions, document_id)
        row = correct_document(
            sessions,
            document_id=document_id,
            tenant_id=None,
            expected_version=version,
            fields=fields,
            author=_author(author),
        )
    if row.version == version:
        err.print(f"{document_id}: nothing changed (version {version})")
    else:
        err.print(f"{document_id}: version {row.version} ({len(fields)} field(s) set)")


async def _deliver(settings: Settings, sessions: sessionmaker[Session], run: DocumentRun) -> None:
    """Post the final-status callback as the API's worker would, and wait for it."""
    from api.callbacks import CallbackSender

    sender = CallbackSender(settings, sessions)
    try:
        await sender.deliver(run.document_id)
    finally:
        await sender.aclose()


def _end_review(document: str, author: str | None, reason: str | None) -> None:
    from flows.review import approve_document, reject_document

    with _database() as (settings, sessions), _refusals():
        document_id = _document_id(sessions, document)
        version = _current_version(sessions, document_id)

        async def notify(run: DocumentRun) -> None:
            await _deliver(settings, sessions, run)

        common: dict[str, Any] = {
            "document_id": document_id,
            "tenant_id": None,
            "expected_version": version,
            "author": _author(author),
            "on_finished": notify,
        }
        if reason is None:
            # Approval teaches the tenant's vendor memory, as the API's approve does.
            run = asyncio.run(approve_document(sessions, learn_with=settings, **common))
        else:
            run = asyncio.run(reject_document(sessions, reason=reason, **common))
    err.print(f"{document_id}: {run.status.value} (version {version})")


@review_app.command("approve")
def review_approve(
    document: str = typer.Argument(..., help="Document id (or a unique prefix)."),
    author: str = typer.Option(None, "--author", help=AUTHOR_HELP),
) -> None:
    """The current version is right: the document ends done, reviewed by you."""
    _end_review(document, author, None)


@review_app.command("reject")
def review_reject(
    document: str = typer.Argument(..., help="Document id (or a unique prefix)."),
    reason: str = typer.Option(..., "--reason", help="Why (shown to the tenant)."),
    author: str = typer.Option(None, "--author", help=AUTHOR_HELP),
) -> None:
    """The document cannot be used: it ends rejected with your reason."""
    if not reason.strip():
        raise _fail("--reason must say why", 2)
    _end_review(document, author, reason)
