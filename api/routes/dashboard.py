"""``/dashboard``: server-rendered HTML with inline SVG charts, for admins.

Auth (no key in a URL, ever), through the browser sessions of ``api.web_sessions``: a
browser signs in at ``/signin?next=/dashboard`` with an admin key (form POST -> HttpOnly,
SameSite=Strict session cookie); a script sends the usual ``Authorization: Bearer`` header;
or an admin asks ``POST /dashboard/tickets`` (Bearer admin key) for a one-use ticket that
lives 60 s, and opening ``/dashboard?ticket=...`` trades it for the same session cookie and
redirects to the bare ``/dashboard``. Sessions live in the app's memory, so they hold for one
API process (sign in again after a restart).
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.callers import key_digest
from api.charts import horizontal_bars, stacked_bars
from api.deps import AdminDep, StateDep, web_caller
from api.problems import ApiProblem
from api.routes.dashboard_documents import documents_link
from api.state import ApiState
from api.web_sessions import TICKET_SECONDS, set_session_cookie, web_sessions
from storage import repository as repo

router = APIRouter(tags=["dashboard"])


@router.post("/dashboard/tickets")
def create_ticket(request: Request, _admin: AdminDep) -> dict[str, Any]:
    """A one-use, 60-second ticket; open ``url`` in a browser to sign in to the dashboard."""
    key = request.headers.get("authorization", "").partition(" ")[2].strip()
    ticket = web_sessions(request).issue_ticket(key_digest(key))
    return {"url": f"/dashboard?ticket={ticket}", "expires_in": TICKET_SECONDS}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, state: StateDep, ticket: str | None = None) -> Response:
    """The dashboard page (admin only)."""
    if ticket is not None:
        digest = web_sessions(request).redeem_ticket(ticket)
        if digest is None:
            raise ApiProblem(401, "the dashboard ticket is unknown, used or expired")
        token, _session = web_sessions(request).open(digest)
        response = RedirectResponse("/dashboard", status_code=303)
        set_session_cookie(request, response, token)
        return response
    caller = await web_caller(request, state)
    if caller is None and _wants_html(request):
        return RedirectResponse("/signin?next=/dashboard", status_code=303)
    if caller is None:
        raise ApiProblem(
            401,
            "the dashboard needs an admin: sign in at /signin, a Bearer key, or a ticket from "
            "POST /dashboard/tickets",
        )
    if not caller.is_admin:
        raise ApiProblem(403, "the dashboard needs an admin key")
    return HTMLResponse(await asyncio.to_thread(_render, state))


def _render(state: ApiState) -> str:
    with state.sessions() as session:
        return render_dashboard(session)


def render_dashboard(session: Any) -> str:
    """The whole page as HTML, charts drawn from the database now; each bar links to the
    documents behind it (``/dashboard/documents`` with its filters)."""
    data = repo.dashboard_series(session, tenant_scope=None)
    days = sorted({r["day"] for r in data["status_by_day"]})
    statuses = sorted({r["status"] for r in data["status_by_day"]})
    status_series = {s: [0.0] * len(days) for s in statuses}
    for r in data["status_by_day"]:
        status_series[r["status"]][days.index(r["day"])] += r["documents"]
    cost_days = sorted({r["day"] for r in data["cost_by_day"]})
    names = sorted({r["series"] for r in data["cost_by_day"]})
    cost_series = {n: [0.0] * len(cost_days) for n in names}
    for r in data["cost_by_day"]:
        cost_series[r["series"]][cost_days.index(r["day"])] += float(r["cost_usd"])
    # A cost bar's day is the day of its model calls, not always the day the document came:
    # it leads to all the tenant's documents.
    tenant_of = {r["series"]: r["tenant"] for r in data["cost_by_day"]}
    fields = repo.field_report(session, tenant_scope=None)[:20]
    charts = [
        stacked_bars(
            "chart-status",
            "Documents by status per day (UTC)",
            days,
            status_series,
            link=lambda day, status: documents_link(status=status, created_from=day, created_to=day),
        ),
        stacked_bars(
            "chart-cost",
            "Cost per day by tenant / model (USD)",
            cost_days,
            cost_series,
            unit=" $",
            link=lambda _day, series: documents_link(tenant=tenant_of[series]),
        ),
        horizontal_bars(
            "chart-tiers", "Documents per licence tier", [(r["tier"], r["documents"]) for r in data["tiers"]]
        ),
        horizontal_bars(
            "chart-review",
            "Review rate per field (share of documents)",
            [(f"{r['schema_name']}.{r['field']}", r["review_rate"]) for r in fields],
            fmt="{:.0%}",
            links=[documents_link(schema=r["schema_name"]) for r in fields],
        ),
    ]
    total = sum(r["documents"] for r in data["tiers"])
    cost = sum((r["cost_usd"] for r in data["tiers"]), start=0)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Folio dashboard</title>"
        "<style>body{font-family:sans-serif;margin:20px;background:#fff;color:#222}"
        ".chart{display:block;margin:12px 0;border:1px solid #ddd}"
        ".row{display:flex;gap:12px}</style></head><body>"
        f"<h1>Folio</h1><p id='summary'>{total} documents, {escape(format(cost, 'f'))} USD "
        "in total. Figures come from the same SQL as the API and the views. "
        f"<a id='documents' href='{documents_link()}'>All documents</a>; a bar opens the "
        "documents behind it.</p>"
        f"{charts[0]}{charts[1]}<div class='row'>{charts[2]}{charts[3]}</div></body></html>"
    )
