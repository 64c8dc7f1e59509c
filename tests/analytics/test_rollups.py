"""The rollups (migration 0008) give the reports exactly what scanning the ledger and fields gives."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.settings import Settings
from models.extraction import DocumentExtraction, ExtractedField
from models.usage import EngineCall
from storage import repository as repo
from storage.database import make_engine, make_session_factory, session_scope
from storage.migrate import downgrade, upgrade
from storage.repository.reports import cost_report_from_ledger, field_report_from_fields
from storage.tables import CostRollup, Document, UsageLedgerEntry
from tests.analytics.seed import seed

GROUPINGS = [
    list(c) for n in range(5) for c in itertools.combinations(("tenant", "month", "model", "tier"), n)
]


def _later_writes(settings: Settings) -> None:
    """Writes the seed never makes: re-extraction, calls in another month and model, a
    document without calls whose model changes, a deleted ledger row."""
    engine = make_engine(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            north = repo.get_tenant(session, name="north")
            assert north is not None
            docs = list(session.scalars(sa.select(Document).order_by(Document.file_name)))
            first, second = docs[0], docs[1]
            redo = DocumentExtraction(
                schema_name="invoice",
                schema_version="1",
                engine="llama",
                model="llama-4-maverick",
                fields={"total_amount": ExtractedField(value=5.0, confidence=0.2)},
                review_flags=["missing: vendor_name was not found"],
            )
            repo.add_extraction(session, document_id=first.id, extraction=redo, fingerprint={})
            calls = [
                EngineCall(
                    engine="llama", model="llama-4-maverick", page_numbers=[1], cost_usd=Decimal("0.5")
                ),
                EngineCall(engine="llama", model=None, page_numbers=[1], error_code="timeout"),
            ]
            rows = repo.add_usage(session, document_id=first.id, extraction_id=None, calls=calls)
            rows[0].created_at = dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.UTC)
            session.flush()
            session.execute(sa.delete(UsageLedgerEntry).where(UsageLedgerEntry.document_id == second.id))
            blocked, _ = repo.register_document(
                session,
                tenant_id=north.id,
                sha256="f" * 64,
                schema_name="invoice",
                file_name="blocked.pdf",
                kind=None,
                media_type="application/pdf",
                size_bytes=10,
                blob_key=None,
                licence_tier="standard",
                source="cli",
            )
            session.flush()
            blocked.model = "llama-4-scout"
            session.flush()
    finally:
        engine.dispose()


def _reports(settings: Settings) -> dict[str, object]:
    engine = make_engine(settings)
    out: dict[str, object] = {}
    try:
        with make_session_factory(engine)() as session:
            for by in GROUPINGS:
                out[f"costs {by}"] = repo.cost_report(session, by=by)
                out[f"ledger {by}"] = cost_report_from_ledger(session, by=by)
            window = {
                "since": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "until": dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
            }
            out["costs window"] = repo.cost_report(session, by=["tenant", "month"], **window)
            out["ledger window"] = cost_report_from_ledger(session, by=["tenant", "month"], **window)
            north = repo.get_tenant(session, name="north")
            assert north is not None
            for name, scope in (("all", None), ("north", north.id)):
                out[f"fields {name}"] = repo.field_report(session, tenant_scope=scope)
                out[f"scan {name}"] = field_report_from_fields(session, tenant_scope=scope)
            # Incremental writes leave emptied groups at zero; the backfill never writes them.
            out["live groups"] = session.scalar(
                sa.select(sa.func.count()).select_from(CostRollup).where(CostRollup.documents > 0)
            )
    finally:
        engine.dispose()
    return out


def _assert_reports_agree(reports: dict[str, object]) -> None:
    for by in GROUPINGS:
        assert reports[f"costs {by}"] == reports[f"ledger {by}"], by
    assert reports["costs window"] == reports["ledger window"]
    for scope in ("all", "north"):
        rolled, scanned = reports[f"fields {scope}"], reports[f"scan {scope}"]
        assert isinstance(rolled, list) and isinstance(scanned, list)
        assert [{**r, "mean_confidence": None} for r in rolled] == [
            {**r, "mean_confidence": None} for r in scanned
        ]
        for a, b in zip(rolled, scanned, strict=True):
            assert a["mean_confidence"] == pytest.approx(b["mean_confidence"], abs=2e-6)


def test_rollups_match_the_ledger_and_fields_after_every_kind_of_write(db_settings: Settings) -> None:
    seed(db_settings)
    _later_writes(db_settings)
    reports = _reports(db_settings)
    _assert_reports_agree(reports)
    totals = reports["costs []"]
    assert isinstance(totals, list) and totals[0]["documents"] == 25  # 24 seeded + the blocked one
    by_month = reports["costs ['month']"]
    assert isinstance(by_month, list) and by_month[0]["month"] == "2025-12"


def test_migration_backfills_the_rollups_of_existing_rows(db_settings: Settings) -> None:
    seed(db_settings)
    _later_writes(db_settings)
    before = _reports(db_settings)
    downgrade(db_settings, "0007")
    upgrade(db_settings)
    after = _reports(db_settings)
    _assert_reports_agree(after)
    assert after == before


def test_an_empty_database_reports_one_row_of_zeros_without_groups(db_settings: Settings) -> None:
    upgrade(db_settings)
    engine = make_engine(db_settings)
    try:
        with make_session_factory(engine)() as session:
            assert repo.cost_report(session, by=[]) == cost_report_from_ledger(session, by=[])
            assert repo.cost_report(session, by=["tenant"]) == []
            assert repo.field_report(session, tenant_scope=None) == []
    finally:
        engine.dispose()
