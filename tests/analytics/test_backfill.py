"""Migration 0005's frozen backfill writes the field rows the application writes today."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core.settings import Settings
from models.extraction import DocumentExtraction, ExtractedField
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.repository.reports import field_report_from_fields

NOW = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)


def _extraction(version: int) -> DocumentExtraction:
    return DocumentExtraction(
        schema_name="invoice",
        schema_version="1",
        engine="local",
        fields={
            "vendor_name": ExtractedField(value=f"Acme GmbH v{version}", confidence=0.9, page=1),
            "total_amount": ExtractedField(value=12345.5, confidence=0.4, page=2, flags=["conflict"]),
            "invoice_date": ExtractedField(value="2026-02-28", confidence=0.8),
            "paid": ExtractedField(value=True, confidence=0.7),
            "reference": ExtractedField(value=" 0042 ", confidence=0.6),
            "note": ExtractedField(value=None, confidence=0.0),
        },
        tables={
            "line_items": [
                {
                    "amount": ExtractedField(value=10, confidence=0.5),
                    "sku": ExtractedField(value="A-1", confidence=1),
                },
                {"amount": ExtractedField(value="2026-13-01", confidence=0.5)},
            ]
        },
        review_flags=["low_confidence: total_amount (0.40)", "missing: invoice_number was not found"],
    )


def _insert_at_0004(settings: Settings) -> str:
    """A tenant, a document and two extraction versions, written as 0004's schema has them."""
    upgrade(settings, "0004")
    engine = make_engine(settings)
    document_id = "00000000-0000-0000-0000-000000000001"
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO tenants (id, name, tier, created_at) VALUES (1, 'north', 'standard', :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO documents (id, tenant_id, sha256, schema_name, file_name, media_type, "
                    "size_bytes, status, licence_tier, source, created_at, updated_at) VALUES "
                    "(:id, 1, :sha, 'invoice', 'a.pdf', 'application/pdf', 10, 'done', 'standard', 'cli', "
                    ":t, :t)"
                ),
                {"id": document_id, "sha": "a" * 64, "t": NOW},
            )
            for version in (1, 2):
                extraction = _extraction(version)
                conn.execute(
                    sa.text(
                        "INSERT INTO extractions (document_id, version, is_current, schema_name, "
                        "schema_version, engine, model, result, review_flags, fingerprint, created_at) "
                        "VALUES (:d, :v, :c, 'invoice', '1', 'local', NULL, :r, :f, '{}', :t)"
                    ),
                    {
                        "d": document_id,
                        "v": version,
                        "c": version == 2,
                        "r": json.dumps(extraction.model_dump(mode="json")),
                        "f": json.dumps(extraction.review_flags),
                        "t": NOW,
                    },
                )
    finally:
        engine.dispose()
    return document_id


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    """Typed values as text: SQLite hands back floats and ISO strings, PostgreSQL Decimals and dates."""
    out = dict(row)
    if out["value_number"] is not None:
        out["value_number"] = str(Decimal(str(out["value_number"])).normalize())
    if out["value_date"] is not None:
        out["value_date"] = str(out["value_date"])
    return out


def test_backfill_gives_the_rows_the_application_writes(db_settings: Settings) -> None:
    document_id = _insert_at_0004(db_settings)
    upgrade(db_settings)
    expected = sorted(
        (_normal(r) for r in repo.field_rows(_extraction(2))),
        key=lambda r: (r["table_name"] or "", r["row_index"] or 0, r["name"]),
    )
    columns = list(expected[0])
    engine = make_engine(db_settings)
    try:
        with make_session_factory(engine)() as session:
            stored = session.execute(
                sa.text(
                    f"SELECT {', '.join(columns)} FROM extraction_fields WHERE document_id = :d "
                    "ORDER BY COALESCE(table_name, ''), COALESCE(row_index, 0), name"
                ),
                {"d": document_id},
            ).mappings()
            got = [_normal({**r, "flagged": bool(r["flagged"])}) for r in stored]
            assert got == expected
            assert any(r["value_number"] is not None for r in got)
            assert any(r["value_date"] is not None for r in got)
            # 0008 then backfilled the field report's rollups from these rows.
            rolled = repo.field_report(session, tenant_scope=None)
            scanned = field_report_from_fields(session, tenant_scope=None)
            assert [r["field"] for r in rolled] == [r["field"] for r in scanned]
            assert [r["review_rate"] for r in rolled] == [r["review_rate"] for r in scanned]
            assert {r["documents"] for r in rolled} == {1}
    finally:
        engine.dispose()
