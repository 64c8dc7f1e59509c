"""A tenant's default callback URL (`folio tenant set-callback`): used when an upload names
none, never over the upload's own, and held to the same allow-list rules at delivery."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable

import httpx
from typer.testing import CliRunner, Result

from api.signing import verify
from cli import app as cli_app
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import CallbackDelivery
from tests.api.conftest import HOOK_HOST, SECRET, Receivers, api_settings, bearer, make_keys, running_app
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

HOOK = f"https://{HOOK_HOST}/hook"


def _folio(settings: Settings, *args: str) -> Result:
    env = {
        "FOLIO_DATA_DIR": str(settings.storage.data_dir),
        "FOLIO_DATABASE_URL": settings.storage.sqlalchemy_url,
        "FOLIO_WEBHOOK_SECRET": SECRET,
        "FOLIO_CALLBACK_ALLOWED_HOSTS": HOOK_HOST,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def _tenant_url(settings: Settings, name: str) -> str | None:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            tenant = repo.get_tenant(session, name=name)
            assert tenant is not None
            return tenant.callback_url
    finally:
        engine.dispose()


def _set_url_directly(settings: Settings, name: str, url: str) -> None:
    """What an older release or a hand edit could have stored, bypassing the CLI's check."""
    engine = make_engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            repo.set_tenant_callback(session, name=name, url=url)
    finally:
        engine.dispose()


def test_set_callback_checks_the_url_and_clear_removes_it(db_settings: Settings) -> None:
    settings = api_settings(db_settings)
    make_keys(settings)
    refused = _folio(settings, "tenant", "set-callback", "alpha", "https://evil.example/hook")
    assert refused.exit_code == 2 and "ALLOWED_HOSTS" in refused.output
    assert _tenant_url(settings, "alpha") is None
    unknown = _folio(settings, "tenant", "set-callback", "nobody", HOOK)
    assert unknown.exit_code == 2 and "nobody" in unknown.output
    neither = _folio(settings, "tenant", "set-callback", "alpha")
    assert neither.exit_code == 2
    ok = _folio(settings, "tenant", "set-callback", "alpha", HOOK)
    assert ok.exit_code == 0, ok.output
    assert _tenant_url(settings, "alpha") == HOOK
    assert _tenant_url(settings, "beta") is None
    listed = [json.loads(line) for line in _folio(settings, "tenant", "list", "--json").stdout.splitlines()]
    assert {row["tenant"]: row["callback_url"] for row in listed} == {
        "alpha": HOOK,
        "beta": None,
    }
    cleared = _folio(settings, "tenant", "set-callback", "alpha", "--clear")
    assert cleared.exit_code == 0, cleared.output
    assert _tenant_url(settings, "alpha") is None


async def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def test_tenant_callback_is_the_default_and_the_uploads_own_url_wins(
    db_settings: Settings, receivers: Receivers
) -> None:
    settings = api_settings(db_settings)
    keys = make_keys(settings)
    tenant_hook, own_hook = receivers(0), receivers(0)
    assert _folio(settings, "tenant", "set-callback", "alpha", tenant_hook.url).exit_code == 0

    def pdf() -> bytes:
        return invoice_pdf(make_invoice_truth(seed=uuid.uuid4().int % 10_000))

    async def upload(client: httpx.AsyncClient, key: str, **data: str) -> str:
        r = await client.post(
            "/v1/documents",
            headers=bearer(key),
            files={"file": ("inv.pdf", pdf(), "application/pdf")},
            data={"schema": "invoice", **data},
        )
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    async def go() -> tuple[str, str, str, str]:
        async with running_app(settings, process=True, callbacks=receivers.transport) as (app, client):
            by_tenant = await upload(client, keys.alpha)
            by_upload = await upload(client, keys.alpha, callback_url=own_hook.url)
            no_hook = await upload(client, keys.beta)  # beta has no default: nothing is sent
            await _wait_for(lambda: len(tenant_hook.posts) >= 1 and len(own_hook.posts) >= 1)
            # A default that no longer passes the rules is refused at delivery, and recorded.
            _set_url_directly(settings, "alpha", "https://evil.example/hook")
            refused = await upload(client, keys.alpha)
            await _wait_for(lambda: _deliveries(settings, refused) != [])
            await _wait_for(lambda: _final(settings, no_hook))
            # Every document's hook has run once the worker's backlog is empty; leaving the
            # app then drains the deliveries in flight.
            await _wait_for(lambda: app.state.folio.worker.backlog == 0)
        return by_tenant, by_upload, no_hook, refused

    by_tenant, by_upload, no_hook, refused = asyncio.run(go())
    sent = {json.loads(body)["document_id"]: headers for headers, body in tenant_hook.posts}
    assert set(sent) == {by_tenant}
    assert [json.loads(body)["document_id"] for _, body in own_hook.posts] == [by_upload]
    headers, body = tenant_hook.posts[0]
    verify(
        SECRET,
        timestamp=headers["x-folio-timestamp"],
        signature=headers["x-folio-signature"],
        body=body,
        window_s=60,
    )
    assert [(d.url, d.status_code) for d in _deliveries(settings, by_tenant)] == [(tenant_hook.url, 204)]
    assert _deliveries(settings, no_hook) == []
    attempts = _deliveries(settings, refused)
    assert len(attempts) == 1 and attempts[0].status_code is None
    assert attempts[0].error is not None and attempts[0].error.startswith("refused")


def _deliveries(settings: Settings, document_id: str) -> list[CallbackDelivery]:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            return repo.deliveries_for(session, document_id=document_id)
    finally:
        engine.dispose()


def _final(settings: Settings, document_id: str) -> bool:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            document = repo.get_document(session, document_id)
            return document is not None and document.status.is_final
    finally:
        engine.dispose()
