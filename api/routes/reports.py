"""``GET /v1/reports/costs`` and ``GET /v1/reports/fields``: analyst reports, tenant-scoped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query

from api.deps import CallerDep, SessionDep
from api.inputs import aware_utc
from api.problems import ApiProblem
from api.routes.query import _json
from core.errors import ConfigurationError
from storage import repository as repo

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/costs")
def cost_report(
    session: SessionDep,
    caller: CallerDep,
    by: str = Query("tenant,month", description="Comma-separated: tenant, month, model, tier, status."),
    since: dt.datetime | None = Query(None, description="Ledger rows from (UTC if naive)."),
    until: dt.datetime | None = Query(None, description="Ledger rows before (UTC if naive)."),
) -> dict[str, Any]:
    """Costs grouped in SQL (``cost_report``); money as exact decimal strings.

    A tenant's key sees only its own rows: the report is grouped by tenant too and the
    other tenants' rows dropped, which leaves every number of the tenant's rows as is.
    """
    groups = [g.strip() for g in by.split(",") if g.strip()]
    scoped = groups if caller.is_admin or "tenant" in groups else ["tenant", *groups]
    try:
        rows = repo.cost_report(
            session,
            by=scoped,
            since=aware_utc("since", since, assume_utc=True),
            until=aware_utc("until", until, assume_utc=True),
        )
    except ConfigurationError as exc:
        raise ApiProblem(422, exc.message) from None
    if not caller.is_admin:
        rows = [r for r in rows if r["tenant"] == caller.tenant_name]
        if "tenant" not in groups:
            rows = [{k: v for k, v in r.items() if k != "tenant"} for r in rows]
    return {"by": groups, "items": [_json(r) for r in rows]}


@router.get("/fields")
def field_report(session: SessionDep, caller: CallerDep, schema: str | None = None) -> dict[str, Any]:
    """Per schema and field: fill rate, mean confidence, review rate (highest first)."""
    rows = repo.field_report(session, tenant_scope=caller.tenant_scope, schema=schema)
    return {"items": rows}
