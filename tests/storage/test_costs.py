"""The cost records and reports, on SQLite and PostgreSQL: costs recomputed here from the
ledger rows themselves (Fraction arithmetic over the stored tokens and the price list's
per-million prices), month boundaries in UTC, blocked documents, price changes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import Settings
from models.document import DocumentStatus, FileKind
from models.pricing import PriceList, load_price_list, price_calls
from models.usage import EngineCall
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.tables import Document, UsageLedgerEntry

SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
MAVERICK = "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"
LOCAL = "rapidocr-ppocrv4+fieldmap-3"


@pytest.fixture
def sessions(db_settings: Settings) -> Iterator[sa.orm.sessionmaker]:
    upgrade(db_settings)
    engine = make_engine(db_settings)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def new_document(session, tenant_id: int, *, tier: str = "standard") -> str:
    document, _ = repo.register_document(
        session,
        tenant_id=tenant_id,
        sha256=uuid.uuid4().hex * 2,
        schema_name="invoice",
        file_name="x.pdf",
        kind=FileKind.PDF,
        media_type="application/pdf",
        size_bytes=1,
        blob_key=None,
        licence_tier=tier,
        source="cli",
    )
    return document.id


def round_half_up(value: Fraction, places: int = 8) -> Decimal:
    scaled = value * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole).scaleb(-places)


def recompute(row: UsageLedgerEntry, prices: PriceList) -> Decimal:
    """A ledger row's cost from its own stored tokens, computed independently."""
    price = prices.price_for(row.model)
    if price is None:
        return Decimal(0)
    prompt = row.prompt_tokens if row.prompt_tokens is not None else (row.image_tokens or 0)
    completion = row.completion_tokens or 0
    return round_half_up(
        (
            prompt * Fraction(str(price.input_usd_per_million))
            + completion * Fraction(str(price.output_usd_per_million))
        )
        / 1_000_000
    )


calls_strategy = st.lists(
    st.builds(
        EngineCall,
        engine=st.just("llama"),
        model=st.sampled_from([SCOUT, MAVERICK, LOCAL, "acme/unpriced"]),
        attempt=st.integers(1, 4),
        prompt_tokens=st.none() | st.integers(0, 400_000),
        completion_tokens=st.none() | st.integers(0, 40_000),
        image_tokens=st.none() | st.integers(0, 2467 * 5),
        error_code=st.none() | st.sampled_from(["http_503", "truncated", "timeout"]),
    ),
    min_size=0,
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(calls_strategy, min_size=1, max_size=3))
def test_costs_and_reports_equal_a_recomputation_from_ledger_rows(sessions, documents):
    prices = load_price_list()
    tenant_name = f"t-{uuid.uuid4().hex[:10]}"
    with sessions.begin() as session:
        tenant = repo.create_tenant(session, name=tenant_name, tier="standard")
        ids = []
        for calls in documents:
            document_id = new_document(session, tenant.id)
            repo.add_usage(
                session, document_id=document_id, extraction_id=None, calls=price_calls(calls, prices)
            )
            repo.finish_document(session, document_id=document_id, status=DocumentStatus.DONE)
            ids.append(document_id)
    with sessions() as session:
        total = Decimal(0)
        by_model: dict[str, Decimal] = {}
        for document_id in ids:
            rows = repo.ledger_for(session, document_id)
            assert len(rows) == len(documents[ids.index(document_id)])  # failures are rows too
            expected = sum((recompute(r, prices) for r in rows), Decimal(0))
            assert [r.cost_usd for r in rows] == [recompute(r, prices) for r in rows]
            assert repo.get_document(session, document_id).cost_usd == expected
            for r in rows:
                by_model[r.model] = by_model.get(r.model, Decimal(0)) + recompute(r, prices)
                assert r.price_version in (prices.version, prices.unpriced_version)
            total += expected
        report = {r["tenant"]: r for r in repo.cost_report(session, by=["tenant"])}
        assert report[tenant_name]["cost_usd"] == total
        assert report[tenant_name]["documents"] == len(ids)
        assert report[tenant_name]["calls"] == sum(len(c) for c in documents)
        assert report[tenant_name]["failed_calls"] == sum(
            1 for c in documents for call in c if call.error_code
        )
        per_model = repo.cost_report(session, by=["tenant", "model"])
        mine = {r["model"]: r["cost_usd"] for r in per_model if r["tenant"] == tenant_name}
        assert {m: c for m, c in mine.items() if m in by_model} == by_model


def test_month_boundaries_are_utc_in_budgets_and_reports(sessions):
    prices = load_price_list()
    last_second = dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC)
    first_second = dt.datetime(2026, 2, 1, 0, 0, 0, tzinfo=dt.UTC)
    with sessions.begin() as session:
        tenant = repo.create_tenant(session, name="months", tier="standard")
        document_id = new_document(session, tenant.id)
        calls = price_calls(
            [
                EngineCall(engine="llama", model=SCOUT, prompt_tokens=1_000_000),
                EngineCall(engine="llama", model=SCOUT, prompt_tokens=3_000_000),
            ],
            prices,
        )
        rows = repo.add_usage(session, document_id=document_id, extraction_id=None, calls=calls)
        rows[0].created_at, rows[1].created_at = last_second, first_second
        repo.finish_document(session, document_id=document_id, status=DocumentStatus.DONE)
        repo.record_quote(
            session,
            document_id=document_id,
            quoted_tokens=1,
            quoted_cost_usd=Decimal(0),
            price_version=prices.version,
            quoted_at=last_second,
        )
        repo.record_policy(
            session,
            document_id=document_id,
            decision="allowed",
            reason=None,
            engine="llama",
            model=SCOUT,
            model_licence="llama4-community",
            attribution="Built with Llama",
            licence_reference=None,
        )
        session.execute(sa.update(Document).values(page_count=7))
    january = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    february = (january[1], dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with sessions() as session:
        assert repo.monthly_usage(session, tenant_id=tenant.id, start=january[0], end=january[1]) == (
            7,
            calls[0].cost_usd,
        )
        assert repo.monthly_usage(session, tenant_id=tenant.id, start=february[0], end=february[1]) == (
            0,
            calls[1].cost_usd,
        )
        assert (
            repo.monthly_usage(
                session,
                tenant_id=tenant.id,
                start=january[0],
                end=january[1],
                exclude_document_id=document_id,
            )[0]
            == 0
        )
        report = {r["month"]: r["cost_usd"] for r in repo.cost_report(session, by=["month"])}
        assert report == {"2026-01": calls[0].cost_usd, "2026-02": calls[1].cost_usd}
        since = repo.cost_report(session, by=["tenant"], since=first_second)
        assert since[0]["cost_usd"] == calls[1].cost_usd
        until = repo.cost_report(session, by=[], until=first_second)
        assert until[0]["cost_usd"] == calls[0].cost_usd


def test_a_price_change_never_rewrites_past_rows(sessions):
    old = load_price_list()
    new = load_price_list(overrides={SCOUT: {"input_usd_per_million": Decimal("9.99")}})
    assert new.version != old.version
    call = EngineCall(engine="llama", model=SCOUT, prompt_tokens=250_000, completion_tokens=999)
    with sessions.begin() as session:
        tenant = repo.create_tenant(session, name="prices", tier="standard")
        first, second = new_document(session, tenant.id), new_document(session, tenant.id)
        repo.add_usage(session, document_id=first, extraction_id=None, calls=price_calls([call], old))
        repo.finish_document(session, document_id=first, status=DocumentStatus.DONE)
        repo.add_usage(session, document_id=second, extraction_id=None, calls=price_calls([call], new))
        repo.finish_document(session, document_id=second, status=DocumentStatus.DONE)
    with sessions() as session:
        [old_row] = repo.ledger_for(session, first)
        [new_row] = repo.ledger_for(session, second)
        assert (old_row.price_version, old_row.cost_usd) == (old.version, recompute(old_row, old))
        assert (new_row.price_version, new_row.cost_usd) == (new.version, recompute(new_row, new))
        assert old_row.cost_usd != new_row.cost_usd
        assert repo.cost_report(session, by=["tenant"])[0]["cost_usd"] == (
            old_row.cost_usd + new_row.cost_usd
        )


def test_blocked_documents_cost_nothing_and_show_their_reasons(sessions):
    reason = "monthly pages 10 would be exceeded by 2: 9 used + 3 this document"
    with sessions.begin() as session:
        tenant = repo.create_tenant(session, name="blocked", tier="free")
        document_id = new_document(session, tenant.id, tier="free")
        repo.record_policy(
            session,
            document_id=document_id,
            decision="allowed",
            reason=None,
            engine="local",
            model=LOCAL,
            model_licence="apache-2.0",
            attribution=None,
            licence_reference=None,
        )
        repo.record_quote(
            session,
            document_id=document_id,
            quoted_tokens=0,
            quoted_cost_usd=Decimal(0),
            price_version="v",
            quoted_at=dt.datetime.now(dt.UTC),
            blocked_reason=reason,
        )
        finished = repo.finish_document(
            session, document_id=document_id, status=DocumentStatus.BLOCKED, reason=reason
        )
        assert finished.cost_usd == 0 and finished.policy_decision == "blocked"
    with sessions() as session:
        [row] = repo.cost_report(session, by=["status", "tier"])
        assert (row["status"], row["tier"], row["documents"], row["calls"], row["cost_usd"]) == (
            "blocked",
            "free",
            1,
            0,
            0,
        )
        report = repo.licence_report(session)
        assert report["decisions"] == [
            {
                "tier": "free",
                "model_licence": "apache-2.0",
                "model": LOCAL,
                "decision": "blocked",
                "documents": 1,
                "cost_usd": Decimal(0),
            }
        ]
        assert report["blocked"] == [{"tier": "free", "reason": reason, "documents": 1}]
        assert repo.monthly_usage(
            session,
            tenant_id=tenant.id,
            start=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            end=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
        ) == (0, 0)


def test_tenants_are_created_once_and_change_tier(sessions):
    with sessions.begin() as session:
        repo.create_tenant(session, name="acme", tier="free")
    with sessions.begin() as session, pytest.raises(repo.TenantExistsError):
        repo.create_tenant(session, name="acme", tier="standard")
    with sessions.begin() as session:
        assert repo.set_tenant_tier(session, name="acme", tier="enterprise").tier == "enterprise"
        with pytest.raises(repo.TenantNotFoundError):
            repo.set_tenant_tier(session, name="nobody", tier="free")
    with sessions() as session:
        assert [(t.name, t.tier) for t in repo.list_tenants(session)] == [("acme", "enterprise")]


def test_unknown_report_groups_are_refused(sessions):
    with sessions() as session, pytest.raises(Exception, match="choose from"):
        repo.cost_report(session, by=["colour"])
