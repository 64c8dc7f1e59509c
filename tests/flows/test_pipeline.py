"""Files through the whole pipeline (intake, Prefect flow, pages, local engine, storage), on
SQLite and PostgreSQL. Expected values come from the truth the factories generated."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support import hardcases
from tests.support.documents import broken_pdf, invoice_pdf
from tests.support.truth import make_invoice_truth

pytestmark = [
    pytest.mark.usefixtures("prefect_server"),
    # Prefect's own API client leaves a socket to its test server for the GC to close.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]


def run(settings: Settings, paths: list[Path], **options) -> list[dict]:
    from flows.batch_run import BatchRequest, run_batch

    request = BatchRequest(
        paths=paths,
        schema_name=options.pop("schema", "invoice"),
        tenant=options.pop("tenant", "acme"),
        **options,
    )
    return [outcome.row() for outcome in asyncio.run(run_batch(settings, request))]


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_digital_invoice_is_extracted_and_stored(db_settings: Settings, tmp_path: Path):
    truth = make_invoice_truth(11)
    [row] = run(db_settings, [write(tmp_path, "inv.pdf", invoice_pdf(truth))])
    expected = truth.schema_values()
    assert row["status"] in ("done", "needs_review"), row["reason"]
    assert row["engine"] == "local" and row["pages"] == 1
    for name in ("invoice_number", "invoice_date", "total_amount", "vendor_name"):
        assert row["fields"][name] == expected[name], name
    assert row["licence_tier"] == db_settings.tenancy.default_tier
    assert row["cost_usd"] == 0

    from storage import repository as repo
    from storage.database import make_engine, make_session_factory

    engine = make_engine(db_settings)
    with make_session_factory(engine)() as session:
        ledger = repo.ledger_for(session, row["document_id"])
        assert len(ledger) == 1 and ledger[0].engine == "local"
    engine.dispose()


def test_same_bytes_twice_is_one_document_and_is_not_processed_again(db_settings, tmp_path):
    data = invoice_pdf(make_invoice_truth(12))
    [first] = run(db_settings, [write(tmp_path, "a.pdf", data)])
    [second] = run(db_settings, [write(tmp_path, "copy-of-a.pdf", data)])
    assert second["document_id"] == first["document_id"]
    assert second["duplicate"] is True and first["duplicate"] is False
    assert second["extraction_version"] == first["extraction_version"] == 1


def test_reprocess_adds_a_new_extraction_version(settings: Settings, tmp_path: Path):
    path = write(tmp_path, "a.pdf", invoice_pdf(make_invoice_truth(13)))
    [first] = run(settings, [path])
    [again] = run(settings, [path], reprocess=True)
    assert again["document_id"] == first["document_id"]
    assert again["extraction_version"] == 2
    assert again["fields"] == first["fields"]


def test_every_bad_file_is_rejected_with_a_reason_and_the_good_one_still_works(
    db_settings: Settings, tmp_path: Path
):
    truth = make_invoice_truth(14)
    bad = {
        "broken.pdf": broken_pdf(),
        "notes.pdf": b"Dear team,\nthis is plain text with a .pdf name.\n" * 20,
        "locked.pdf": hardcases.encrypted_pdf(user_password="pw", owner_password="owner"),
        "empty.pdf": hardcases.zero_page_pdf(),
        "bomb.png": hardcases.bomb_png(),
        "cut.png": hardcases.truncated(hardcases.png_bytes(hardcases.text_image(["Total 12.00"]))),
    }
    paths = [write(tmp_path, name, data) for name, data in bad.items()]
    paths.append(write(tmp_path, "good.pdf", invoice_pdf(truth)))
    rows = {Path(r["file"]).name: r for r in run(db_settings, paths)}
    for name in bad:
        assert rows[name]["status"] == "rejected", (name, rows[name])
        assert rows[name]["reason"], name
    assert "password" in rows["locked.pdf"]["reason"]
    assert "text" in rows["notes.pdf"]["reason"]
    assert rows["good.pdf"]["status"] in ("done", "needs_review")
    assert rows["good.pdf"]["fields"]["invoice_number"] == truth.invoice_number


def test_encrypted_pdf_opens_with_its_password(settings: Settings, tmp_path: Path):
    path = write(
        tmp_path,
        "locked.pdf",
        hardcases.encrypted_pdf(user_password="s3cret", owner_password="owner-s3cret"),
    )
    [row] = run(settings, [path], password="s3cret", schema="generic")
    assert row["status"] in ("done", "needs_review"), row["reason"]
    assert row["pages"] == 2


def test_two_page_invoice_merges_line_items_in_order(settings: Settings, tmp_path: Path):
    truth = make_invoice_truth(15)
    [row] = run(settings, [write(tmp_path, "two.pdf", invoice_pdf(truth, pages=2))])
    assert row["pages"] == 2
    descriptions = [item["description"] for item in row["fields"].get("line_items", [])]
    assert descriptions == [item.description for item in truth.line_items]
    assert row["fields"]["total_amount"] == float(truth.total_amount)
