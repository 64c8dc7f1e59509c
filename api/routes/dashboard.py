"""``/dashboard``: server-rendered HTML with inline SVG charts, for admins.

Auth (no key in a URL, ever): an admin either sends the usual ``Authorization: Bearer``
header, or asks ``POST /dashboard/tickets`` (Bearer admin key) for a one-use ticket that
lives 60 s; opening ``/dashboard?ticket=...`` trades it for an HttpOnly, SameSite=Strict
session cookie (8 h) and redirects to the bare ``/dashboard``. Tickets and sessions live
in the app's memory, so they hold for one API process (sign in again after a restart).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.charts import horizontal_bars, stacked_bars
from api.deps import AdminDep, SessionDep, StateDep, resolve_caller
from api.problems import ApiProblem
from storage import repository as repo

router = APIRouter(tags=["dashboard"])
COOKIE = "folio_dashboard"
TICKET_SECONDS = 60
SESSION_SECONDS = 8 * 3600


@dataclass
class DashboardLogins:
    """One-use tickets and cookie sessions of this app (token -> expiry, monotonic)."""

    tickets: dict[str, float] = field(default_factory=dict)
    sessions: dict[str, float] = field(default_factory=dict)

    def issue(self, store: dict[str, float], seconds: float) -> str:
        """A new random token in ``store`` valid for ``seconds``; expired ones are dropped."""
        now = time.monotonic()
        for token in [t for t, until in store.items() if until < now]:
            del store[token]
        token = secrets.token_urlsafe(32)
        store[token] = now + seconds
        return token

    def valid(self, store: dict[str, float], token: str | None, *, consume: bool = False) -> bool:
        """Whether ``token`` is live in ``store`` (removing it when ``consume``)."""
        if not token:
            return False
        until = store.pop(token, None) if consume else store.get(token)
        return until is not None and until >= time.monotonic()


def _logins(request: Request) -> DashboardLogins:
    logins = getattr(request.app.state, "folio_dashboard", None)
    if logins is None:
        logins = DashboardLogins()
        request.app.state.folio_dashboard = logins
    return logins


@router.post("/dashboard/tickets")
def create_ticket(request: Request, _admin: AdminDep) -> dict[str, Any]:
    """A one-use, 60-second ticket; open ``url`` in a browser to sign in to the dashboard."""
    ticket = _logins(request).issue(_logins(request).tickets, TICKET_SECONDS)
    return {"url": f"/dashboard?ticket={ticket}", "expires_in": TICKET_SECONDS}


def _authorised(request: Request, state: Any) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        caller = resolve_caller(state, key.strip())
        return caller is not None and caller.is_admin
    logins = _logins(request)
    return logins.valid(logins.sessions, request.cookies.get(COOKIE))


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, state: StateDep, ticket: str | None = None) -> Response:
    """The dashboard page (admin only)."""
    logins = _logins(request)
    if ticket is not None:
        if not logins.valid(logins.tickets, ticket, consume=True):
            raise ApiProblem(401, "the dashboard ticket is unknown, used or expired")
        response = RedirectResponse("/dashboard", status_code=303)
        response.set_cookie(
            COOKIE,
            logins.issue(logins.sessions, SESSION_SECONDS),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/dashboard",
        )
        return response
    if not _authorised(request, state):
        raise ApiProblem(
            401, "the dashboard needs an admin: Bearer key or a ticket from POST /dashboard/tickets"
        )
    return HTMLResponse(render_dashboard(session))


def render_dashboard(session: Any) -> str:
    """The whole page as HTML, charts drawn from the database now."""
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
    fields = repo.field_report(session, tenant_scope=None)[:20]
    charts = [
        stacked_bars("chart-status", "Documents by status per day (UTC)", days, status_series),
        stacked_bars("chart-cost", "Cost per day by tenant / model (USD)", cost_days, cost_series, unit=" $"),
        horizontal_bars(
            "chart-tiers", "Documents per licence tier", [(r["tier"], r["documents"]) for r in data["tiers"]]
        ),
        horizontal_bars(
            "chart-review",
            "Review rate per field (share of documents)",
            [(f"{r['schema_name']}.{r['field']}", r["review_rate"]) for r in fields],
            fmt="{:.0%}",
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
        "in total. Figures come from the same SQL as the API and the views.</p>"
        f"{charts[0]}{charts[1]}<div class='row'>{charts[2]}{charts[3]}</div></body></html>"
    )
