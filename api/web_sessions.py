"""Browser sign-in for the pages the API serves (``/review``, ``/dashboard``): one store of
cookie sessions, each bound to the caller its API key stood for and to a CSRF token.

How a browser gets in (no key in a URL, ever): the sign-in form (``/signin``) POSTs an API
key; a valid key opens a session whose id goes into an HttpOnly, SameSite=Strict cookie
(8 h), and whose CSRF token the pages embed and send back on every form (a ``csrf`` field)
and every XHR (the ``X-CSRF-Token`` header). The form itself carries a token too, set in a
short-lived cookie when the form is shown (double submit), so nobody can sign a browser in
under someone else's key. Admins can still trade a one-use 60 s ticket from
``POST /dashboard/tickets`` for a session. Sessions live in the app's memory: they hold for
one API process (sign in again after a restart) and are bounded in number.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request, Response

COOKIE = "folio_session"
SIGNIN_COOKIE = "folio_signin"  # the sign-in form's own CSRF token (double submit)
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
TICKET_SECONDS = 60
SESSION_SECONDS = 8 * 3600
SIGNIN_FORM_SECONDS = 15 * 60
# Bounds memory whatever browsers do; past it the sessions closest to expiry go first.
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: the key it signed in with (its sha256: every request resolves it
    again, so revoking the key ends its sessions too), its CSRF token, and when it lapses."""

    key_digest: str
    csrf: str
    expires: float  # time.monotonic()

    def csrf_matches(self, token: str | None) -> bool:
        """Whether ``token`` is this session's CSRF token (constant-time)."""
        return bool(token) and hmac.compare_digest(self.csrf.encode(), (token or "").encode())


@dataclass
class WebSessions:
    """The sessions and admin tickets of one app (token -> what it grants); thread-safe."""

    sessions: dict[str, WebSession] = field(default_factory=dict)
    tickets: dict[str, tuple[str, float]] = field(default_factory=dict)  # -> (key digest, until)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def open(self, key_digest: str, *, seconds: float = SESSION_SECONDS) -> tuple[str, WebSession]:
        """A new session for the key with ``key_digest``: (its cookie value, the session)."""
        now = time.monotonic()
        token = secrets.token_urlsafe(32)
        session = WebSession(key_digest=key_digest, csrf=secrets.token_urlsafe(32), expires=now + seconds)
        with self._lock:
            self._drop_expired(now)
            if len(self.sessions) >= MAX_SESSIONS:
                oldest = sorted(self.sessions, key=lambda t: self.sessions[t].expires)
                for stale in oldest[: len(self.sessions) - MAX_SESSIONS + 1]:
                    del self.sessions[stale]
            self.sessions[token] = session
        return token, session

    def get(self, token: str | None) -> WebSession | None:
        """The live session of a cookie value, or None."""
        if not token:
            return None
        session = self.sessions.get(token)
        if session is None or session.expires < time.monotonic():
            return None
        return session

    def close(self, token: str | None) -> None:
        """End a session (signing out); unknown tokens are ignored."""
        if token:
            with self._lock:
                self.sessions.pop(token, None)

    def issue_ticket(self, key_digest: str, seconds: float = TICKET_SECONDS) -> str:
        """A one-use ticket, valid for ``seconds``, that opens a session for the key with
        ``key_digest``."""
        now = time.monotonic()
        token = secrets.token_urlsafe(32)
        with self._lock:
            for stale in [t for t, (_, until) in self.tickets.items() if until < now]:
                del self.tickets[stale]
            self.tickets[token] = (key_digest, now + seconds)
        return token

    def redeem_ticket(self, token: str | None) -> str | None:
        """The key digest of a live ticket, or None; the ticket is used up either way."""
        if not token:
            return None
        with self._lock:
            entry = self.tickets.pop(token, None)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def _drop_expired(self, now: float) -> None:
        for stale in [t for t, s in self.sessions.items() if s.expires < now]:
            del self.sessions[stale]


def web_sessions(request: Request) -> WebSessions:
    """The app's session store (made once, by ``api.app.create_app``)."""
    store: WebSessions = request.app.state.folio_web_sessions
    return store


def current_session(request: Request) -> WebSession | None:
    """The session the request's cookie names, or None."""
    return web_sessions(request).get(request.cookies.get(COOKIE))


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser its session cookie (HttpOnly, SameSite=Strict; Secure over https)."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def set_signin_cookie(request: Request, response: Response, token: str) -> None:
    """The sign-in form's CSRF token, as a short-lived cookie the POST must match."""
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=SIGNIN_FORM_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/signin",
    )


def safe_next(target: str | None, default: str = "/review") -> str:
    """Where to go after signing in: a path on this server only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
