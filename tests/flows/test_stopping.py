"""Stopping cleanly: the signal-driven runner, a lease given back on a graceful stop (SQLite
and PostgreSQL), and a stopped batch inbox run whose files the next run finishes."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from core.errors import ConfigurationError
from core.settings import Settings
from flows.batch import BatchHooks, run_batch_ingest
from flows.intake import register_file
from flows.pipeline import RELEASED_REASON, open_pipeline, run_document
from flows.sources import LocalInbox
from flows.stopping import StopRequest, run_stoppable
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.tables import Document, SourceFile
from tests.fakes.vllm_server import FakeFaults, FakeVllmServer
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

OLD = time.time() - 3600


def _signal_soon(number: signal.Signals, *, times: int = 1) -> None:
    def send() -> None:
        for _ in range(times):
            os.kill(os.getpid(), number)
            time.sleep(0.05)

    threading.Timer(0.2, send).start()


def test_a_signal_asks_the_run_to_stop_and_the_run_reports():
    async def run(stop: StopRequest) -> str:
        _signal_soon(signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), 30)
        return "wound down"

    # What the process had before (SIG_IGN when started in the background of a shell).
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    outcome = run_stoppable(run, grace_s=30)
    assert (outcome.result, outcome.signal_name, outcome.abandoned) == ("wound down", "SIGTERM", False)
    assert {sig: signal.getsignal(sig) for sig in before} == before  # handlers restored


def test_a_run_that_cannot_wind_down_is_abandoned():
    async def stuck(stop: StopRequest) -> str:
        _signal_soon(signal.SIGINT, times=2)  # the second signal: stop waiting at once
        await stop.wait()
        time.sleep(2)  # a blocking call holds the run's loop: it cannot wind down
        return "too late"

    outcome = run_stoppable(stuck, grace_s=60)
    assert outcome.abandoned and outcome.result is None and outcome.signal_name == "SIGINT"


def test_a_run_that_ends_by_itself_and_its_errors():
    async def quick(stop: StopRequest) -> int:
        return 7

    assert run_stoppable(quick).result == 7 and not run_stoppable(quick).stopped

    async def broken(stop: StopRequest) -> int:
        raise ConfigurationError("no such schema")

    with pytest.raises(ConfigurationError, match="no such schema"):
        run_stoppable(broken)


def _session(settings: Settings):
    engine = make_engine(settings)
    return engine, make_session_factory(engine)


def test_release_gives_back_only_what_the_owner_holds(db_settings: Settings, tmp_path: Path):
    upgrade(db_settings)
    engine, sessions = _session(db_settings)
    try:
        ids = []
        with sessions.begin() as session:
            tenant = repo.get_or_create_tenant(session, name="acme", tier=db_settings.tenancy.default_tier)
            for n in range(4):
                document, _ = repo.register_document(
                    session,
                    tenant_id=tenant.id,
                    sha256=f"{n:064d}",
                    schema_name="invoice",
                    file_name=f"{n}.pdf",
                    kind=None,
                    media_type="application/pdf",
                    size_bytes=1,
                    blob_key=None,
                    licence_tier=tenant.tier,
                    source="cli",
                )
                ids.append(document.id)
        with sessions.begin() as session:
            for document_id, owner in zip(ids[:3], ("me", "me", "other"), strict=True):
                assert repo.claim_document(session, document_id, owner=owner, lease_seconds=900)
            repo.finish_document(session, document_id=ids[1], status=DocumentStatus.DONE, owner="me")
        with sessions.begin() as session:
            released = repo.release_documents(session, owner="me", reason=RELEASED_REASON)
        assert released == [ids[0]]  # not the finished one, not another worker's
        with sessions() as session:
            rows = {d.id: d for d in session.scalars(sa.select(Document))}
        assert rows[ids[0]].status == "queued" and rows[ids[0]].lease_owner is None
        assert rows[ids[0]].lease_expires_at is None and rows[ids[0]].reason == RELEASED_REASON
        assert rows[ids[1]].status == "done" and rows[ids[2]].lease_owner == "other"
        with sessions.begin() as session:  # at once claimable by the next worker
            assert repo.claim_document(session, ids[0], owner="next", lease_seconds=900) is not None
    finally:
        engine.dispose()


def _llama_settings(base: Settings, fake: FakeVllmServer, **sections: dict[str, Any]) -> Settings:
    return base.replace(
        extraction={"engine": "llama"},
        llm={"base_urls": [fake.base_url], "model": fake.model},
        licence={"licensee_country": "US"},
        pages={"render_workers": 1},
    ).replace(**sections)


def test_a_cancelled_document_is_queued_again_at_once(db_settings: Settings, tmp_path: Path):
    with FakeVllmServer(faults=FakeFaults(latency_s=30.0)) as fake:
        settings = _llama_settings(db_settings, fake)
        upgrade(settings)
        path = tmp_path / "slow.pdf"
        path.write_bytes(invoice_pdf(make_invoice_truth(51)))

        async def go() -> str:
            async with open_pipeline(settings) as pipeline:
                document_id = register_file(
                    path,
                    settings=settings,
                    sessions=pipeline.sessions,
                    blobs=pipeline.blobs,
                    tenant="acme",
                    schema_name="invoice",
                ).document_id
                running = asyncio.create_task(run_document(pipeline, document_id))
                while fake.chat_count < 1:  # claimed, and waiting on the model
                    await asyncio.sleep(0.05)
                running.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await running
                return document_id

        document_id = asyncio.run(go())
    engine, sessions = _session(settings)
    try:
        with sessions() as session:
            document = repo.get_document(session, document_id)
            assert document is not None and document.status == "queued"
            assert document.lease_owner is None and document.lease_expires_at is None
            assert document.reason == RELEASED_REASON
    finally:
        engine.dispose()


def test_a_stopped_inbox_run_leaves_its_files_for_the_next_run(db_settings: Settings, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    for seed in (52, 53, 54):
        path = inbox_dir / f"invoice-{seed}.pdf"
        path.write_bytes(invoice_pdf(make_invoice_truth(seed)))
        os.utime(path, (OLD, OLD))
    inbox = LocalInbox(inbox_dir, after="move", settle_s=60)
    with FakeVllmServer(faults=FakeFaults(latency_s=2.0)) as fake:
        settings = _llama_settings(db_settings, fake, batch={"document_concurrency": 1})
        stop = StopRequest()

        async def first_run():
            async def stop_after_the_first(outcome) -> None:
                stop.request("SIGTERM")  # as the signal handler does, once one file ended

            return await run_batch_ingest(
                settings,
                inbox,
                tenant="acme",
                schema_name="invoice",
                hooks=BatchHooks(on_document=stop_after_the_first, stop=stop),
            )

        first = asyncio.run(first_run())
        left = sorted(p.name for p in inbox_dir.glob("*.pdf"))  # still in the inbox, not moved
        fake.faults.latency_s = 0.0
        second = asyncio.run(run_batch_ingest(settings, inbox, tenant="acme", schema_name="invoice"))

    assert first.stopped == "SIGTERM" and first.report().stopped == "SIGTERM"
    assert len(first.outcomes) == 1  # one ended; the rest were given back or never started
    assert len(left) == 2
    assert second.resumed + second.registered == 2
    assert sorted(o.key for o in second.outcomes) == left
    assert {o.status for o in second.outcomes} <= {"done", "needs_review", "partial"}
    engine, sessions = _session(settings)
    try:
        with sessions() as session:
            assert {d.status for d in session.scalars(sa.select(Document))} <= {
                "done",
                "needs_review",
                "partial",
            }
            assert {s.state for s in session.scalars(sa.select(SourceFile))} == {"done"}
    finally:
        engine.dispose()
