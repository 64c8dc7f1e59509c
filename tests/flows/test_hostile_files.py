"""Hostile files in a folder (``folio process``) and in a batch inbox, on SQLite and
PostgreSQL: every entry ends with a stated status and a reason written for the tenant;
what is not a document is ``rejected`` (in an inbox: moved to failed/ with its reason
file); hidden entries and links are skipped and reported, and a link out of the folder is
never read, stored or extracted. Files are generated here."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from sqlalchemy import select

from core.settings import Settings
from flows.batch import run_batch_ingest
from flows.batch_run import BatchRequest, run_batch
from flows.sources import LocalInbox
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.tables import Document
from tests.support import hardcases
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

pytestmark = [
    pytest.mark.usefixtures("prefect_server"),
    # Prefect's own API client leaves a socket to its test server for the GC to close.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]

GOOD = ("invoice.pdf", "scan", "x.PDF.bin", "photo.jfif")
OLD = time.time() - 3600


def false_page_count_pdf(claimed: int) -> bytes:
    """A one-page PDF whose page tree says it has ``claimed`` pages."""
    plain = pymupdf.open(stream=hardcases.digital_pdf(1, seed=9)).tobytes(deflate=False, garbage=0)
    forged, count = re.subn(rb"/Count 1\b", b"/Count %d" % claimed, plain)
    assert count == 1
    return forged


def hostile_folder(root: Path, outside: Path) -> dict[str, str]:
    """Write the folder; returns what each entry must end as (status) by name."""
    root.mkdir(parents=True)
    files = {
        "invoice.pdf": invoice_pdf(make_invoice_truth(71)),
        "scan": hardcases.digital_pdf(1, seed=72),  # a PDF without a suffix
        "x.PDF.bin": hardcases.digital_pdf(1, seed=73),
        "photo.jfif": hardcases.jpeg_bytes(hardcases.text_image(["TOTAL 12.50"], width=360, height=120)),
        "truncated.pdf": hardcases.truncated_pdf(),
        "false-count.pdf": false_page_count_pdf(5),
        "false-count-99.pdf": false_page_count_pdf(99),
        "report.pdf": hardcases.plain_text(),
        "fuzzed": random.Random(5).randbytes(5000),
        ".hidden.pdf": hardcases.digital_pdf(1, seed=74),
        "locked.pdf": hardcases.digital_pdf(1, seed=75),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(hardcases.digital_pdf(1, seed=76))
    (root / "link.pdf").symlink_to(outside)
    (root / "dangling.pdf").symlink_to(root / "gone.pdf")
    os.mkfifo(root / "pipe.pdf")
    for path in root.iterdir():
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    expected = dict.fromkeys(GOOD, "good")
    expected.update(dict.fromkeys(["truncated.pdf", "false-count.pdf", "false-count-99.pdf"], "rejected"))
    expected.update({"report.pdf": "rejected", "fuzzed": "rejected", "locked.pdf": "rejected"})
    expected.update({".hidden.pdf": "skipped", "link.pdf": "skipped", "dangling.pdf": "skipped"})
    return expected


def lock(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Make ``path`` unreadable the way a file without read permission is: tests run as
    root, where permission bits do not stop reads, so opening it fails here instead (the
    subprocess test in tests/test_cli_stop.py drops root's override for the real thing)."""
    real_open = Path.open

    def guarded(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)


def stored(settings: Settings) -> list[Document]:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(Document)))
    finally:
        engine.dispose()


def assert_for_the_tenant(reason: str | None, *server_paths: Path) -> None:
    assert reason, "every entry states why"
    assert "Traceback" not in reason and "\n" not in reason
    for path in server_paths:
        assert str(path) not in reason


def assert_outside_never_stored(settings: Settings, outside: Path) -> None:
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()
    assert digest not in {d.sha256 for d in stored(settings)}
    assert not BlobStore(settings.storage.blob_dir).path(digest).exists()


def test_folder_run_states_every_entry(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root, outside = tmp_path / "folder", tmp_path / "other-tenant" / "secret.pdf"
    expected = hostile_folder(root, outside)
    lock(monkeypatch, root / "locked.pdf")
    request = BatchRequest(paths=[root], schema_name="invoice", tenant="acme")

    rows = [outcome.row() for outcome in asyncio.run(run_batch(db_settings, request))]

    by_name = {Path(row["file"]).name: row for row in rows}
    assert set(by_name) == set(expected) | {"pipe.pdf"}
    for name, fate in expected.items():
        row = by_name[name]
        if fate == "good":
            assert row["status"] in ("done", "needs_review", "partial"), (name, row["reason"])
        else:
            assert row["status"] == fate, (name, row["status"], row["reason"])
            assert_for_the_tenant(row["reason"], tmp_path, db_settings.storage.data_dir)
    assert "could not be read (permission denied)" in by_name["locked.pdf"]["reason"]
    assert by_name["pipe.pdf"]["status"] == "rejected" and "named pipe" in by_name["pipe.pdf"]["reason"]
    assert "symbolic link" in by_name["link.pdf"]["reason"] and "hidden" in by_name[".hidden.pdf"]["reason"]
    for name in ("truncated.pdf", "false-count.pdf", "false-count-99.pdf"):
        assert "damaged" in by_name[name]["reason"], by_name[name]["reason"]
    assert "plain text" in by_name["report.pdf"]["reason"]
    # Nothing left waiting: the unreadable file did not stop the run halfway.
    assert not [d for d in stored(db_settings) if d.status in ("queued", "processing")]
    assert_outside_never_stored(db_settings, outside)


def test_inbox_moves_what_is_not_a_document_to_failed_and_reports_what_it_skips(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root, outside = tmp_path / "inbox", tmp_path / "other-tenant" / "secret.pdf"
    expected = hostile_folder(root, outside)
    lock(monkeypatch, root / "locked.pdf")
    inbox = LocalInbox(root, after="move", settle_s=60)

    summary = asyncio.run(run_batch_ingest(db_settings, inbox, tenant="acme", schema_name="invoice"))

    outcomes = {o.key: o for o in summary.outcomes}
    assert set(outcomes) == set(expected) | {"pipe.pdf"}
    for name, fate in expected.items():
        outcome = outcomes[name]
        if fate != "good":
            assert_for_the_tenant(outcome.reason, tmp_path, db_settings.storage.data_dir)
        if fate == "good":
            assert outcome.status in ("done", "needs_review", "partial"), (name, outcome.reason)
            assert (root / "done" / name).is_file() and not (root / name).exists()
        elif fate == "rejected":
            assert outcome.status == "rejected", (name, outcome.status, outcome.reason)
            assert (root / "failed" / name).is_file() and not (root / name).exists()
            reason_file = (root / "failed" / f"{name}.reason.txt").read_text()
            assert outcome.reason in reason_file and str(tmp_path) not in reason_file
        else:  # skipped in place, reported
            assert outcome.status == "skipped" and outcome.document_id is None
            assert (root / name).is_symlink() or (root / name).is_file()
    assert outcomes["pipe.pdf"].status == "skipped" and (root / "pipe.pdf").exists()
    assert summary.skipped == {"hidden": 1, "link": 2, "special": 1}
    assert "could not be read (permission denied)" in outcomes["locked.pdf"].reason
    assert outside.is_file()  # the link's target is neither moved nor read
    assert_outside_never_stored(db_settings, outside)
    assert not [d for d in stored(db_settings) if d.status in ("queued", "processing")]

    # A rescan reports the skipped entries again and ingests nothing new.
    again = asyncio.run(run_batch_ingest(db_settings, inbox, tenant="acme", schema_name="invoice"))
    assert again.registered == 0 and {o.status for o in again.outcomes} == {"skipped"}
