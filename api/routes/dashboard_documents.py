"""``/dashboard/documents``: the documents behind the dashboard's figures, as a server-rendered
table with filters (status, tenant, schema, created dates) and keyset pages; the dashboard's
bars link here with the filters of what they stand for.

Same sign-in as ``/dashboard`` and ``/review`` (a session cookie from ``/signin``, or a
Bearer key); a tenant's key sees only its tenant's documents (a ``tenant`` filter is for
admins: 403), an admin everyone's. A row opens ``/review`` for a document waiting for a
person, else ``/dashboard/documents/{id}``: the document as ``GET /v1/documents/{id}``
answers it, for a signed-in browser (that route takes only a Bearer key).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.callers import Caller
from api.deps import StateDep, web_caller
from api.inputs import CURSOR_MAX, DOCUMENT_ID_MAX, SCHEMA_NAME_MAX, TENANT_NAME_MAX
from api.problems import ApiProblem
from api.routes.signin import PAGE_HEADERS, page
from api.schemas import DocumentPublic
from api.state import ApiState
from flows.results import outcome_of
from models.document import DocumentStatus
from storage import repository as repo
from storage.tables import Document

router = APIRouter(tags=["dashboard"], include_in_schema=False)

PATH = "/dashboard/documents"
PAGE_SIZE = 50
_SORT = "-created_at"  # newest first; the cursors are those of GET /v1/documents
COLUMNS = ("File", "Tenant", "Schema", "Status", "Reason", "Engine", "Cost (USD)", "Created (UTC)")


@dataclass(frozen=True)
class DocumentFilters:
    """What the list is narrowed to (None: not filtered); dates are UTC days, both inclusive."""

    status: DocumentStatus | None = None
    tenant: str | None = None
    schema: str | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None

    def query(self, **more: str) -> dict[str, str]:
        """The filters as query parameters (those set), with ``more``."""
        values = {
            "status": self.status.value if self.status else None,
            "tenant": self.tenant,
            "schema": self.schema,
            "created_from": self.created_from.isoformat() if self.created_from else None,
            "created_to": self.created_to.isoformat() if self.created_to else None,
        }
        return {k: v for k, v in values.items() if v is not None} | more


def documents_link(**filters: str) -> str:
    """The list's address with these filters (the dashboard's bars link to it)."""
    return f"{PATH}?{urlencode(filters)}" if filters else PATH


def _date(name: str, value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiProblem(422, f"{name} must be a date, YYYY-MM-DD (got {value[:40]!r})") from None


def _filters(status: str, tenant: str, schema: str, created_from: str, created_to: str) -> DocumentFilters:
    """The form's values (an empty field: no filter) as filters; 422 for what is not one."""
    if status and status not in {s.value for s in DocumentStatus}:
        raise ApiProblem(422, f"status must be one of {', '.join(DocumentStatus)} (got {status[:40]!r})")
    return DocumentFilters(
        status=DocumentStatus(status) if status else None,
        tenant=tenant or None,
        schema=schema or None,
        created_from=_date("created_from", created_from),
        created_to=_date("created_to", created_to),
    )


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def _signed_in(request: Request, state: ApiState) -> Caller | None:
    caller = await web_caller(request, state)
    if caller is None and request.headers.get("authorization"):
        raise ApiProblem(401, "the API key is not valid")
    return caller


@router.get(PATH)
async def documents_page(  # noqa: PLR0913 - one parameter per filter
    request: Request,
    state: StateDep,
    status: Annotated[str, Query(max_length=40)] = "",
    tenant: Annotated[str, Query(max_length=TENANT_NAME_MAX)] = "",
    schema: Annotated[str, Query(max_length=SCHEMA_NAME_MAX)] = "",
    created_from: Annotated[str, Query(max_length=40)] = "",
    created_to: Annotated[str, Query(max_length=40)] = "",
    cursor: Annotated[str, Query(max_length=CURSOR_MAX)] = "",
) -> Response:
    """The documents list (signed-in browsers and keys; others are sent to ``/signin``)."""
    caller = await _signed_in(request, state)
    if caller is None:
        here = f"{PATH}?{request.url.query}" if request.url.query else PATH
        return RedirectResponse(f"/signin?next={quote(here, safe='')}", status_code=303)
    filters = _filters(status, tenant, schema, created_from, created_to)
    if filters.tenant is not None and not caller.is_admin:
        raise ApiProblem(403, "filtering by tenant needs an admin key")
    try:
        after = repo.decode_cursor(cursor, _SORT) if cursor else None
    except repo.QueryError as exc:
        raise ApiProblem(422, exc.message) from None
    html = await asyncio.to_thread(_render, state, caller, filters, after)
    return page("Folio documents", html)


@router.get(PATH + "/{document_id}")
async def document_json(document_id: str, request: Request, state: StateDep) -> Response:
    """One document as ``GET /v1/documents/{id}`` answers it, for a signed-in browser."""
    caller = await _signed_in(request, state)
    if caller is None:
        raise ApiProblem(401, "sign in at /signin, or send a Bearer key")
    if len(document_id) > DOCUMENT_ID_MAX:
        raise ApiProblem(404, "no such document")
    found = await asyncio.to_thread(_document, state, caller, document_id)
    if found is None:
        raise ApiProblem(404, f"no document {document_id}")
    return Response(found.model_dump_json(), media_type="application/json", headers=PAGE_HEADERS)


def _document(state: ApiState, caller: Caller, document_id: str) -> DocumentPublic | None:
    with state.sessions() as session:
        document = repo.get_document(session, document_id)
        if document is None or caller.tenant_scope not in (None, document.tenant_id):
            return None
        return DocumentPublic.of(outcome_of(document))


def _render(
    state: ApiState, caller: Caller, filters: DocumentFilters, after: tuple[dt.datetime, str] | None
) -> str:
    with state.sessions() as session:
        tenants = {t.id: t.name for t in repo.list_tenants(session)}
        to_day = filters.created_to + dt.timedelta(days=1) if filters.created_to else None
        found = repo.page_documents(
            session,
            tenant_id=caller.tenant_scope,
            tenant_name=filters.tenant,
            status=filters.status,
            schema_name=filters.schema,
            created_after=_day_start(filters.created_from),
            created_before=_day_start(to_day),
            after=after,
            limit=PAGE_SIZE + 1,  # one more than the page: is there a next one?
        )
    documents = found.documents[:PAGE_SIZE]
    following = None
    if len(found.documents) > PAGE_SIZE:
        last = documents[-1]
        cursor = repo.encode_cursor(_SORT, last.created_at, last.id)
        following = f"{PATH}?{urlencode(filters.query(cursor=cursor))}"
    rows = "".join(_row(d, tenants.get(d.tenant_id, "?")) for d in documents)
    head = "".join(f"<th scope='col'>{c}</th>" for c in COLUMNS)
    more = f"<a id='next' href='{escape(following)}'>Next page</a>" if following else ""
    who = "admin (every tenant)" if caller.is_admin else f"tenant {caller.tenant_name}"
    return (
        "<main><header class='bar'><h1>Folio documents</h1>"
        f"<a href='/dashboard'>Dashboard</a><span id='who'>Signed in as {escape(who)}</span></header>"
        f"{_form(caller, filters)}<p id='count'>{found.total} documents match.</p>"
        f"<table id='documents'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<p>{more}</p></main>"
    )


def _row(document: Document, tenant: str) -> str:
    if document.status == DocumentStatus.NEEDS_REVIEW:
        href = f"/review#{quote(document.id, safe='')}"
    else:
        href = f"{PATH}/{quote(document.id, safe='')}"
    cost = format(document.cost_usd.normalize(), "f") if document.cost_usd is not None else "0"
    cells = (
        f"<a href='{escape(href)}'>{escape(document.file_name)}</a>",
        escape(tenant),
        escape(document.schema_name),
        escape(str(document.status)),
        escape(document.reason or ""),
        escape(document.engine or ""),
        escape(cost),
        escape(document.created_at.strftime("%Y-%m-%d %H:%M")),
    )
    cells_html = "".join(f"<td>{c}</td>" for c in cells)
    status = escape(str(document.status))
    return f"<tr data-id='{escape(document.id)}' data-status='{status}'>{cells_html}</tr>"


def _form(caller: Caller, filters: DocumentFilters) -> str:
    statuses = "".join(
        f"<option value='{s}'{' selected' if s == filters.status else ''}>{s}</option>"
        for s in DocumentStatus
    )

    def text(name: str, label: str, value: str | None, kind: str = "text") -> str:
        return f"<label>{label} <input type='{kind}' name='{name}' value='{escape(value or '')}'></label> "

    tenant = text("tenant", "Tenant", filters.tenant) if caller.is_admin else ""
    return (
        f"<form id='filters' method='get' action='{PATH}' class='filters'>"
        f"<label>Status <select name='status'><option value=''>any</option>{statuses}</select></label> "
        f"{tenant}{text('schema', 'Schema', filters.schema)}"
        f"{text('created_from', 'Created from', _iso(filters.created_from), 'date')}"
        f"{text('created_to', 'to', _iso(filters.created_to), 'date')}"
        f"<button type='submit'>Filter</button> <a href='{PATH}'>Clear</a></form>"
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
