"""The policy and quote steps inside the real pipeline (preparer, database, blob store), on
SQLite and PostgreSQL, with a fake Llama engine that reports token usage. Costs are checked
against a recomputation from the ledger rows; limits in reasons come from the test's tiers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from extractors.prepare import PagePreparer
from flows.intake import register_file
from flows.pipeline import Pipeline, run_document
from models.document import DocumentStatus
from models.extraction import PageExtraction
from models.page import PreparedPage
from models.pricing import load_price_list
from models.schemas import ExtractionSchema
from models.usage import EngineCall
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"


class FakeLlama:
    """Answers every page with no fields and the usage a server would report.

    ``failures``: per page, how many attempts fail before the one that answers; odd attempts
    report usage (a truncated answer), even ones nothing (a refused connection).
    """

    name = "llama"
    model = SCOUT
    max_pages_per_call = 1

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.pages_seen: list[int] = []

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema):
        page = pages[0]
        self.pages_seen.append(page.page_number)
        prompt = 700 + page.estimated_text_tokens + (page.image.estimated_tokens if page.image else 0)
        calls = []
        for attempt in range(1, self.failures + 1):
            usage = attempt % 2 == 1
            calls.append(
                EngineCall(
                    engine="llama",
                    model=SCOUT,
                    page_numbers=[page.page_number],
                    attempt=attempt,
                    prompt_tokens=prompt if usage else None,
                    completion_tokens=4096 if usage else None,
                    finish_reason="length" if usage else None,
                    http_status=200 if usage else None,
                    error_code="truncated" if usage else "connect",
                    error="failed attempt",
                )
            )
        calls.append(
            EngineCall(
                engine="llama",
                model=SCOUT,
                page_numbers=[page.page_number],
                attempt=self.failures + 1,
                prompt_tokens=prompt,
                completion_tokens=180,
                finish_reason="stop",
                http_status=200,
            )
        )
        return PageExtraction(page_numbers=[page.page_number], calls=calls)

    async def aclose(self) -> None:
        return None


def process(
    settings: Settings,
    tmp_path: Path,
    engine,
    *,
    tenant: str = "acme",
    tier: str | None = None,
    pages: int = 1,
    seed: int = 1,
    data: bytes | None = None,
) -> tuple:
    """Register one generated invoice for ``tenant`` and run it through the pipeline."""
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    if tier is not None:
        with sessions.begin() as session:
            if repo.get_tenant(session, name=tenant) is None:
                repo.create_tenant(session, name=tenant, tier=tier)
    path = tmp_path / f"invoice-{seed}.pdf"
    path.write_bytes(data or invoice_pdf(make_invoice_truth(seed), pages=pages))
    blobs = BlobStore(settings.storage.blob_dir)
    intake = register_file(
        path, settings=settings, sessions=sessions, blobs=blobs, tenant=tenant, schema_name="invoice"
    )

    async def go():
        async with PagePreparer(settings) as preparer:
            pipeline = Pipeline(
                settings=settings, sessions=sessions, blobs=blobs, preparer=preparer, engine=engine
            )
            try:
                return await run_document(pipeline, intake.document_id)
            finally:
                for fallback in pipeline.fallback_engines.values():
                    await fallback.aclose()

    run = asyncio.run(go())
    with sessions() as session:
        document = repo.get_document(session, intake.document_id)
        ledger = repo.ledger_for(session, intake.document_id)
    db.dispose()
    return run, document, ledger


def with_(settings: Settings, **sections: dict[str, Any]) -> Settings:
    return settings.replace(**sections)


def recompute(row) -> Decimal:
    price = load_price_list().price_for(row.model)
    prompt = row.prompt_tokens if row.prompt_tokens is not None else (row.image_tokens or 0)
    exact = prompt * Fraction(str(price.input_usd_per_million)) + (row.completion_tokens or 0) * Fraction(
        str(price.output_usd_per_million)
    )
    scaled = exact / 1_000_000 * 10**8
    whole = scaled.numerator // scaled.denominator + (1 if scaled % 1 >= Fraction(1, 2) else 0)
    return Decimal(whole).scaleb(-8)


def test_allowed_llama_document_is_quoted_priced_and_attributed(db_settings, tmp_path):
    engine = FakeLlama(failures=2)
    run, document, ledger = process(
        with_(
            db_settings,
            licence={"licensee_country": "US"},
        ),
        tmp_path,
        engine,
        pages=2,
    )
    assert run.status is not DocumentStatus.BLOCKED, run.reason
    assert document.policy_decision == "allowed"
    assert (document.model, document.model_licence) == (SCOUT, "llama4-community")
    assert document.attribution == "Built with Llama"
    assert document.quoted_tokens > 0 and document.quoted_cost_usd > 0
    assert document.price_version == load_price_list().version
    # Retries are visible: three rows a page; the failed attempt that reported usage is
    # billed, the one that reported nothing costs 0.
    assert len(ledger) == 3 * 2 and engine.pages_seen == [1, 2]
    failed = [r for r in ledger if r.error_code]
    assert {r.error_code for r in failed} == {"truncated", "connect"}
    assert all(r.cost_usd > 0 for r in failed if r.error_code == "truncated")
    assert all(r.cost_usd == 0 for r in failed if r.error_code == "connect")
    assert [r.cost_usd for r in ledger] == [recompute(r) for r in ledger]
    assert document.cost_usd == sum(recompute(r) for r in ledger)
    assert {r.price_version for r in ledger} == {load_price_list().version}


def test_eu_licensee_is_blocked_before_any_call_and_billed_nothing(settings, tmp_path):
    engine = FakeLlama()
    run, document, ledger = process(with_(settings, licence={"licensee_country": "DE"}), tmp_path, engine)
    assert run.status is DocumentStatus.BLOCKED
    assert "European Union" in run.reason and document.reason == run.reason
    assert document.error_code == "licence_region" and document.policy_decision == "blocked"
    assert engine.pages_seen == [] and ledger == [] and document.cost_usd == 0


def test_eu_licensee_on_a_tier_with_a_fallback_is_routed_to_the_local_engine(settings, tmp_path):
    engine = FakeLlama()
    run, document, ledger = process(
        with_(
            settings,
            licence={"licensee_country": "FR"},
        ),
        tmp_path,
        engine,
        tier="free",
    )
    assert run.status in (DocumentStatus.DONE, DocumentStatus.NEEDS_REVIEW), run.reason
    assert document.policy_decision == "routed" and document.engine == "local"
    assert "European Union" in document.policy_reason
    assert "routed to the local engine" in document.policy_reason
    assert document.model_licence == "apache-2.0" and document.quoted_cost_usd == 0
    assert engine.pages_seen == []
    assert ledger and {r.engine for r in ledger} == {"local"} and document.cost_usd == 0


def test_above_700m_users_needs_the_meta_reference(settings, tmp_path):
    big = with_(settings, licence={"licensee_country": "US", "licensee_monthly_active_users": 800_000_000})
    run, document, ledger = process(big, tmp_path, FakeLlama(), seed=2)
    assert run.status is DocumentStatus.BLOCKED and document.error_code == "licence_mau"
    assert ledger == []
    granted = with_(big, licence={"meta_licence_reference": "META-2026-17"})
    run, document, ledger = process(granted, tmp_path, FakeLlama(), seed=3)
    assert document.policy_decision == "allowed" and document.licence_reference == "META-2026-17"
    assert ledger and document.cost_usd > 0


def tiny_tiers(tmp_path: Path, **limits) -> Path:
    path = tmp_path / "tiers.toml"
    lines = ['version = "test"', "[tiers.tiny]", 'allowed_models = ["*"]']
    lines += [f"{k} = {v}" for k, v in limits.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_monthly_pages_limit_blocks_at_the_quote_step(db_settings, tmp_path):
    limit, pages = 3, 2
    settings = with_(
        db_settings,
        licence={"licensee_country": "US", "tiers_file": tiny_tiers(tmp_path, pages_per_month=limit)},
    )
    first, _, _ = process(settings, tmp_path, FakeLlama(), tier="tiny", pages=pages, seed=4)
    assert first.status is not DocumentStatus.BLOCKED, first.reason
    engine = FakeLlama()
    run, document, ledger = process(settings, tmp_path, engine, tier="tiny", pages=pages, seed=5)
    assert run.status is DocumentStatus.BLOCKED and document.error_code == "budget_pages"
    over = pages + pages - limit
    assert run.reason.startswith(
        f"monthly pages {limit} would be exceeded by {over}: {pages} used + {pages} this document"
    )
    assert document.policy_decision == "blocked" and document.quoted_tokens > 0
    assert engine.pages_seen == [] and ledger == [] and document.cost_usd == 0


def test_monthly_dollars_limit_blocks_with_the_quote_in_the_reason(db_settings, tmp_path):
    settings = with_(
        db_settings,
        licence={"licensee_country": "US", "tiers_file": tiny_tiers(tmp_path, usd_per_month="0.000001")},
    )
    run, document, ledger = process(settings, tmp_path, FakeLlama(), tier="tiny", seed=6)
    assert run.status is DocumentStatus.BLOCKED and document.error_code == "budget_usd"
    quote = document.quoted_cost_usd
    assert quote > Decimal("0.000001")
    assert f"+ ${quote.normalize():f} this document" in run.reason
    assert ledger == []


def test_a_duplicate_is_never_billed_twice(db_settings, tmp_path):
    settings = with_(db_settings, licence={"licensee_country": "US"})
    data = invoice_pdf(make_invoice_truth(7))
    run, document, ledger = process(settings, tmp_path, FakeLlama(), data=data)
    assert ledger and document.cost_usd > 0
    engine = FakeLlama()
    again, same, ledger_again = process(settings, tmp_path, engine, data=data, seed=70)
    assert same.id == document.id and again.processed is False
    assert engine.pages_seen == []
    assert [r.id for r in ledger_again] == [r.id for r in ledger]
    assert same.cost_usd == document.cost_usd
    db = make_engine(settings)
    with make_session_factory(db)() as session:
        [row] = repo.cost_report(session, by=["tenant"])
    db.dispose()
    assert row["cost_usd"] == sum(r.cost_usd for r in ledger) and row["documents"] == 1


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_batch_rows_carry_cost_tier_and_decision_and_dry_run_registers_nothing(
    settings: Settings, tmp_path: Path
):
    from flows.batch_run import BatchRequest, quote_batch, run_batch

    path = tmp_path / "inv.pdf"
    path.write_bytes(invoice_pdf(make_invoice_truth(8)))
    request = BatchRequest(paths=[path], schema_name="invoice", tenant="acme", dry_run=True)
    [quoted] = asyncio.run(quote_batch(settings, request))
    assert quoted["status"] == "quoted" and quoted["quoted_cost_usd"] == 0
    assert quoted["licence_tier"] == settings.tenancy.default_tier and quoted["pages"] == 1
    db = make_engine(settings)
    with make_session_factory(db)() as session:
        assert repo.list_documents(session) == [] and repo.list_tenants(session) == []
    db.dispose()

    request = BatchRequest(paths=[path], schema_name="invoice", tenant="acme")
    [outcome] = asyncio.run(run_batch(settings, request))
    row = outcome.row()
    assert row["licence_tier"] == settings.tenancy.default_tier and row["cost_usd"] == 0
    assert row["policy_decision"] == "allowed" and row["model_licence"] == "apache-2.0"
    assert row["quoted_cost_usd"] == 0 and row["price_version"] == load_price_list().version
