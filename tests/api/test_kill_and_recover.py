"""Kill and recover: a real `folio serve` process is killed (SIGKILL, with its render
workers) in the middle of a document; once the lease lapses the sweeper finishes that
document, exactly once, even with two sweepers racing for it."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pymupdf

from core.settings import Settings
from flows.pipeline import open_pipeline
from flows.sweeper import sweep_once
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.api.conftest import api_settings, bearer, make_keys
from tests.support.documents import receipt_scan
from tests.support.truth import make_receipt_truth

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 3.0


def _scanned_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` scanned receipts: each page needs OCR, so the document takes a while."""
    doc = pymupdf.open()
    for n in range(pages):
        scan = receipt_scan(make_receipt_truth(seed=uuid.uuid4().int % 10_000 + n))
        with pymupdf.open(stream=io.BytesIO(scan), filetype="png") as image:
            rect = image[0].rect
        page = doc.new_page(width=rect.width, height=rect.height)
        page.insert_image(page.rect, stream=scan)
    data = doc.tobytes()
    doc.close()
    return data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(settings: Settings, document_id: str) -> DocumentStatus:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            document = repo.get_document(session, document_id)
            assert document is not None
            return DocumentStatus(document.status)
    finally:
        engine.dispose()


def test_a_worker_killed_mid_document_is_finished_by_the_sweeper_once(db_settings: Settings) -> None:
    settings = api_settings(db_settings, queue={"lease_seconds": LEASE_S})
    keys = make_keys(settings)
    port = _free_port()
    env = {
        **os.environ,
        "FOLIO_DATA_DIR": str(settings.storage.data_dir),
        "FOLIO_DATABASE_URL": settings.storage.sqlalchemy_url,
        "FOLIO_ENGINE": "local",
        "FOLIO_LEASE_SECONDS": str(LEASE_S),
        "FOLIO_RENDER_WORKERS": "1",
        "FOLIO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    # Its own session: the kill takes the server and its render workers together.
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("folio serve did not become ready")
        r = httpx.post(
            f"{url}/v1/documents",
            headers=bearer(keys.alpha),
            files={"file": ("scans.pdf", _scanned_pdf(3), "application/pdf")},
            data={"schema": "receipt"},
            timeout=30.0,
        )
        assert r.status_code == 202, r.text
        doc_id = r.json()["id"]
        deadline = time.monotonic() + 60
        while _status(settings, doc_id) is not DocumentStatus.PROCESSING:
            assert time.monotonic() < deadline, "the worker never started the document"
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # mid-document: no cleanup of any kind
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)

    assert _status(settings, doc_id) is DocumentStatus.PROCESSING  # left exactly as it was
    time.sleep(LEASE_S + 0.5)  # the dead worker's lease lapses (nobody renews it)

    async def sweep() -> tuple[list, list]:  # type: ignore[type-arg]
        async with open_pipeline(settings) as pipeline:
            first, second = await asyncio.gather(
                sweep_once(pipeline, queued_after_s=3600), sweep_once(pipeline, queued_after_s=3600)
            )
            again = await sweep_once(pipeline, queued_after_s=0)
        return first + second, again

    runs, again = asyncio.run(sweep())
    assert sum(r.processed for r in runs if r.document_id == doc_id) == 1
    assert again == []
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        document = repo.get_document(session, doc_id)
        assert document is not None and DocumentStatus(document.status).is_final
        assert document.attempts == 2  # the killed worker's claim and the sweeper's
        history = repo.extraction_history(session, doc_id)
        assert len(history) == 1
        # The sweeper's calls belong to its extraction (the killed attempt stored none).
        ledger = repo.ledger_for(session, doc_id)
        assert {row.extraction_id for row in ledger} - {None} == {history[0].id}
    engine.dispose()
