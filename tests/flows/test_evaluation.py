"""Golden sets found on disk (truth beside each document, manifests) and one evaluation run
through the real pipeline in a scratch database, with a custom schema carried into it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from core.settings import Settings
from flows.evaluation import find_golden_set, schema_for_run
from flows.schemas import register_schema
from models.evaluation import DateOrder
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.support.documents import purchase_order_pdf


def touch(path: Path, data: bytes | str = b"%PDF-1.7\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def test_documents_pair_with_the_truth_beside_them(tmp_path: Path) -> None:
    touch(tmp_path / "a.pdf")
    touch(tmp_path / "a.json", json.dumps({"total_amount": "7.70"}))
    touch(tmp_path / "b.jpg")  # no truth: listed, not evaluated
    touch(tmp_path / "c.png")
    touch(tmp_path / "c.json", "[1, 2]")  # not an object: a problem, not a crash
    touch(tmp_path / "notes.txt")
    golden = find_golden_set([tmp_path])
    assert [d.name for d in golden.documents] == ["a.pdf"]
    assert golden.documents[0].truth == {"total_amount": "7.70"}
    assert [p.name for p in golden.without_truth] == ["b.jpg"]
    assert len(golden.problems) == 1 and "c.json" in golden.problems[0]


def test_the_nearest_manifest_gives_the_date_order_and_the_caller_wins(tmp_path: Path) -> None:
    touch(tmp_path / "_golden.json", json.dumps({"date_order": "dmy", "schema": "receipt"}))
    touch(tmp_path / "us" / "_golden.json", json.dumps({"date_order": "mdy"}))
    for name in ("top.pdf", "us/one.pdf", "us/deeper/two.pdf"):
        touch(tmp_path / name)
        touch((tmp_path / name).with_suffix(".json"), "{}")
    orders = {d.name: d.date_order for d in find_golden_set([tmp_path]).documents}
    assert orders == {
        "top.pdf": DateOrder.DMY,
        "us/one.pdf": DateOrder.MDY,
        "us/deeper/two.pdf": DateOrder.MDY,
    }
    schemas = {d.name: d.schema_name for d in find_golden_set([tmp_path]).documents}
    assert schemas["top.pdf"] == "receipt" and schemas["us/one.pdf"] is None  # nearest manifest only
    stated = find_golden_set([tmp_path], date_order=DateOrder.YMD, limit=2)
    assert [d.date_order for d in stated.documents] == [DateOrder.YMD, DateOrder.YMD]
    # A single document named on its own finds its folder's manifest too.
    [single] = find_golden_set([tmp_path / "us" / "one.pdf"]).documents
    assert single.date_order is DateOrder.MDY


def test_a_bad_manifest_is_a_usage_error(tmp_path: Path) -> None:
    touch(tmp_path / "a.pdf")
    touch(tmp_path / "a.json", "{}")
    touch(tmp_path / "_golden.json", json.dumps({"date_order": "dym"}))
    with pytest.raises(ConfigurationError, match="date_order"):
        find_golden_set([tmp_path])
    touch(tmp_path / "_golden.json", json.dumps({"dateorder": "dmy"}))
    with pytest.raises(ConfigurationError, match="unknown key"):
        find_golden_set([tmp_path])


def test_an_unknown_schema_is_refused_without_creating_a_database(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="unknown schema"):
        schema_for_run(settings, "no_such_schema")
    assert not (settings.storage.data_dir / "folio.db").exists()


PO_SCHEMA = {
    "type": "object",
    "description": "A purchase order.",
    "x-folio-essential": ["po_number", "total"],
    "properties": {
        "po_number": {"type": "string", "x-folio-aliases": ["po number"]},
        "order_date": {"type": "string", "format": "date", "x-folio-aliases": ["order date"]},
        "total": {"type": "number", "x-folio-kind": "money", "x-folio-aliases": ["total"]},
    },
}


def purchase_order(path: Path, number: str, date: str, total: str) -> None:
    path.write_bytes(purchase_order_pdf(f"PO Number: {number}", f"Order Date: {date}", f"Total: {total}"))


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_a_custom_schema_golden_set_runs_in_a_scratch_database(settings: Settings, tmp_path: Path) -> None:
    from flows.evaluation import EvaluationOptions, evaluate_golden_set

    # The user's database holds the custom schema; the scratch one starts empty.
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    schema_file = tmp_path / "po.json"
    schema_file.write_text(json.dumps(PO_SCHEMA))
    with sessions.begin() as session:
        register_schema(session, name="purchase_order", source=schema_file)
    golden_dir = tmp_path / "golden"
    golden_dir.mkdir()
    purchase_order(golden_dir / "po-1.pdf", "PO-48213", "2024-03-05", "1,234.56")
    purchase_order(golden_dir / "po-2.pdf", "PO-77102", "2024-04-11", "88.00")
    # Truth as printed elsewhere: day-first date, comma decimals; po-2's total is falsified.
    touch(
        golden_dir / "po-1.json",
        json.dumps({"po_number": "po 48213", "order_date": "05/03/2024", "total": "1.234,56"}),
    )
    touch(golden_dir / "po-2.json", json.dumps({"po_number": "PO-77102", "total": "80.00"}))
    golden = find_golden_set([golden_dir], date_order=DateOrder.DMY)

    options = EvaluationOptions(paths=("golden",))
    run = asyncio.run(evaluate_golden_set(settings, golden, schema_name="purchase_order", options=options))

    by_field = {(r.document, r.field): r for s in run.scores for r in s.fields}
    assert by_field["po-1.pdf", "po_number"].correct
    assert by_field["po-1.pdf", "order_date"].correct
    assert by_field["po-1.pdf", "total"].correct
    assert not by_field["po-2.pdf", "total"].correct  # the falsified truth scores wrong
    assert ("po-2.pdf", "order_date") not in by_field  # absent from the truth: not checked
    assert run.report.documents == 2 and run.report.fields_checked == 5
    assert run.report.per_field["total"].accuracy == 0.5
    assert run.report.engine == "local" and run.report.fingerprint is not None
    assert run.report.fingerprint["schema"] == "purchase_order"
    assert run.data_dir is None  # scratch removed
    with sessions() as session:  # nothing was added to the user's database
        assert repo.list_documents(session) == []
    db.dispose()
