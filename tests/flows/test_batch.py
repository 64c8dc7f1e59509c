"""Batch ingest from an inbox folder (``flows.batch.run_batch_ingest``), on SQLite and
PostgreSQL: each file once, bad files failed with a reason, unsettled files left for later,
and a crashed run finished by the next one exactly once. Expected values come from the
truth the factories generated."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from core.settings import Settings
from flows.batch import BatchHooks, BatchSummary, run_batch_ingest
from flows.sources import LocalInbox
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import Document, SourceFile
from tests.support.documents import broken_pdf, invoice_pdf
from tests.support.truth import make_invoice_truth

# Written files get an mtime an hour old, so a settle time of a minute lets them through.
OLD = time.time() - 3600


def write(folder: Path, name: str, data: bytes, *, old: bool = True) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if old:
        os.utime(path, (OLD, OLD))
    return path


def ingest(settings: Settings, inbox: LocalInbox, hooks: BatchHooks | None = None) -> BatchSummary:
    return asyncio.run(run_batch_ingest(settings, inbox, tenant="acme", schema_name="invoice", hooks=hooks))


def rows(settings: Settings, table):
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            return list(session.query(table).all())
    finally:
        engine.dispose()


def test_inbox_files_are_ingested_once_and_moved_by_outcome(db_settings: Settings, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    truths = {name: make_invoice_truth(seed) for name, seed in (("a.pdf", 61), ("nested/b.pdf", 62))}
    for name, truth in truths.items():
        write(inbox_dir, name, invoice_pdf(truth))
    write(inbox_dir, "copy-of-a.pdf", (inbox_dir / "a.pdf").read_bytes())  # same bytes: one document
    write(inbox_dir, "broken.pdf", broken_pdf())
    write(inbox_dir, "notes.txt", b"a text file: read like any file, rejected by its bytes")
    inbox = LocalInbox(inbox_dir, after="move", settle_s=60)

    first = ingest(db_settings, inbox)

    outcomes = {o.key: o for o in first.outcomes}
    assert set(outcomes) == {"a.pdf", "nested/b.pdf", "copy-of-a.pdf", "broken.pdf", "notes.txt"}
    assert first.registered == 5 and first.files_seen == 5
    for name, truth in truths.items():
        outcome = outcomes[name]
        assert outcome.status in ("done", "needs_review"), outcome.reason
        expected = truth.schema_values()
        extraction = outcome.file.document.extraction if outcome.file.document else None
        assert extraction is not None
        for field in ("invoice_number", "total_amount"):
            assert extraction.fields[field].value == expected[field]
        assert (inbox_dir / "done" / name).is_file() and not (inbox_dir / name).exists()
    copy = outcomes["copy-of-a.pdf"]
    assert copy.duplicate and copy.document_id == outcomes["a.pdf"].document_id
    assert (inbox_dir / "done" / "copy-of-a.pdf").is_file()
    broken = outcomes["broken.pdf"]
    assert broken.status == "rejected" and broken.reason
    assert (inbox_dir / "failed" / "broken.pdf").is_file()
    assert broken.reason in (inbox_dir / "failed" / "broken.pdf.reason.txt").read_text()
    notes = outcomes["notes.txt"]
    assert notes.status == "rejected" and "plain text" in (notes.reason or "")
    assert (inbox_dir / "failed" / "notes.txt").is_file() and not (inbox_dir / "notes.txt").exists()
    documents = rows(db_settings, Document)
    assert len(documents) == 4 and {d.source for d in documents} == {"batch"}
    states = sorted(r.state for r in rows(db_settings, SourceFile))
    assert states == ["done", "done", "done", "failed", "failed"]

    again = ingest(db_settings, inbox)  # everything was moved: nothing to do

    assert again.files_seen == 0 and again.registered == 0 and again.outcomes == []
    assert len(rows(db_settings, Document)) == 4


def test_kept_files_are_remembered_and_not_ingested_again(db_settings: Settings, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    write(inbox_dir, "a.pdf", invoice_pdf(make_invoice_truth(63)))
    write(inbox_dir, "broken.pdf", broken_pdf())
    inbox = LocalInbox(inbox_dir, after="keep", settle_s=60)

    first = ingest(db_settings, inbox)
    again = ingest(db_settings, inbox)

    assert first.registered == 2 and sorted(o.status for o in first.outcomes)[-1] == "rejected"
    assert (inbox_dir / "a.pdf").is_file() and not (inbox_dir / "done").exists()
    assert again.files_seen == 2 and again.skipped_known == 2 and again.registered == 0
    assert again.outcomes == []
    assert len(rows(db_settings, Document)) == 2 and len(rows(db_settings, SourceFile)) == 2

    # New content under the same name is a new file (and a new document).
    write(inbox_dir, "a.pdf", invoice_pdf(make_invoice_truth(64)), old=False)
    os.utime(inbox_dir / "a.pdf", (OLD + 60, OLD + 60))
    third = ingest(db_settings, inbox)
    assert third.registered == 1 and len(rows(db_settings, Document)) == 3


def test_a_file_still_being_written_waits_for_a_later_scan(settings: Settings, tmp_path: Path):
    inbox_dir = tmp_path / "inbox"
    write(inbox_dir, "fresh.pdf", invoice_pdf(make_invoice_truth(65)), old=False)
    inbox = LocalInbox(inbox_dir, after="move", settle_s=600)

    first = ingest(settings, inbox)
    assert first.skipped_unsettled == 1 and first.registered == 0 and rows(settings, Document) == []

    os.utime(inbox_dir / "fresh.pdf", (OLD, OLD))  # the writer finished long ago
    second = ingest(settings, inbox)
    assert second.registered == 1 and second.outcomes[0].status in ("done", "needs_review")


class Crash(RuntimeError):
    pass


def test_a_crashed_run_is_finished_by_the_next_exactly_once(db_settings: Settings, tmp_path: Path):
    settings = db_settings.replace(queue={"lease_seconds": 1.0}, batch={"document_concurrency": 2})
    inbox_dir = tmp_path / "inbox"
    truths = [make_invoice_truth(70 + i) for i in range(5)]
    for i, truth in enumerate(truths):
        write(inbox_dir, f"inv-{i}.pdf", invoice_pdf(truth))
    inbox = LocalInbox(inbox_dir, after="move", settle_s=60)
    registered: list[str] = []

    def crash_after_three(intake) -> None:
        registered.append(intake.document_id)
        if len(registered) == 3:
            raise Crash("the worker died")

    with pytest.raises(Crash):
        ingest(settings, inbox, BatchHooks(on_registered=crash_after_three))
    states = {r.path: r.state for r in rows(settings, SourceFile)}
    assert len(states) == 3 and "registered" in states.values()  # registered, not all ended

    time.sleep(1.5)  # the dead run's leases (1 s) lapse, as a killed worker's would
    rerun = ingest(settings, inbox)

    assert rerun.registered == 2 and rerun.resumed >= 1
    assert {r.state for r in rows(settings, SourceFile)} == {"done"}
    assert sorted(p.name for p in (inbox_dir / "done").iterdir()) == [f"inv-{i}.pdf" for i in range(5)]
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            documents = session.query(Document).all()
            assert len(documents) == 5
            for document in documents:
                assert document.status in ("done", "needs_review"), document.reason
                assert len(repo.extraction_history(session, document.id)) == 1  # processed once
    finally:
        engine.dispose()
