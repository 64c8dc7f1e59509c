"""The real `folio` command in a subprocess, stopped and refused the way an operator meets it:
SIGINT (a terminal's Ctrl-C reaches the whole process group, Prefect's API server included)
and SIGTERM in the middle of a run give the documents in progress back to the queue, print
what finished and exit 130; files the process may not read are reported, not a traceback.

The documents are slow for a known reason: the llama engine talks to the fake vLLM server
of ``tests.fakes``, which answers every request after a fixed latency."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.settings import Settings
from flows.pipeline import RELEASED_REASON
from flows.run_rows import NOT_STARTED_REASON
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import Document
from tests.fakes.vllm_server import FakeFaults, FakeVllmServer
from tests.support import hardcases
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

FOLIO = Path(sys.executable).parent / "folio"
FINAL = {"done", "partial", "needs_review", "failed", "blocked", "rejected"}
# Each model request takes this long, so documents are still in progress when the signal
# comes (one document at a time, one request per page).
LATENCY_S = 3.0


@pytest.fixture
def fake() -> Iterator[FakeVllmServer]:
    with FakeVllmServer(faults=FakeFaults(latency_s=LATENCY_S)) as server:
        yield server


def _env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(data_dir), FOLIO_DATABASE_URL=database_url, **extra)
    return env


def _statuses(settings: Settings) -> list[str]:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            return [str(s) for s in session.scalars(sa.select(Document.status))]
    except sa.exc.SQLAlchemyError:  # not migrated yet
        return []
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signal_name", "whole_group"),
    [("SIGINT", True), ("SIGTERM", False)],
    ids=["ctrl-c-to-the-process-group", "sigterm-to-the-process"],
)
def test_a_stopped_run_gives_documents_back_prints_what_finished_and_exits_130(
    tmp_path: Path, database_url: str, fake: FakeVllmServer, signal_name: str, whole_group: bool
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in range(91, 95):
        (folder / f"invoice-{seed}.pdf").write_bytes(invoice_pdf(make_invoice_truth(seed)))
    data_dir = tmp_path / "var"
    settings = Settings(_env_file=None, storage={"data_dir": data_dir, "database_url": database_url})
    env = _env(
        data_dir,
        database_url,
        FOLIO_ENGINE="llama",
        FOLIO_LLM_BASE_URLS=fake.base_url,
        FOLIO_LLM_MODEL=fake.model,
        FOLIO_LICENSEE_COUNTRY="US",
        FOLIO_DOCUMENT_CONCURRENCY="1",
        FOLIO_RENDER_WORKERS="1",
    )
    # A session of its own: the group signal then reaches the command and its children only.
    process = subprocess.Popen(
        [str(FOLIO), "process", str(folder), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            statuses = _statuses(settings)
            if FINAL & set(statuses) and "processing" in statuses:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the run ended before it could be stopped"
        number = signal.Signals[signal_name]
        if whole_group:
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()

    assert process.returncode == 130, stderr[-3000:]
    assert f"stopped by {signal_name}" in stderr and "Traceback" not in stderr
    rows = {Path(r["file"]).name: r for r in map(json.loads, stdout.splitlines())}
    assert set(rows) == {p.name for p in folder.iterdir()}
    finished = {name for name, row in rows.items() if row["status"] in FINAL}
    queued = {name for name, row in rows.items() if row["status"] == "queued"}
    assert finished and queued and finished | queued == set(rows)
    assert {rows[n]["reason"] for n in queued} <= {RELEASED_REASON, NOT_STARTED_REASON}
    assert RELEASED_REASON in {rows[n]["reason"] for n in queued}, "one was in progress"

    # The database agrees, and nothing is left processing under a live lease: another
    # worker claims every queued document at once.
    engine = make_engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            documents = {d.id: d for d in session.scalars(sa.select(Document))}
            assert {d.status for d in documents.values()} <= FINAL | {"queued"}
            assert all(d.lease_owner is None and d.lease_expires_at is None for d in documents.values())
            for name in queued:
                document_id = rows[name]["document_id"]
                assert repo.claim_document(session, document_id, owner="next", lease_seconds=60) is not None
            assert {documents[rows[n]["document_id"]].status for n in finished} <= FINAL
    finally:
        engine.dispose()


@pytest.mark.slow
def test_files_and_folders_the_process_may_not_read_are_reported(tmp_path: Path, database_url: str) -> None:
    # Tests run as root, where permission bits do not stop reads: the command runs without
    # root's right to override them (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH).
    command = [str(FOLIO), "process"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a file cannot be made unreadable")
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    folder = tmp_path / "in"
    (folder / "locked-folder").mkdir(parents=True)
    (folder / "good.pdf").write_bytes(hardcases.digital_pdf(1, seed=41))
    (folder / "locked.pdf").write_bytes(hardcases.digital_pdf(1, seed=42))
    (folder / "zz-after.pdf").write_bytes(hardcases.digital_pdf(1, seed=43))  # after the locked one
    (folder / "locked-folder" / "inside.pdf").write_bytes(hardcases.digital_pdf(1, seed=44))
    (folder / "locked.pdf").chmod(0)
    (folder / "locked-folder").chmod(0)
    data_dir = tmp_path / "var"
    try:
        result = subprocess.run(
            [*command, str(folder), "--json"],
            env=_env(data_dir, database_url, FOLIO_ENGINE="local"),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        (folder / "locked-folder").chmod(0o755)
        (folder / "locked.pdf").chmod(0o644)

    assert result.returncode == 1, result.stderr[-3000:]  # unreadable files are not done
    assert "Traceback" not in result.stderr
    rows = {Path(r["file"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"good.pdf", "locked.pdf", "zz-after.pdf", "locked-folder"}
    assert rows["locked.pdf"] == {
        "file": str(folder / "locked.pdf"),
        "document_id": None,
        "status": "rejected",
        "reason": "the file could not be read (permission denied)",
        "schema": "invoice",
    }
    assert (
        rows["locked-folder"]["status"] == "skipped"
        and "could not be read" in rows["locked-folder"]["reason"]
    )
    for name in ("good.pdf", "zz-after.pdf"):
        assert rows[name]["status"] in FINAL and rows[name]["status"] != "rejected", rows[name]
    settings = Settings(_env_file=None, storage={"data_dir": data_dir, "database_url": database_url})
    assert set(_statuses(settings)) <= FINAL  # nothing registered was left queued


@pytest.mark.slow
def test_a_stopped_inbox_run_keeps_its_files_for_the_next_run(
    tmp_path: Path, database_url: str, fake: FakeVllmServer
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for seed in range(61, 64):
        (inbox / f"invoice-{seed}.pdf").write_bytes(invoice_pdf(make_invoice_truth(seed)))
    data_dir = tmp_path / "var"
    settings = Settings(_env_file=None, storage={"data_dir": data_dir, "database_url": database_url})
    env = _env(
        data_dir,
        database_url,
        FOLIO_ENGINE="llama",
        FOLIO_LLM_BASE_URLS=fake.base_url,
        FOLIO_LLM_MODEL=fake.model,
        FOLIO_LICENSEE_COUNTRY="US",
        FOLIO_BATCH_DOCUMENT_CONCURRENCY="1",
        FOLIO_BATCH_SETTLE_S="0",
        FOLIO_RENDER_WORKERS="1",
    )
    command = [str(FOLIO), "batch", str(inbox), "--json"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            statuses = _statuses(settings)
            if FINAL & set(statuses) and "processing" in statuses:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the run ended before it could be stopped"
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()

    assert process.returncode == 130, stderr[-3000:]
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    ended = [json.loads(line) for line in stdout.splitlines()]
    assert ended and {row["status"] for row in ended} <= FINAL
    left = sorted(p.name for p in inbox.glob("*.pdf"))  # not moved: the next run takes them
    assert len(left) == 3 - len(ended) and left
    assert not {Path(row["file"]).name for row in ended} & set(left)
    assert "processing" not in _statuses(settings)

    fake.faults.latency_s = 0.0
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    finished = {Path(json.loads(line)["file"]).name for line in again.stdout.splitlines()}
    assert finished == set(left) and not list(inbox.glob("*.pdf"))
    assert set(_statuses(settings)) <= FINAL
