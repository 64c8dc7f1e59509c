"""``/review``: the review page, server-rendered, for a signed-in browser (``/signin``).

The page is a shell: the queue and each document come from the review API
(``api.routes.review``) through ``/web/assets/review.js``, which sends the session's CSRF
token (embedded here) on every request. A tenant's key reviews that tenant's documents; an
admin key everyone's. Keys (shown on the page): j/k or the arrows move between fields, Enter
edits one, Esc leaves it, s saves, a approves (saving first), r rejects, n opens the next
document, q goes back to the queue.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.callers import known_caller
from api.deps import StateDep, caller_of_digest
from api.problems import ApiProblem
from api.routes.signin import page
from api.web_sessions import CSRF_FIELD, current_session

router = APIRouter(tags=["web"], include_in_schema=False)

KEYS = (
    ("j / ↓", "next field"),
    ("k / ↑", "previous field"),
    ("Enter", "edit field"),
    ("Esc", "stop editing"),
    ("s", "save corrections"),
    ("a", "approve"),
    ("r", "reject"),
    ("n", "next document"),
    ("q", "back to the queue"),
)


@router.get("/review", response_class=HTMLResponse)
async def review_page(request: Request, state: StateDep) -> Response:
    """The review page (signed-in browsers; others are sent to ``/signin``)."""
    session = current_session(request)
    if session is None:
        return RedirectResponse("/signin?next=/review", status_code=303)
    try:
        caller = await caller_of_digest(
            state, session.key_digest, known_caller(state.settings, state.callers, session.key_digest)
        )
    except ApiProblem as problem:
        if problem.status != 401:
            raise
        return RedirectResponse("/signin?next=/review", status_code=303)
    who = "admin (every tenant)" if caller.is_admin else f"tenant {caller.tenant_name}"
    keys = "".join(f"<li><kbd>{escape(k)}</kbd> {escape(what)}</li>" for k, what in KEYS)
    body = (
        f"<main id='app' data-csrf='{escape(session.csrf)}'>"
        "<header class='bar'><h1>Folio review</h1>"
        f"<span id='who'>Signed in as {escape(who)} ({escape(caller.author)})</span>"
        "<form method='post' action='/signout' class='inline'>"
        f"<input type='hidden' name='{CSRF_FIELD}' value='{escape(session.csrf)}'>"
        "<button type='submit'>Sign out</button></form></header>"
        "<p id='status' role='status' aria-live='polite'></p>"
        "<section id='queue' aria-label='Review queue'>"
        "<div class='controls'><label for='order'>Order</label> <select id='order'>"
        "<option value='oldest'>oldest first</option><option value='tier'>licence tier priority</option>"
        "</select></div><table id='queue-table'><thead><tr><th>File</th><th>Schema</th><th>Tier</th>"
        "<th>Waiting since</th><th>Why</th></tr></thead><tbody></tbody></table>"
        "<button id='more' type='button' hidden>More</button></section>"
        "<section id='document' hidden aria-label='Document'>"
        "<ul id='reasons' class='reasons'></ul>"
        "<div class='split'><div class='viewer'><div class='pager'><button id='prev-page' type='button'>"
        "◀</button> <span id='page-label'></span> <button id='next-page' type='button'>▶</button></div>"
        "<div id='page-frame' class='page-frame'><img id='page-image' alt='page image'>"
        "<div id='boxes' class='boxes'></div></div></div>"
        "<div class='fields'><h2 id='doc-title'></h2><table id='fields'><thead><tr><th>Field</th>"
        "<th>Value</th><th>Confidence</th><th>Flags</th></tr></thead><tbody></tbody></table>"
        "<div class='actions'><button id='save' type='button'>Save (s)</button> "
        "<button id='approve' type='button'>Approve (a)</button> "
        "<button id='reject' type='button'>Reject (r)</button> "
        "<button id='next-doc' type='button'>Next (n)</button></div>"
        "<form id='reject-form' hidden><label for='reject-reason'>Why reject?</label> "
        "<input id='reject-reason' maxlength='2000' required> <button type='submit'>Reject</button> "
        "<button type='button' id='reject-cancel'>Cancel</button></form></div></div></section>"
        f"<aside class='keys'><h2>Keys</h2><ul>{keys}</ul></aside></main>"
    )
    return page("Folio review", body, scripts=("review.js",))
