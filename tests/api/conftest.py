"""The real app over ASGI (httpx), on SQLite and PostgreSQL, with real generated files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade


@dataclass(frozen=True)
class Keys:
    """API keys made for a test: two tenants and an admin."""

    alpha: str
    beta: str
    admin: str


SECRET = "test-webhook-secret-0123456789"
# Callback receivers answer at this host through the test's httpx transport (``receivers``),
# so nothing leaves the process. A public address literal: it passes the callback address
# rules as they stand in production, with no DNS lookup.
HOOK_HOST = "1.2.3.4"


def api_settings(base: Settings, **changes: dict[str, Any]) -> Settings:
    """``base`` with the API's test settings (callbacks to ``HOOK_HOST``, fast retries), then
    ``changes`` per section (``api={"max_upload_bytes": 1024}``)."""
    settings = base.replace(
        api={"webhook_secret": SECRET, "rate_limit_per_second": 0},
        callbacks={"allowed_hosts": [HOOK_HOST], "backoff_base_s": 0.05, "backoff_max_s": 0.2},
        extraction={"document_concurrency": 2},
    )
    return settings.replace(**changes)


def make_keys(settings: Settings) -> Keys:
    """Migrate, create tenants alpha and beta with a key each, and an admin key."""
    upgrade(settings)
    engine = make_engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            keys = {}
            for name in ("alpha", "beta"):
                tenant = repo.get_or_create_tenant(session, name=name, tier=settings.tenancy.default_tier)
                keys[name] = repo.create_api_key(session, tenant_id=tenant.id)[1]
            admin = repo.create_api_key(session, tenant_id=None)[1]
    finally:
        engine.dispose()
    return Keys(alpha=keys["alpha"], beta=keys["beta"], admin=admin)


@asynccontextmanager
async def running_app(
    settings: Settings,
    *,
    process: bool = False,
    sweep: bool = False,
    callbacks: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan entered, and a client speaking to it over ASGI; its callbacks
    go to ``callbacks`` (a ``Receivers`` transport), else to a transport that refuses them."""
    refuse = httpx.MockTransport(lambda request: httpx.Response(503))
    app = create_app(settings, process=process, sweep=sweep, callback_transport=callbacks or refuse)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://folio") as client:
            yield app, client


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api_db_settings(db_settings: Settings) -> Settings:
    """``db_settings`` (SQLite and PostgreSQL) with the API's test settings."""
    return api_settings(db_settings)


@pytest.fixture
def keys(api_db_settings: Settings) -> Keys:
    """Keys for tenants alpha and beta and an admin, on a migrated database."""
    return make_keys(api_db_settings)


@dataclass
class Receiver:
    """A callback endpoint that fails the first ``failures`` posts (500), then answers 204."""

    failures: int
    url: str
    transport: httpx.AsyncBaseTransport
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


class Receivers:
    """Callback receivers behind one httpx transport (give it to ``running_app``)."""

    def __init__(self) -> None:
        self.by_url: dict[str, Receiver] = {}
        self.transport = httpx.MockTransport(self._answer)

    def __call__(self, failures: int) -> Receiver:
        """A new receiver at its own URL on ``HOOK_HOST``."""
        url = f"https://{HOOK_HOST}/hook/{len(self.by_url) + 1}"
        self.by_url[url] = Receiver(failures=failures, url=url, transport=self.transport)
        return self.by_url[url]

    def _answer(self, request: httpx.Request) -> httpx.Response:
        state = self.by_url.get(str(request.url))
        if state is None or request.method != "POST":
            return httpx.Response(404)
        state.posts.append(({k.lower(): v for k, v in request.headers.items()}, request.read()))
        return httpx.Response(500 if len(state.posts) <= state.failures else 204)


@pytest.fixture
def receivers() -> Receivers:
    """Callback receivers: ``receivers(failures)``, all behind ``receivers.transport``."""
    return Receivers()


@pytest.fixture
def receiver(receivers: Receivers) -> Receiver:
    """A receiver that fails twice, then accepts."""
    return receivers(2)
