"""folio tenant ...: tenants, licence tiers and API keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import (
    FolioTyper,
    _exact_json,
    _open_sessions,
    _settings,
    _tiers,
    err,
    tenant_app,
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
from core.settings import Settings


def _write_tenant(settings: Settings, tier: str, write: Callable[[Any], object]) -> None:
    """Check ``tier`` exists, then run ``write(session)`` in one transaction (exit 2 on a
    configuration error such as an unknown tier or tenant)."""
    from storage.database import session_scope

    try:
        _tiers(settings).get(tier)
        engine, sessions = _open_sessions(settings)
        try:
            with session_scope(sessions) as session:
                write(session)
        finally:
            engine.dispose()
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

    settings = _settings()
    tier_name = tier or settings.tenancy.default_tier
    _write_tenant(settings, tier_name, lambda s: repo.create_tenant(s, name=name, tier=tier_name))
    err.print(f"tenant {name} created on tier {tier_name}")


@tenant_app.command("set-tier")
def tenant_set_tier(
    name: str = typer.Argument(..., help="Tenant name."),
    tier: str = typer.Argument(..., help="New licence tier (documents already received keep theirs)."),
) -> None:
    """Move a tenant to another licence tier."""
    from storage import repository as repo

    settings = _settings()
    _write_tenant(settings, tier, lambda s: repo.set_tenant_tier(s, name=name, tier=tier))
    err.print(f"tenant {name} is now on tier {tier}")


@tenant_app.command("set-callback")
def tenant_set_callback(
    name: str = typer.Argument(..., help="Tenant name."),
    url: str = typer.Argument(
        None, help="Default callback URL (https, host on FOLIO_CALLBACK_ALLOWED_HOSTS)."
    ),
    clear: bool = typer.Option(False, "--clear", help="Remove the tenant's default callback URL."),
) -> None:
    """Set the URL a tenant's final statuses are POSTed to when an upload names none."""
    from api.callbacks import CallbackRefused, check_callback_url
    from storage import repository as repo
    from storage.database import session_scope

    if clear == (url is not None):
        err.print("[red]error:[/red] give a URL or --clear (not both)")
        raise typer.Exit(2)
    settings = _settings()
    if url is not None:
        if len(url) > 2000:
            err.print("[red]error:[/red] the URL is longer than 2000 characters")
            raise typer.Exit(2)
        try:
            # The rules every delivery is checked against again (the address when it resolves).
            check_callback_url(url, settings)
        except CallbackRefused as exc:
            err.print(f"[red]error:[/red] callback URL refused: {exc}")
            raise typer.Exit(2) from None
    engine, sessions = _open_sessions(settings)
    try:
        with session_scope(sessions) as session:
            repo.set_tenant_callback(session, name=name, url=url)
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    err.print(f"tenant {name}: callbacks go to {url}" if url else f"tenant {name}: default callback cleared")


@tenant_app.command("list")
def tenant_list(fmt: OutputFormat = list_format(), as_json: bool = json_alias()) -> None:
    """List tenants with their tier and the tier's limits."""
    from storage import repository as repo

    settings = _settings()
    tiers = _tiers(settings)
    engine, sessions = _open_sessions(settings)
    try:
        with sessions() as session:
            tenants = [(t.name, t.tier, t.created_at, t.callback_url) for t in repo.list_tenants(session)]
    finally:
        engine.dispose()
    rows: list[dict[str, Any]] = []
    for name, tier_name, created, callback_url in tenants:
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
                "callback_url": callback_url,
            }
        )
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        write_rows(fmt, rows, _exact_json)
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


key_app = FolioTyper(help="API keys of a tenant (stored hashed; shown once).", no_args_is_help=True)
tenant_app.add_typer(key_app, name="key")


@key_app.command("create")
def tenant_key_create(
    tenant: str = typer.Argument(..., help="Tenant the key acts for (created if missing)."),
    admin: bool = typer.Option(False, "--admin", help="An admin key: reads every tenant's documents."),
    fmt: ItemFormat = item_format('table (the key alone on stdout), or json: {"tenant": ..., "key": ...}.'),
    as_json: bool = json_alias(),
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
                tier = settings.tenancy.default_tier
                tenant_id = repo.get_or_create_tenant(session, name=tenant, tier=tier).id
            row, key = repo.create_api_key(session, tenant_id=tenant_id)
            prefix = row.prefix
    finally:
        engine.dispose()
    if chosen_format(fmt, as_json) is ItemFormat.json:
        print(json.dumps({"tenant": None if admin else tenant, "key": key, "admin": admin}))
        return
    err.print(f"{'admin ' if admin else ''}key {prefix}... created for {tenant}; shown once:")
    print(key)


@key_app.command("list")
def tenant_key_list(
    tenant: str | None = typer.Argument(None, help="Tenant whose keys to list (default: every key)."),
    admin: bool = typer.Option(False, "--admin", help="Only the admin keys."),
    fmt: OutputFormat = list_format(),
    as_json: bool = json_alias(),
) -> None:
    """API keys by prefix, with when they were created and revoked (the keys themselves are
    never stored, so they cannot be shown)."""
    from storage import repository as repo
    from storage.database import session_scope

    settings = _settings()
    engine, sessions = _open_sessions(settings)
    try:
        with session_scope(sessions) as session:
            tenant_id = None
            if tenant is not None:
                row = repo.get_tenant(session, name=tenant)
                if row is None:
                    err.print(f"no tenant named {tenant!r}")
                    raise typer.Exit(2)
                tenant_id = row.id
            names = {t.id: t.name for t in repo.list_tenants(session)}
            keys = [
                {
                    "id": key.id,
                    "prefix": key.prefix,
                    "tenant": names.get(key.tenant_id) if key.tenant_id is not None else None,
                    "admin": key.tenant_id is None,
                    "created_at": key.created_at.isoformat(),
                    "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
                }
                for key in repo.list_api_keys(session, tenant_id=tenant_id, admin=admin)
            ]
    finally:
        engine.dispose()
    fmt = chosen_format(fmt, as_json)
    if fmt is not OutputFormat.table:
        write_rows(fmt, keys)
        return
    table = Table(title=f"{len(keys)} key(s)")
    for column in ("prefix", "tenant", "created (UTC)", "revoked (UTC)"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(
            f"{key['prefix']}...",
            "(admin)" if key["admin"] else str(key["tenant"]),
            str(key["created_at"])[:19],
            str(key["revoked_at"] or "")[:19],
        )
    Console().print(table)


@key_app.command("revoke")
def tenant_key_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix as `key list` shows it, or the whole key."),
) -> None:
    """Revoke a live API key. API processes stop accepting it within FOLIO_API_KEY_CACHE_S."""
    from storage import repository as repo
    from storage.database import session_scope

    settings = _settings()
    wanted = prefix.removesuffix("...")
    engine, sessions = _open_sessions(settings)
    try:
        with session_scope(sessions) as session:
            whole = repo.find_api_key(session, key=wanted)
            matches = [whole] if whole is not None else repo.live_keys_with_prefix(session, prefix=wanted)
            if len(wanted) < 8 and whole is None:
                err.print("give at least 8 characters of the key's prefix")
                raise typer.Exit(2)
            if not matches:
                err.print(f"no live key starts with {wanted!r}")
                raise typer.Exit(2)
            if len(matches) > 1:
                err.print(f"{len(matches)} live keys start with {wanted!r}; give more of the prefix")
                raise typer.Exit(2)
            repo.revoke_api_key(session, key_id=matches[0].id)
            shown = matches[0].prefix
    finally:
        engine.dispose()
    err.print(
        f"key {shown}... revoked; running API processes refuse it within "
        f"{settings.api.api_key_cache_s:g} s (FOLIO_API_KEY_CACHE_S)"
    )
