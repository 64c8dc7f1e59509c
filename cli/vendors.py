"""folio vendor ...: vendor memory, what approved documents taught per vendor.

    folio vendor list [--tenant T] [--json]
    folio vendor show ID [--json]      what it learned, from which documents, and why it matches
    folio vendor reset ID              forget it (the next approval of that vendor starts afresh)

``ID`` may be a unique prefix of the profile id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import FolioTyper, _open_sessions, _settings, app, err
from cli.output import (
    ItemFormat,
    OutputFormat,
    chosen_format,
    item_format,
    json_alias,
    list_format,
    write_rows,
)

vendor_app = FolioTyper(
    help="Vendor memory: what approved documents taught, per vendor.", no_args_is_help=True
)
app.add_typer(vendor_app, name="vendor")


@contextmanager
def _session(write: bool = False) -> Iterator[Any]:
    engine, sessions = _open_sessions(_settings())
    try:
        with sessions.begin() if write else sessions() as session:
            yield session
    finally:
        engine.dispose()


def _resolve(session: Any, prefix: str) -> str:
    from storage import repository as repo

    found = repo.vendor_profile_ids_with_prefix(session, prefix)
    if len(found) != 1:
        err.print(
            f"[red]error:[/red] {'no' if not found else 'more than one'} vendor profile with id {prefix!r}"
        )
        raise typer.Exit(1)
    return found[0]


def _tenant_id(session: Any, name: str | None) -> int | None:
    from storage import repository as repo

    if name is None:
        return None
    tenant = repo.get_tenant(session, name=name)
    if tenant is None:
        err.print(f"[red]error:[/red] no tenant {name!r}")
        raise typer.Exit(1)
    return tenant.id


@vendor_app.command("list")
def vendor_list(
    tenant: str = typer.Option(None, "--tenant", help="Only this tenant's vendors."),
    fmt: OutputFormat = list_format(),
    as_json: bool = json_alias(),
) -> None:
    """The vendor profiles, most recently taught first."""
    from storage import repository as repo

    with _session() as session:
        profiles = repo.vendor_profiles(session, tenant_id=_tenant_id(session, tenant))
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        listed = {"id", "tenant_id", "display_name", "schema_name", "approvals", "updated_at"}
        write_rows(fmt, (p.model_dump(mode="json", include=listed) for p in profiles))
        return
    table = Table("id", "tenant", "vendor", "schema", "approvals", "fields", "last taught")
    for p in profiles:
        when = p.updated_at.isoformat(timespec="seconds") if p.updated_at else "-"
        table.add_row(
            p.id or "-",
            p.tenant_id or "-",
            p.display_name,
            p.schema_name,
            str(p.approvals),
            str(len(p.fields)),
            when,
        )
    Console().print(table)


@vendor_app.command("show")
def vendor_show(
    profile_id: str = typer.Argument(..., help="Profile id (or a unique prefix)."),
    fmt: ItemFormat = item_format("table, or json: the whole profile as one JSON object."),
    as_json: bool = json_alias(),
) -> None:
    """What a vendor profile learned, from which documents, and the keys it is matched by."""
    from storage import repository as repo

    with _session() as session:
        profile = repo.get_vendor_profile(session, profile_id=_resolve(session, profile_id), tenant_id=None)
    assert profile is not None
    if chosen_format(fmt, as_json) is ItemFormat.json:
        typer.echo(json.dumps(profile.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    out = Console()
    out.print(
        f"vendor {profile.display_name}  (profile {profile.id}, tenant {profile.tenant_id}, "
        f"schema {profile.schema_name})"
    )
    out.print(f"taught by {profile.approvals} approved document(s): {', '.join(profile.document_ids)}")
    keys = profile.keys
    ids, ibans = ", ".join(keys.tax_ids) or "-", ", ".join(keys.ibans) or "-"
    out.print(f"keys: tax ids {ids}; IBANs {ibans}; name {keys.name or '-'}; layout {len(keys.layout)} words")
    table = Table("field", "where", "label", "page", "value box (x0, y0, x1, y1)", "last approved value")
    for name, memory in profile.fields.items():
        box = ", ".join(f"{v:.3f}" for v in memory.value_box)
        label = memory.label or (f"printed: {memory.printed}" if memory.printed else "-")
        table.add_row(
            name, memory.placement.value, label, str(memory.page), box, repr(profile.example.get(name))
        )
    out.print(table)


@vendor_app.command("reset")
def vendor_reset(profile_id: str = typer.Argument(..., help="Profile id (or a unique prefix).")) -> None:
    """Forget a vendor profile; the vendor's next approved document teaches a new one."""
    from storage import repository as repo

    with _session(write=True) as session:
        resolved = _resolve(session, profile_id)
        repo.delete_vendor_profile(session, profile_id=resolved, tenant_id=None)
    err.print(f"vendor profile {resolved} forgotten")
