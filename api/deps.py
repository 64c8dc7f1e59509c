"""Dependencies shared by the routes: settings, database sessions, the authenticated caller.

``get_caller`` resolves ``Authorization: Bearer <key>`` to a ``Caller``: a tenant's key gives
that tenant; an admin key (``folio tenant key create NAME --admin`` or
``FOLIO_ADMIN_KEY_HASH``) gives cross-tenant reads. Every query a route makes is scoped with
``caller.tenant_scope`` (None only for admins). Each tenant's requests also pass its rate
limit here (429 with ``Retry-After``); admins are not limited.

The dependencies are ``async`` so the event loop runs them: a sync dependency costs a hop to
the thread pool per request. A key found in the process's cache (``api.callers``) needs no
database at all; otherwise one query runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.callers import Caller, cached_caller, known_caller, lookup_caller, resolve_key
from api.problems import ApiProblem
from api.ratelimit import retry_after_header
from api.state import ApiState
from api.web_sessions import CSRF_HEADER, current_session
from core.settings import Settings

__all__ = [
    "AdminDep",
    "Caller",
    "CallerDep",
    "KeyOrBrowserCallerDep",
    "SessionDep",
    "SettingsDep",
    "StateDep",
    "TenantCallerDep",
    "get_caller",
    "get_state",
    "resolve_caller",
    "web_caller",
]


async def get_state(request: Request) -> ApiState:
    """The app's ``ApiState``."""
    state: ApiState = request.app.state.folio
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    """The app's one ``Settings``."""
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session for one request; the route commits what it writes (``session.commit()``)."""
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="folio"'}


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiProblem(401, "an API key is required: Authorization: Bearer <key>", headers=_UNAUTHORIZED)
    return key.strip()


def resolve_caller(state: ApiState, key: str) -> Caller | None:
    """The caller an API key stands for, or None for an unknown or revoked key (blocking:
    call it from a worker thread, or use ``get_caller``)."""
    return resolve_key(state.settings, state.sessions, state.callers, key)


async def caller_of_digest(state: ApiState, digest: str, cached: Caller | None = None) -> Caller:
    """The caller of a key's digest (401 problem for an unknown or revoked key), within its
    tenant's rate limit (429)."""
    caller = cached
    if caller is None:
        caller = await asyncio.to_thread(lookup_caller, state.sessions, state.callers, digest)
    if caller is None:
        raise ApiProblem(401, "the API key is not valid", headers=_UNAUTHORIZED)
    if not caller.is_admin:
        wait = state.limiter.acquire(caller.tenant_id)
        if wait > 0:
            raise ApiProblem(
                429,
                f"rate limit of {state.settings.api.rate_limit_per_second:g} requests/s "
                "for this tenant exceeded",
                headers={"Retry-After": retry_after_header(wait)},
            )
    return caller


async def get_caller(request: Request, state: StateDep) -> Caller:
    """The authenticated caller (401 problem otherwise), within its rate limit (429)."""
    digest, caller = cached_caller(state.settings, state.callers, _bearer(request))
    return await caller_of_digest(state, digest, caller)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_admin(caller: CallerDep) -> Caller:
    """The caller, if an admin (403 problem otherwise)."""
    if not caller.is_admin:
        raise ApiProblem(403, "this needs an admin key")
    return caller


AdminDep = Annotated[Caller, Depends(get_admin)]


async def get_tenant_caller(caller: CallerDep) -> Caller:
    """The caller, if it acts for one tenant (uploads need a tenant; 403 for admin keys)."""
    if caller.is_admin or caller.tenant_id is None or caller.tenant_name is None:
        raise ApiProblem(403, "uploads need a tenant's API key; admin keys only read")
    return caller


TenantCallerDep = Annotated[Caller, Depends(get_tenant_caller)]


async def get_key_or_browser_caller(request: Request, state: StateDep) -> Caller:
    """The caller of a Bearer key, or of the browser session its cookie names (``/review``
    calls the API this way); a browser must send its session's CSRF token in the
    ``X-CSRF-Token`` header on every request (403 problem otherwise). A session resolves
    its key again on each request, so a revoked key's sessions stop with it."""
    if request.headers.get("authorization"):
        return await get_caller(request, state)
    session = current_session(request)
    if session is None:
        raise ApiProblem(
            401,
            "an API key is required: Authorization: Bearer <key>, or sign in at /signin",
            headers=_UNAUTHORIZED,
        )
    if not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise ApiProblem(403, f"the {CSRF_HEADER} header is missing or does not match the session")
    known = known_caller(state.settings, state.callers, session.key_digest)
    return await caller_of_digest(state, session.key_digest, known)


KeyOrBrowserCallerDep = Annotated[Caller, Depends(get_key_or_browser_caller)]


async def web_caller(request: Request, state: ApiState) -> Caller | None:
    """The caller of a Bearer key or of the browser's session; None for neither (or a key
    that is not valid)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return await asyncio.to_thread(resolve_caller, state, key.strip())
    session = current_session(request)
    if session is None:
        return None
    known = known_caller(state.settings, state.callers, session.key_digest)
    try:
        return await caller_of_digest(state, session.key_digest, known)
    except ApiProblem:
        return None
