"""Dependencies shared by the routes: settings, database sessions, the authenticated caller.

``get_caller`` resolves ``Authorization: Bearer <key>`` to a ``Caller``: a tenant's key gives
that tenant; an admin key (``folio tenant key create NAME --admin`` or
``FOLIO_ADMIN_KEY_HASH``) gives cross-tenant reads. Every query a route makes is scoped with
``caller.tenant_scope`` (None only for admins). Each tenant's requests also pass its rate
limit here (429 with ``Retry-After``); admins are not limited.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.problems import ApiProblem
from api.ratelimit import retry_after_header
from api.state import ApiState
from core.settings import Settings
from storage import repository as repo
from storage.tables import Tenant


@dataclass(frozen=True)
class Caller:
    """Who is calling: a tenant (by id and name) or an admin."""

    tenant_id: int | None
    tenant_name: str | None
    is_admin: bool = False

    @property
    def tenant_scope(self) -> int | None:
        """The tenant every query must be limited to; None means all tenants (admin)."""
        return None if self.is_admin else self.tenant_id


def get_state(request: Request) -> ApiState:
    """The app's ``ApiState``."""
    state: ApiState = request.app.state.folio
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


def get_settings(state: StateDep) -> Settings:
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
    """The caller an API key stands for, or None for an unknown or revoked key."""
    admin_hash = state.settings.admin_key_hash
    if admin_hash and hmac.compare_digest(
        hashlib.sha256(key.encode()).hexdigest(), admin_hash.strip().lower()
    ):
        return Caller(tenant_id=None, tenant_name=None, is_admin=True)
    with state.sessions() as session:
        row = repo.find_api_key(session, key=key)
        if row is None:
            return None
        if row.tenant_id is None:
            return Caller(tenant_id=None, tenant_name=None, is_admin=True)
        tenant = session.get(Tenant, row.tenant_id)
        return Caller(tenant_id=row.tenant_id, tenant_name=tenant.name if tenant else None)


def get_caller(request: Request, state: StateDep) -> Caller:
    """The authenticated caller (401 problem otherwise), within its rate limit (429)."""
    caller = resolve_caller(state, _bearer(request))
    if caller is None:
        raise ApiProblem(401, "the API key is not valid", headers=_UNAUTHORIZED)
    if not caller.is_admin:
        wait = state.limiter.acquire(caller.tenant_id)
        if wait > 0:
            raise ApiProblem(
                429,
                f"rate limit of {state.settings.rate_limit_per_second:g} requests/s for this tenant exceeded",
                headers={"Retry-After": retry_after_header(wait)},
            )
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_admin(caller: CallerDep) -> Caller:
    """The caller, if an admin (403 problem otherwise)."""
    if not caller.is_admin:
        raise ApiProblem(403, "this needs an admin key")
    return caller


AdminDep = Annotated[Caller, Depends(get_admin)]


def get_tenant_caller(caller: CallerDep) -> Caller:
    """The caller, if it acts for one tenant (uploads need a tenant; 403 for admin keys)."""
    if caller.is_admin or caller.tenant_id is None or caller.tenant_name is None:
        raise ApiProblem(403, "uploads need a tenant's API key; admin keys only read")
    return caller


TenantCallerDep = Annotated[Caller, Depends(get_tenant_caller)]
