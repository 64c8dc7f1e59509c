"""The real `folio batch` command in a subprocess: a fresh data dir, no Prefect API (the
ingest runs in the process, no temporary Prefect server), JSON Lines as each file ends, files
moved by outcome, a rescan that ingests nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.documents import broken_pdf, invoice_pdf
from tests.support.truth import make_invoice_truth

FOLIO = Path(sys.executable).parent / "folio"


def folio(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(data_dir), FOLIO_ENGINE="local", FOLIO_BATCH_SETTLE_S="0")
    return subprocess.run([str(FOLIO), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_folio_batch_json_lines_then_a_rescan_ingests_nothing(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "nested").mkdir(parents=True)
    truth = make_invoice_truth(31)
    (inbox / "invoice.pdf").write_bytes(invoice_pdf(truth))
    (inbox / "nested" / "broken.pdf").write_bytes(broken_pdf())
    (inbox / "notes.txt").write_text("read like any file, and rejected by its bytes")
    (inbox / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")

    first = folio("batch", str(inbox), "--json", "--tenant", "acme", data_dir=tmp_path / "var")

    assert first.returncode == 1, first.stderr  # some files did not end done
    rows = {Path(r["file"]).name: r for r in map(json.loads, first.stdout.splitlines())}
    assert set(rows) == {"invoice.pdf", "broken.pdf", "notes.txt", ".DS_Store"}
    hidden = rows.pop(".DS_Store")  # reported and left in place, never read
    assert hidden["status"] == "skipped" and hidden["document_id"] is None and "hidden" in hidden["reason"]
    assert (inbox / ".DS_Store").is_file()
    for row in rows.values():
        assert {"file", "document_id", "status", "reason", "pages", "fields", "cost_usd", "duplicate"} <= set(
            row
        )
    invoice = rows["invoice.pdf"]
    assert invoice["status"] == "done", invoice["reason"]
    assert invoice["tenant"] == "acme"
    expected = truth.schema_values()
    for name in ("invoice_number", "total_amount"):
        assert invoice["fields"][name] == expected[name]
    assert rows["broken.pdf"]["status"] == "rejected" and rows["broken.pdf"]["reason"]
    assert (inbox / "done" / "invoice.pdf").is_file()
    assert (inbox / "failed" / "nested" / "broken.pdf").is_file()
    assert rows["notes.txt"]["status"] == "rejected" and "plain text" in rows["notes.txt"]["reason"]
    assert (inbox / "failed" / "notes.txt").is_file()
    assert "plain text" in (inbox / "failed" / "notes.txt.reason.txt").read_text()

    again = folio("batch", str(inbox), data_dir=tmp_path / "var")  # not a TTY: a summary line

    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert "1 skipped" in again.stderr and "1 hidden not read" in again.stderr
    # No Prefect API configured: nothing started Prefect's temporary server (its database).
    assert not list((tmp_path / "var").rglob("prefect.db*"))


@pytest.mark.slow
def test_folio_batch_keep_remembers_files_and_refuses_a_bad_option(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "invoice.pdf").write_bytes(invoice_pdf(make_invoice_truth(32)))

    first = folio("batch", str(inbox), "--json", "--after", "keep", data_dir=tmp_path / "var")
    again = folio("batch", str(inbox), "--json", "--after", "keep", data_dir=tmp_path / "var")
    wrong = folio("batch", str(inbox), "--after", "delete", data_dir=tmp_path / "var")

    assert first.returncode == 0 and len(first.stdout.splitlines()) == 1, first.stderr
    assert again.returncode == 0 and again.stdout == "", again.stderr
    assert (inbox / "invoice.pdf").is_file()
    assert wrong.returncode == 2 and "'move'" in wrong.stderr and "'keep'" in wrong.stderr
