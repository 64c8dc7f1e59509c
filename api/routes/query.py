"""``GET /v1/query/documents``: documents by metadata and typed field predicates.

Field predicates come as repeated triples, paired in order:
``?field=total_amount&op=gt&value=10000&field=currency&op=eq&value=EUR``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query

from api.deps import CallerDep, SessionDep
from api.inputs import aware_utc
from api.problems import ApiProblem
from models.document import DocumentStatus
from storage import repository as repo

router = APIRouter(prefix="/v1/query", tags=["query"])


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, never a float
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def build_query(
    *,
    schema: str | None,
    status: str | None,
    tenant: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    engine: str | None,
    model: str | None,
    tier: str | None,
    min_confidence: float | None,
    has_review_flags: bool | None,
    fields: list[str],
    ops: list[str],
    values: list[str],
    sort: str,
    cursor: str | None,
    limit: int,
) -> repo.DocumentQuery:
    """The repository query for these parameters (422 problem when they do not pair up)."""
    if not (len(fields) == len(ops) == len(values)):
        raise ApiProblem(422, "field, op and value must be given the same number of times")
    aware = [aware_utc(name, t, assume_utc=True) for name, t in (("since", since), ("until", until))]
    try:
        predicates = [repo.FieldPredicate(f, o, v) for f, o, v in zip(fields, ops, values, strict=True)]
    except repo.QueryError as exc:
        raise ApiProblem(422, exc.message) from None
    return repo.DocumentQuery(
        schema=schema,
        status=status,
        tenant=tenant,
        since=aware[0],
        until=aware[1],
        engine=engine,
        model=model,
        licence_tier=tier,
        min_confidence=min_confidence,
        has_review_flags=has_review_flags,
        predicates=predicates,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


@router.get("/documents")
def query_documents(
    session: SessionDep,
    caller: CallerDep,
    schema: str | None = None,
    status: DocumentStatus | None = None,
    tenant: str | None = Query(None, description="Tenant name; admin keys only."),
    since: dt.datetime | None = Query(None, description="Received at or after (UTC if naive)."),
    until: dt.datetime | None = Query(None, description="Received before (UTC if naive)."),
    engine: str | None = None,
    model: str | None = None,
    tier: str | None = Query(None, description="Licence tier in force when received."),
    min_confidence: float | None = Query(None, ge=0, le=1),
    has_review_flags: bool | None = None,
    field: list[str] = Query(default_factory=list, description="Field name (table.column for cells)."),
    op: list[str] = Query(default_factory=list, description="eq ne gt ge lt le contains"),
    value: list[str] = Query(default_factory=list, description="Number, ISO date, or text."),
    sort: str = Query("-created_at", description="created_at, cost_usd or id; - for descending."),
    cursor: str | None = Query(None, description="next_cursor of the previous page."),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """A page of matching documents, each with its single fields; tenant-scoped. Pages like
    every list: ``data``, ``limit``, ``next_cursor`` (``items``: deprecated name of ``data``)."""
    if tenant is not None and not caller.is_admin:
        raise ApiProblem(403, "filtering by tenant needs an admin key")
    query = build_query(
        schema=schema,
        status=status,
        tenant=tenant,
        since=since,
        until=until,
        engine=engine,
        model=model,
        tier=tier,
        min_confidence=min_confidence,
        has_review_flags=has_review_flags,
        fields=field,
        ops=op,
        values=value,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    try:
        page = repo.query_documents(session, query=query, tenant_scope=caller.tenant_scope)
    except repo.QueryError as exc:
        raise ApiProblem(422, exc.message) from None
    rows = [_json(row) for row in page.rows]
    # data, limit, next_cursor: every list of the API pages alike; "items" is this route's
    # old name for data, kept for the clients written against it.
    return {"data": rows, "limit": limit, "next_cursor": page.next_cursor, "items": rows}
