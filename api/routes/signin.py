"""Browser sign-in and the pages' own files: ``/signin`` (an API key, by form POST, into a
session cookie; see ``api.web_sessions``), ``/signout``, and ``/web/assets/*`` (the CSS and
JavaScript of the pages, served from this package: nothing is fetched from elsewhere, so the
pages work offline).
"""

from __future__ import annotations

import asyncio
import secrets
from html import escape
from importlib import resources
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.callers import cached_caller, lookup_caller
from api.deps import StateDep
from api.problems import ApiProblem
from api.web_sessions import (
    COOKIE,
    CSRF_FIELD,
    SIGNIN_COOKIE,
    current_session,
    safe_next,
    set_session_cookie,
    set_signin_cookie,
    web_sessions,
)

router = APIRouter(tags=["web"], include_in_schema=False)

# What the pages may load: their own files and the page images (as blob: URLs), nothing else.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ASSETS = {"review.css": "text/css", "review.js": "text/javascript"}
FORM_MAX_BYTES = 8 * 1024


def page(title: str, body: str, *, scripts: tuple[str, ...] = (), status_code: int = 200) -> HTMLResponse:
    """An HTML page with the shared style sheet, the given scripts and the headers above."""
    tags = "".join(f"<script src='/web/assets/{escape(s)}' defer></script>" for s in scripts)
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><link rel='stylesheet' href='/web/assets/review.css'>{tags}"
        f"</head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


@router.get("/web/assets/{name}")
def asset(name: str) -> Response:
    """One of the pages' CSS or JavaScript files (cached for an hour)."""
    if name not in ASSETS:
        raise ApiProblem(404, f"no asset {name}")
    data = resources.files("api").joinpath("web", name).read_bytes()
    return Response(
        data,
        media_type=ASSETS[name],
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _signin_form(request: Request, target: str, error: str | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    message = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    body = (
        "<main class='signin'><h1>Folio</h1><p>Sign in with an API key: a tenant's key shows that "
        "tenant's documents, an admin key everyone's.</p>"
        f"{message}<form method='post' action='/signin'>"
        f"<input type='hidden' name='{CSRF_FIELD}' value='{escape(token)}'>"
        f"<input type='hidden' name='next' value='{escape(target)}'>"
        "<label for='key'>API key</label> "
        "<input id='key' name='key' type='password' autocomplete='off' required autofocus>"
        " <button type='submit'>Sign in</button></form></main>"
    )
    response = page("Folio: sign in", body, status_code=status_code)
    set_signin_cookie(request, response, token)
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    """The sign-in form."""
    return _signin_form(request, safe_next(next))


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise ApiProblem(415, "send the form as application/x-www-form-urlencoded")
    # Counted as it arrives: a stranger's body is never held beyond the cap.
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            raise ApiProblem(413, f"a form is at most {FORM_MAX_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        raise ApiProblem(400, "the form is not valid URL-encoded UTF-8") from None
    return {name: values[0] for name, values in fields.items()}


@router.post("/signin")
async def signin(request: Request, state: StateDep) -> Response:
    """Trade an API key for a session cookie, then go to ``next`` (303)."""
    form = await _form(request)
    target = safe_next(form.get("next"))
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), form.get(CSRF_FIELD, "").encode()):
        return _signin_form(request, target, "The form expired; sign in again.", status_code=403)
    key = form.get("key", "").strip()
    digest, caller = cached_caller(state.settings, state.callers, key) if key else ("", None)
    if key and caller is None:
        caller = await asyncio.to_thread(lookup_caller, state.sessions, state.callers, digest)
    if caller is None:
        return _signin_form(request, target, "That API key is not valid.", status_code=401)
    token, _session = web_sessions(request).open(digest)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    set_session_cookie(request, response, token)
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End the browser's session (the form carries the session's CSRF token)."""
    session = current_session(request)
    form = await _form(request)
    if session is not None and not session.csrf_matches(form.get(CSRF_FIELD)):
        raise ApiProblem(403, "the form's CSRF token does not match the session")
    web_sessions(request).close(request.cookies.get(COOKIE))
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
