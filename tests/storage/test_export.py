"""`folio export`: typed columns per schema field, line items, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app as cli_app
from core.settings import Settings
from models.document import DocumentStatus
from models.extraction import DocumentExtraction, ExtractedField
from storage import repository as repo
from storage.database import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade


def _field(value: object, confidence: float | None = 0.9) -> ExtractedField:
    return ExtractedField(value=value, confidence=confidence, page=1)


def _store(settings: Settings) -> dict[str, str]:
    """Two invoices (one with line items, one needing review) and a receipt; their ids."""
    upgrade(settings)
    engine = make_engine(settings)
    ids: dict[str, str] = {}
    try:
        with session_scope(make_session_factory(engine)) as session:
            tenant = repo.create_tenant(session, name="acme", tier="standard")
            specs = {
                "lines": ("invoice", "004711", 1234.5, "2026-03-01", True),
                "flagged": ("invoice", "0099", 10.0, "2026-04-15", False),
                "receipt": ("receipt", None, 7.25, "2026-05-02", False),
            }
            for key, (schema, number, total, date, with_lines) in specs.items():
                document = repo.register_document(
                    session,
                    tenant_id=tenant.id,
                    sha256=f"{len(ids):064x}",
                    schema_name=schema,
                    file_name=f"{key}.pdf",
                    kind=None,
                    media_type="application/pdf",
                    size_bytes=100,
                    blob_key=None,
                    licence_tier="standard",
                    source="cli",
                )[0]
                fields = {"total_amount": _field(total, 0.8)}
                if schema == "invoice":
                    fields |= {
                        "invoice_number": _field(number, 0.95),
                        "invoice_date": _field(date, None),
                        "vendor_name": _field("Acme GmbH", 0.6 if key == "flagged" else 0.99),
                    }
                else:
                    fields |= {"date": _field(date), "merchant_name": _field("Corner Shop")}
                lines = [
                    {"description": _field("Widget"), "quantity": _field(2.0), "unit_price": _field(600.0)},
                    {
                        "description": _field("Shipping 007"),
                        "quantity": _field(1.0, 0.4),
                        "amount": _field(34.5),
                    },
                ]
                flags = ["low_confidence: vendor_name (0.60)"] if key == "flagged" else []
                extraction = DocumentExtraction(
                    schema_name=schema,
                    schema_version="1",
                    engine="local",
                    fields=fields,
                    tables={"line_items": lines} if with_lines else {},
                    review_flags=flags,
                )
                repo.add_extraction(session, document_id=document.id, extraction=extraction, fingerprint={})
                document.status = DocumentStatus.NEEDS_REVIEW if flags else DocumentStatus.DONE
                document.reason = "low_confidence: vendor_name (0.60)" if flags else None
                document.engine = "local"
                document.cost_usd = Decimal("0.00123400")
                ids[key] = document.id
    finally:
        engine.dispose()
    return ids


@pytest.fixture
def stored(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("FOLIO_DATABASE_URL", db_settings.storage.sqlalchemy_url)
    monkeypatch.setenv("FOLIO_DATA_DIR", str(db_settings.storage.data_dir))
    return _store(db_settings)


def _export(*args: str) -> str:
    result = CliRunner().invoke(cli_app, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_parquet_types_amounts_dates_and_leading_zeros(stored: dict[str, str], tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "invoices.parquet"
    _export("--format", "parquet", "--schema", "invoice", "--out", str(out))
    table = pq.read_table(out)
    types = {name: table.schema.field(name).type for name in table.schema.names}
    assert types["invoice_number"] == pa.string()
    assert types["currency"] == pa.string()
    assert pa.types.is_decimal(types["total_amount"]) and pa.types.is_decimal(types["cost_usd"])
    assert types["invoice_date"] == pa.date32()
    assert types["review_flags"] == pa.list_(pa.string())
    assert types["created_at"] == pa.timestamp("us", tz="UTC")
    assert "fields" not in types and "line_items" not in types
    rows = {r["document_id"]: r for r in table.to_pylist()}
    assert set(rows) == {stored["lines"], stored["flagged"]}
    first, flagged = rows[stored["lines"]], rows[stored["flagged"]]
    assert first["invoice_number"] == "004711" and flagged["invoice_number"] == "0099"
    assert first["total_amount"] == Decimal("1234.5")
    assert first["invoice_date"] == dt.date(2026, 3, 1)
    assert first["cost_usd"] == Decimal("0.001234")
    assert (first["status"], first["file_name"], first["engine"]) == ("done", "lines.pdf", "local")
    assert first["review_flags"] == [] and first["lowest_confidence"] == pytest.approx(0.8)
    assert flagged["status"] == "needs_review"
    assert flagged["review_flags"] == ["low_confidence: vendor_name (0.60)"]
    assert flagged["reason"] == "low_confidence: vendor_name (0.60)"
    assert flagged["lowest_confidence"] == pytest.approx(0.6)


def test_csv_and_json_lines_keep_text_text_and_numbers_numbers(stored: dict[str, str]) -> None:
    rows = {
        r["document_id"]: r for r in csv.DictReader(io.StringIO(_export("--out", "-", "--schema", "invoice")))
    }
    assert rows[stored["lines"]]["invoice_number"] == "004711"
    assert rows[stored["lines"]]["total_amount"] == "1234.5"
    assert rows[stored["lines"]]["invoice_date"] == "2026-03-01"
    assert rows[stored["flagged"]]["review_flags"] == "low_confidence: vendor_name (0.60)"
    lines = _export("--format", "json", "--out", "-", "--schema", "invoice").splitlines()
    records = {r["document_id"]: r for r in map(json.loads, lines)}
    record = records[stored["lines"]]
    assert record["invoice_number"] == "004711"
    assert record["total_amount"] == 1234.5 and isinstance(record["total_amount"], float)
    assert record["invoice_date"] == "2026-03-01"
    assert list(record) == list(rows[stored["lines"]])  # the same columns in both formats


def test_mixed_schemas_get_the_union_of_their_fields(stored: dict[str, str]) -> None:
    records = {
        r["document_id"]: r for r in map(json.loads, _export("--format", "json", "--out", "-").splitlines())
    }
    assert len(records) == 3
    receipt = records[stored["receipt"]]
    assert receipt["merchant_name"] == "Corner Shop" and receipt["invoice_number"] is None
    assert receipt["total_amount"] == 7.25 and receipt["date"] == "2026-05-02"


def test_line_items_one_row_per_item_with_the_document(stored: dict[str, str], tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "lines.parquet"
    _export("--table", "line_items", "--format", "parquet", "--out", str(out))
    table = pq.read_table(out)
    assert pa.types.is_decimal(table.schema.field("unit_price").type)
    assert table.schema.field("quantity").type == pa.float64()
    rows = table.to_pylist()
    assert [(r["document_id"], r["row"]) for r in rows] == [(stored["lines"], 1), (stored["lines"], 2)]
    assert rows[0]["description"] == "Widget" and rows[0]["unit_price"] == Decimal(600)
    assert rows[0]["amount"] is None and rows[1]["amount"] == Decimal("34.5")
    assert rows[1]["description"] == "Shipping 007" and rows[1]["lowest_confidence"] == pytest.approx(0.4)
    assert rows[0]["file_name"] == "lines.pdf"
    listed = list(csv.DictReader(io.StringIO(_export("--table", "line_items", "--out", "-"))))
    assert [r["row"] for r in listed] == ["1", "2"] and listed[1]["amount"] == "34.5"


def test_unknown_table_is_a_usage_error(stored: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["export", "--table", "nope", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "line_items" in result.output


def test_empty_parquet_export_has_the_typed_columns(stored: dict[str, str], tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "none.parquet"
    _export("--format", "parquet", "--schema", "invoice", "--where", "total_amount<0", "--out", str(out))
    table = pq.read_table(out)
    assert table.num_rows == 0
    assert table.schema.field("invoice_number").type == pa.string()
    assert pa.types.is_decimal(table.schema.field("total_amount").type)
