"""The real `folio` command in a subprocess: a fresh data dir, Prefect's ephemeral server,
JSON Lines out. Expected values come from the truth of the documents generated here."""

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
    env.update(FOLIO_DATA_DIR=str(data_dir), FOLIO_ENGINE="local")
    return subprocess.run([str(FOLIO), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_folio_process_json_lines_for_a_directory(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "nested").mkdir(parents=True)
    truth = make_invoice_truth(21)
    (inbox / "invoice.pdf").write_bytes(invoice_pdf(truth))
    (inbox / "nested" / "broken.pdf").write_bytes(broken_pdf())
    (inbox / "notes.txt").write_text("read like any file, and rejected by its bytes")
    (inbox / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")

    first = folio("process", str(inbox), "--json", data_dir=tmp_path / "var")
    assert first.returncode == 1, first.stderr  # two files rejected: not all done
    rows = {Path(r["file"]).name: r for r in map(json.loads, first.stdout.splitlines())}
    assert set(rows) == {"invoice.pdf", "broken.pdf", "notes.txt", ".DS_Store"}
    assert rows["notes.txt"]["status"] == "rejected" and "plain text" in rows["notes.txt"]["reason"]
    hidden = rows.pop(".DS_Store")  # reported, never read: no document
    assert hidden["status"] == "skipped" and hidden["document_id"] is None and "hidden" in hidden["reason"]
    required = {
        "file",
        "document_id",
        "sha256",
        "status",
        "reason",
        "schema",
        "engine",
        "model",
        "pages",
        "fields",
        "cost_usd",
        "licence_tier",
    }
    for row in rows.values():
        assert required <= set(row)
    invoice = rows["invoice.pdf"]
    assert invoice["status"] == "done", invoice["reason"]
    expected = truth.schema_values()
    for name in ("invoice_number", "invoice_date", "total_amount", "vendor_name"):
        assert invoice["fields"][name] == expected[name]
    assert rows["broken.pdf"]["status"] == "rejected" and rows["broken.pdf"]["reason"]

    # The same files again: answered from the database, nothing processed twice.
    second = folio("process", str(inbox), "--json", data_dir=tmp_path / "var")
    again = {Path(r["file"]).name: r for r in map(json.loads, second.stdout.splitlines())}
    assert again["invoice.pdf"]["document_id"] == invoice["document_id"]
    assert again["invoice.pdf"]["duplicate"] is True
    assert again["invoice.pdf"]["extraction_version"] == 1

    shown = folio("show", invoice["document_id"][:8], "--json", data_dir=tmp_path / "var")
    detail = json.loads(shown.stdout)
    assert detail["evidence"]["invoice_number"]["source_text"]
    assert truth.invoice_number in detail["evidence"]["invoice_number"]["source_text"]


def test_missing_file_is_reported_not_crashed(tmp_path: Path) -> None:
    result = folio("process", str(tmp_path / "nope.pdf"), "--json", data_dir=tmp_path / "var")
    assert result.returncode == 1, result.stderr  # a file named and missing is not done
    [row] = map(json.loads, result.stdout.splitlines())
    assert row["status"] == "rejected" and row["reason"] == "no such file"
