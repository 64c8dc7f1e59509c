"""Past one machine: several worker processes share one PostgreSQL queue and one blob
folder. Every document is processed exactly once and none is left behind; a worker killed
in the middle of a document leaves it to another, which finishes it once the lease lapses.

The workers are real processes (``tests.flows.scale_out_worker``) running the real pipeline
with the llama engine against the fake vLLM server over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.settings import Settings
from flows.intake import register_file
from flows.pipeline import DocumentRun, open_pipeline, run_document
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.fakes.vllm_server import FakeVllmServer
from tests.support import hardcases

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url(postgres_server_url: str) -> Iterator[str]:
    """An empty schema of its own in the session's PostgreSQL database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def worker_env(pg_url: str, data_dir: Path, fake: FakeVllmServer, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    return {
        **base,
        "FOLIO_DATABASE_URL": pg_url,
        "FOLIO_DATA_DIR": str(data_dir),  # one blob folder for all: the shared mount
        "FOLIO_ENGINE": "llama",
        "FOLIO_LLM_BASE_URLS": fake.base_url,
        "FOLIO_LLM_MODEL": fake.model,
        "FOLIO_LICENSEE_COUNTRY": "US",
        "FOLIO_RENDER_WORKERS": "1",
        "FOLIO_DOCUMENT_CONCURRENCY": "2",
        **extra,
    }


def register(pg_url: str, data_dir: Path, folder: Path, pages: list[int]) -> dict[str, int]:
    """Queue one digital PDF per entry of ``pages``; document id -> page count."""
    settings = Settings(
        _env_file=None,
        storage={"database_url": pg_url, "data_dir": data_dir},
        licence={"licensee_country": "US"},
    )
    upgrade(settings)
    db = make_engine(settings)
    sessions, blobs = make_session_factory(db), BlobStore(settings.storage.blob_dir)
    documents = {}
    try:
        for index, count in enumerate(pages):
            path = folder / f"doc{index}.pdf"
            path.write_bytes(hardcases.digital_pdf(count, seed=100 + index))
            result = register_file(
                path, settings=settings, sessions=sessions, blobs=blobs, tenant="acme", schema_name="invoice"
            )
            documents[result.document_id] = count
    finally:
        db.dispose()
    return documents


def start_worker(env: dict[str, str], go: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.flows.scale_out_worker", "--go", str(go), "--idle-exit-s", "30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("READY "):
        process.kill()
        _, err = process.communicate(timeout=30)
        raise AssertionError(f"the worker did not start: {line!r}\n{err[-3000:]}")
    return process


def finish(process: subprocess.Popen[str]) -> list[str]:
    """Wait for a worker to end; the documents it processed."""
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err[-3000:]
    return [line.split()[1] for line in out.splitlines() if line.startswith("PROCESSED ")]


def stored(pg_url: str) -> dict[str, dict[str, object]]:
    """Per document: status, attempts and how many extraction, ledger and page rows it has."""
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select d.id, d.status, d.attempts,"
                    " (select count(*) from extractions e where e.document_id = d.id),"
                    " (select count(*) from usage_ledger u where u.document_id = d.id),"
                    " (select count(*) from pages p where p.document_id = d.id)"
                    " from documents d"
                )
            ).all()
    finally:
        engine.dispose()
    return {
        r[0]: {"status": r[1], "attempts": r[2], "extractions": r[3], "ledger": r[4], "pages": r[5]}
        for r in rows
    }


@pytest.mark.postgres
@pytest.mark.slow
def test_three_workers_process_every_document_exactly_once(pg_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "shared"
    documents = register(pg_url, data_dir, tmp_path, [1 + i % 3 for i in range(24)])
    go = tmp_path / "go"
    with FakeVllmServer() as fake:
        fake.faults.latency_s = 0.1  # long enough for the workers to overlap
        env = worker_env(pg_url, data_dir, fake)
        workers = [start_worker(env, go) for _ in range(3)]
        go.touch()
        processed = [finish(w) for w in workers]
        requests = fake.chat_count

    runs = Counter(doc for done in processed for doc in done)
    assert set(runs) == set(documents) and set(runs.values()) == {1}, runs
    assert sum(1 for done in processed if done) >= 2, [len(d) for d in processed]
    rows = stored(pg_url)
    for document_id, pages in documents.items():
        row = rows[document_id]
        assert row["status"] in ("done", "needs_review"), row
        # One claim, one extraction version, one ledger row per text page (one call each).
        assert (row["attempts"], row["extractions"], row["ledger"], row["pages"]) == (1, 1, pages, pages)
    assert requests == sum(documents.values())  # no model call was made twice


@pytest.mark.postgres
@pytest.mark.slow
def test_a_killed_workers_document_is_finished_once_by_another(pg_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "shared"
    (document_id, pages), *_ = register(pg_url, data_dir, tmp_path, [3]).items()
    go = tmp_path / "go"
    with FakeVllmServer() as fake:
        fake.faults.latency_s = 120.0  # the first worker's model calls hang until it dies
        env = worker_env(pg_url, data_dir, fake, FOLIO_LEASE_SECONDS="3")
        doomed = start_worker(env, go)
        go.touch()
        deadline = time.monotonic() + 60
        while fake.chat_count < 1:  # the document is claimed and mid-extraction
            assert time.monotonic() < deadline and doomed.poll() is None
            time.sleep(0.05)
        assert stored(pg_url)[document_id]["status"] == "processing"
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)  # reaps it and closes its pipes
        hung = fake.chat_count
        fake.faults.latency_s = 0.0
        survivor = start_worker(env, go)
        processed = finish(survivor)
        requests = fake.chat_count - hung

    assert doomed.returncode == -signal.SIGKILL
    assert processed == [document_id]
    row = stored(pg_url)[document_id]
    assert row["status"] in ("done", "needs_review"), row
    # Claimed twice (the dead worker's claim, then the survivor's); stored once: the dead
    # worker's half-done calls left no rows, the survivor's calls are all in the ledger.
    assert (row["attempts"], row["extractions"], row["ledger"], row["pages"]) == (2, 1, pages, pages)
    assert requests == pages


def test_a_live_worker_keeps_its_lease_while_it_works(db_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "one.pdf").write_bytes(hardcases.digital_pdf(1, seed=7))
    with FakeVllmServer() as fake:
        fake.faults.latency_s = 3.0  # the model call outlasts the lease three times over
        settings = db_settings.replace(
            extraction={"engine": "llama"},
            llm={"base_urls": [fake.base_url], "model": fake.model},
            licence={"licensee_country": "US"},
            queue={"lease_seconds": 1.0},
        )
        upgrade(settings)

        async def go() -> tuple[bool, DocumentRun]:
            async with open_pipeline(settings) as pipeline:
                registered = register_file(
                    tmp_path / "one.pdf",
                    settings=settings,
                    sessions=pipeline.sessions,
                    blobs=pipeline.blobs,
                    tenant="acme",
                    schema_name="invoice",
                )
                work = asyncio.create_task(run_document(pipeline, registered.document_id))
                while fake.chat_count < 1:
                    await asyncio.sleep(0.02)
                await asyncio.sleep(1.5)  # past the lease the claim took
                with pipeline.sessions.begin() as session:
                    stolen = repo.claim_document(
                        session, registered.document_id, owner="another-worker", lease_seconds=60
                    )
                    taken = stolen is not None
                return taken, await work

        taken, run = asyncio.run(go())
    assert taken is False  # renewed while the worker lived: no other worker could take it
    assert run.processed and run.status.value in ("done", "needs_review"), run
