"""The real app over ASGI (httpx), on SQLite and PostgreSQL, with real generated files."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pymupdf
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

SECRET = "test-webhook-secret-0123456789"


def make_pdf(text: str, *, pad_bytes: int = 0) -> bytes:
    """A one-page PDF with ``text`` (distinct text: distinct bytes)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 72), text, fontsize=12)
    if pad_bytes:
        page.insert_text((72, 120), "x" * 10, fontsize=8)
        doc.set_metadata({"subject": "p" * pad_bytes})
    data = doc.tobytes()
    doc.close()
    return data


@dataclass(frozen=True)
class Keys:
    """API keys made for a test: two tenants and an admin."""

    alpha: str
    beta: str
    admin: str


def api_settings(base: Settings, **changes: object) -> Settings:
    """``base`` with the API's test settings (loopback callbacks, fast retries)."""
    values: dict[str, object] = {
        "webhook_secret": SECRET,
        "callback_allow_http_loopback": True,
        "callback_backoff_base_s": 0.05,
        "callback_backoff_max_s": 0.2,
        "rate_limit_per_second": 0,
        "document_concurrency": 2,
    }
    values.update(changes)
    return Settings(**{**base.model_dump(exclude_unset=True), **values}, _env_file=None)


def make_keys(settings: Settings) -> Keys:
    """Migrate, create tenants alpha and beta with a key each, and an admin key."""
    upgrade(settings)
    engine = make_engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            keys = {}
            for name in ("alpha", "beta"):
                tenant = repo.get_or_create_tenant(session, name=name, tier=settings.default_tier)
                keys[name] = repo.create_api_key(session, tenant_id=tenant.id)[1]
            admin = repo.create_api_key(session, tenant_id=None)[1]
    finally:
        engine.dispose()
    return Keys(alpha=keys["alpha"], beta=keys["beta"], admin=admin)


@asynccontextmanager
async def running_app(
    settings: Settings, *, process: bool = False, sweep: bool = False
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan entered, and a client speaking to it over ASGI."""
    app = create_app(settings, process=process, sweep=sweep)
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
    """A local HTTP server that fails the first ``failures`` posts, then answers 204."""

    failures: int
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receivers() -> Iterator[Callable[[int], Receiver]]:
    """Start local callback receivers: ``receivers(failures)``; all stopped at the end."""
    servers: list[ThreadingHTTPServer] = []

    def start(failures: int) -> Receiver:
        state = Receiver(failures=failures)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                state.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(500 if len(state.posts) <= state.failures else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        return state

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def receiver(receivers: Callable[[int], Receiver]) -> Receiver:
    """A receiver that fails twice, then accepts."""
    return receivers(2)
