"""Processing after upload: the in-process worker, signed callbacks with retries, and the
sweeper recovering a document whose worker died, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid

from api.signing import verify
from core.settings import Settings
from flows.pipeline import open_pipeline
from flows.sweeper import sweep_once
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import utcnow
from tests.api.conftest import SECRET, Receiver, api_settings, bearer, make_keys, running_app
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth


def _invoice() -> bytes:
    return invoice_pdf(make_invoice_truth(seed=uuid.uuid4().int % 10_000))


async def _wait_final(client, key: str, doc_id: str, timeout: float = 60.0) -> dict:  # type: ignore[no-untyped-def, type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = (await client.get(f"/v1/documents/{doc_id}", headers=bearer(key))).json()
        if DocumentStatus(body["status"]).is_final:
            return body  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"document {doc_id} did not finish in {timeout} s")


def test_upload_is_processed_and_the_callback_retried_until_delivered(
    db_settings: Settings, receiver: Receiver
) -> None:
    settings = api_settings(db_settings)
    keys = make_keys(settings)
    pdf = _invoice()

    async def go() -> None:
        async with running_app(settings, process=True, callbacks=receiver.transport) as (app, client):
            r = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                files={"file": ("inv.pdf", pdf, "application/pdf")},
                data={"schema": "invoice", "callback_url": receiver.url},
            )
            assert r.status_code == 202, r.text
            doc_id = r.json()["id"]
            final = await _wait_final(client, keys.alpha, doc_id)
            result = await client.get(f"/v1/documents/{doc_id}/result", headers=bearer(keys.alpha))
            assert result.status_code == 200
            fields = result.json()["fields"]
            assert fields and all("confidence" in f and "page" in f for f in fields.values())
            deadline = time.monotonic() + 10
            while len(receiver.posts) < receiver.failures + 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            refused = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                files={"file": ("x.pdf", _invoice(), "application/pdf")},
                data={"schema": "invoice", "callback_url": "https://evil.example/hook"},
            )
            assert refused.status_code == 422 and "ALLOWED_HOSTS" in refused.json()["detail"]
            return doc_id, final  # type: ignore[return-value]

    doc_id, final = asyncio.run(go())  # type: ignore[func-returns-value, misc]
    assert len(receiver.posts) == receiver.failures + 1
    headers, body = receiver.posts[-1]
    verify(
        SECRET,
        timestamp=headers["x-folio-timestamp"],
        signature=headers["x-folio-signature"],
        body=body,
        window_s=60,
    )
    event = json.loads(body)
    assert event["document_id"] == doc_id and event["status"] == final["status"]
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        attempts = repo.deliveries_for(session, document_id=doc_id)
    engine.dispose()
    assert [a.attempt for a in attempts] == list(range(1, receiver.failures + 2))
    assert [a.status_code for a in attempts] == [500] * receiver.failures + [204]


def test_sweeper_finishes_a_dead_workers_document_exactly_once(db_settings: Settings) -> None:
    settings = api_settings(db_settings)
    keys = make_keys(settings)
    pdf = _invoice()

    async def upload() -> str:
        async with running_app(settings) as (_, client):  # no processing: registered only
            r = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                files={"file": ("inv.pdf", pdf, "application/pdf")},
                data={"schema": "invoice"},
            )
            return str(r.json()["id"])

    doc_id = asyncio.run(upload())
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    # A worker claimed it and died: its lease lapsed a minute ago.
    with sessions.begin() as session:
        claimed = repo.claim_document(
            session,
            doc_id,
            owner="dead-worker",
            lease_seconds=1,
            now=utcnow() - dt.timedelta(seconds=60),
        )
        assert claimed is not None

    async def sweep() -> tuple[list, list]:  # type: ignore[type-arg]
        async with open_pipeline(settings) as pipeline:
            # Two sweepers at once: the claim lets exactly one of them process it.
            first, second = await asyncio.gather(
                sweep_once(pipeline, queued_after_s=3600), sweep_once(pipeline, queued_after_s=3600)
            )
            again = await sweep_once(pipeline, queued_after_s=0)
        return first + second, again

    runs, again = asyncio.run(sweep())
    assert sum(r.processed for r in runs) == 1
    assert again == []
    with sessions() as session:
        document = repo.get_document(session, doc_id)
        assert document is not None and DocumentStatus(document.status).is_final
        assert document.attempts == 2  # the dead worker's claim and the sweeper's
        history = repo.extraction_history(session, doc_id)
        assert len(history) == 1
        ledger = repo.ledger_for(session, doc_id)
        assert ledger and {row.extraction_id for row in ledger} == {history[0].id}
    engine.dispose()


def test_in_process_sweeper_picks_up_a_lost_trigger(db_settings: Settings) -> None:
    settings = api_settings(db_settings, queue={"sweep_queued_after_s": 0, "sweep_interval_s": 0.2})
    keys = make_keys(settings)
    pdf = _invoice()

    async def go() -> str:
        async with running_app(settings) as (_, client):  # trigger "lost": nobody processes
            doc_id = str(
                (
                    await client.post(
                        "/v1/documents",
                        headers=bearer(keys.alpha),
                        files={"file": ("inv.pdf", pdf, "application/pdf")},
                        data={"schema": "invoice"},
                    )
                ).json()["id"]
            )
        async with running_app(settings, process=True, sweep=True) as (_, client):
            final = await _wait_final(client, keys.alpha, doc_id)
            assert final["attempts"] == 1
        return doc_id

    asyncio.run(go())
