"""folio eval export: reviewed documents written out as a golden set ``folio eval`` reads.

``eval`` itself takes golden-set paths, so ``export`` is recognised as its first word by
:class:`EvalCommand` (a folder named ``export`` is still reached as ``./export``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer import _click as click  # the click typer vendors: its Command and Context types

from cli.common import FolioCommand, FolioTyper, _instant, _open_sessions, _settings, err

export_app = FolioTyper(add_completion=False)


@export_app.command("export")
def eval_export(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder to write the golden set into (one folder per schema)."
    ),
    tenant: str = typer.Option(None, "--tenant", "-t", help="Only this tenant's documents."),
    since: str = typer.Option(
        None, "--since", help="Only documents reviewed at or after this ISO 8601 date or time."
    ),
) -> None:
    """Write every reviewed (approved) document's file and its corrected truth NAME.json."""
    settings = _settings()
    when = _instant(since, "--since")
    if out.exists() and not out.is_dir():
        err.print(f"[red]error:[/red] {out} exists and is not a folder")
        raise typer.Exit(2)
    from flows.review_export import export_reviewed
    from storage import repository as repo
    from storage.blobs import BlobStore

    engine, sessions = _open_sessions(settings)
    try:
        tenant_id = None
        if tenant is not None:
            with sessions() as session:
                row = repo.get_tenant(session, name=tenant)
            if row is None:
                err.print(f"[red]error:[/red] no tenant {tenant!r}")
                raise typer.Exit(2)
            tenant_id = row.id
        summary = export_reviewed(
            sessions, BlobStore(settings.storage.blob_dir), out=out, tenant_id=tenant_id, since=when
        )
    finally:
        engine.dispose()
    for skipped in summary.skipped:
        err.print(f"[yellow]skipped:[/yellow] {skipped}", soft_wrap=True)
    for schema_name, count in sorted(summary.written.items()):
        err.print(f"{count} document(s) -> {out / schema_name}  (folio eval {out / schema_name})")
    if not summary.total:
        err.print("no reviewed documents to export")


def export_command() -> click.Command:
    """The click command behind ``folio eval export``."""
    return typer.main.get_command(export_app)


class EvalCommand(FolioCommand):
    """``folio eval``, which hands ``folio eval export ...`` to the export command."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        if args and args[0] == "export":
            return export_command().make_context(f"{info_name} export", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)
