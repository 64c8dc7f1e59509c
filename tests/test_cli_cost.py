"""`folio tenant`, `folio report` and `folio process --dry-run`: the commands people run.

Tenant and report commands run in-process (Typer's runner, a fresh data dir in the
environment); the dry run runs the real `folio` executable. Report totals are compared with
a recomputation from the ledger rows read back from the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from core.settings import Settings
from models.document import DocumentStatus, FileKind
from models.pricing import load_price_list, price_calls
from models.tiers import load_tiers
from models.usage import EngineCall
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
MAVERICK = "meta-llama/Llama-4-Maverick-17B-128E-Instruct"


def folio(data_dir: Path, *args: str):
    env = {"FOLIO_DATA_DIR": str(data_dir), "FOLIO_ENGINE": "local", "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


def test_tenants_are_created_listed_and_moved_between_tiers(tmp_path: Path):
    data = tmp_path / "var"
    refused = folio(data, "tenant", "create", "acme", "--tier", "gold")
    assert refused.exit_code == 2
    for name in load_tiers().tiers:
        assert name in refused.output
    assert folio(data, "tenant", "create", "acme", "--tier", "free").exit_code == 0
    again = folio(data, "tenant", "create", "acme", "--tier", "free")
    assert again.exit_code == 2 and "exists" in again.output
    assert folio(data, "tenant", "create", "beta").exit_code == 0  # default tier
    listed = [json.loads(line) for line in folio(data, "tenant", "list", "--json").stdout.splitlines()]
    free = load_tiers().get("free")
    assert [(r["tenant"], r["tier"]) for r in listed] == [
        ("acme", "free"),
        ("beta", Settings(_env_file=None).tenancy.default_tier),
    ]
    assert listed[0]["pages_per_month"] == free.pages_per_month
    assert Decimal(listed[0]["usd_per_month"]) == free.usd_per_month
    assert folio(data, "tenant", "set-tier", "acme", "enterprise").exit_code == 0
    assert folio(data, "tenant", "set-tier", "nobody", "free").exit_code == 2
    assert folio(data, "tenant", "set-tier", "acme", "platinum").exit_code == 2
    listed = [json.loads(line) for line in folio(data, "tenant", "list", "--json").stdout.splitlines()]
    assert listed[0]["tier"] == "enterprise" and listed[0]["pages_per_month"] is None


def seed_ledger(settings: Settings) -> dict[str, Decimal]:
    """Two tenants, documents with priced calls (a failure among them) and a blocked one."""
    upgrade(settings)
    prices = load_price_list()
    db = make_engine(settings)
    sessions = make_session_factory(db)
    with sessions.begin() as session:
        for name, tier, model, count in (("acme", "standard", SCOUT, 3), ("beta", "free", MAVERICK, 2)):
            tenant = repo.create_tenant(session, name=name, tier=tier)
            for n in range(count):
                document, _ = repo.register_document(
                    session,
                    tenant_id=tenant.id,
                    sha256=uuid.uuid4().hex * 2,
                    schema_name="invoice",
                    file_name=f"{n}.pdf",
                    kind=FileKind.PDF,
                    media_type="application/pdf",
                    size_bytes=1,
                    blob_key=None,
                    licence_tier=tier,
                    source="cli",
                )
                calls = [
                    EngineCall(
                        engine="llama",
                        model=model,
                        prompt_tokens=1000 * (n + 1) + 7,
                        completion_tokens=333 * n,
                        error_code="truncated" if n else None,
                    ),
                    EngineCall(engine="llama", model=model, prompt_tokens=2467, attempt=2),
                ]
                repo.add_usage(
                    session, document_id=document.id, extraction_id=None, calls=price_calls(calls, prices)
                )
                repo.record_policy(
                    session,
                    document_id=document.id,
                    decision="allowed",
                    reason=None,
                    engine="llama",
                    model=model,
                    model_licence="llama4-community",
                    attribution="Built with Llama",
                    licence_reference=None,
                )
                repo.finish_document(session, document_id=document.id, status=DocumentStatus.DONE)
        blocked, _ = repo.register_document(
            session,
            tenant_id=tenant.id,
            sha256="f" * 64,
            schema_name="invoice",
            file_name="b.pdf",
            kind=FileKind.PDF,
            media_type="application/pdf",
            size_bytes=1,
            blob_key=None,
            licence_tier="free",
            source="cli",
        )
        repo.record_policy(
            session,
            document_id=blocked.id,
            decision="blocked",
            reason="over budget",
            engine="llama",
            model=MAVERICK,
            model_licence="llama4-community",
            attribution=None,
            licence_reference=None,
        )
        repo.finish_document(
            session, document_id=blocked.id, status=DocumentStatus.BLOCKED, reason="over budget"
        )
    # The independent side: every ledger row read back and summed here, per tenant.
    totals: dict[str, Decimal] = {}
    with sessions() as session:
        for tenant in repo.list_tenants(session):
            for document in repo.list_documents(session, tenant_id=tenant.id):
                rows = repo.ledger_for(session, document.id)
                totals[tenant.name] = totals.get(tenant.name, Decimal(0)) + sum(
                    (r.cost_usd for r in rows), Decimal(0)
                )
    db.dispose()
    return totals


def test_cost_report_totals_equal_the_ledger_rows(tmp_path: Path):
    data = tmp_path / "var"
    totals = seed_ledger(Settings(_env_file=None, storage={"data_dir": data}))
    result = folio(data, "report", "costs", "--by", "tenant,model,status", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_tenant: dict[str, Decimal] = {}
    for row in rows:
        assert isinstance(row["cost_usd"], str)  # exact decimal, never a float
        by_tenant[row["tenant"]] = by_tenant.get(row["tenant"], Decimal(0)) + Decimal(row["cost_usd"])
    assert by_tenant == totals and all(v > 0 for v in totals.values())
    [blocked] = [r for r in rows if r["status"] == "blocked"]
    assert (blocked["tenant"], blocked["model"], blocked["documents"], blocked["calls"]) == (
        "beta",
        MAVERICK,
        1,
        0,
    )
    assert Decimal(blocked["cost_usd"]) == 0
    assert sum(r["failed_calls"] for r in rows) == 2 + 1  # n = 1, 2 for acme; n = 1 for beta
    table = folio(data, "report", "costs", "--by", "tier")
    assert table.exit_code == 0 and f"{sum(totals.values()):.8f}" in table.stdout
    assert folio(data, "report", "costs", "--by", "colour").exit_code == 2
    licences = json.loads(folio(data, "report", "licences", "--json").stdout)
    assert licences["blocked"] == [{"tier": "free", "reason": "over budget", "documents": 1}]
    decided = {(r["tier"], r["decision"]): r for r in licences["decisions"]}
    assert decided[("standard", "allowed")]["documents"] == 3
    assert Decimal(decided[("standard", "allowed")]["cost_usd"]) == totals["acme"]


FOLIO = Path(sys.executable).parent / "folio"


@pytest.mark.slow
def test_dry_run_quotes_without_registering_or_calling_an_engine(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "two.pdf").write_bytes(invoice_pdf(make_invoice_truth(41), pages=2))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    # A llama engine is configured but no server exists: a dry run must not need one.
    env.update(FOLIO_DATA_DIR=str(tmp_path / "var"), FOLIO_ENGINE="llama", FOLIO_LICENSEE_COUNTRY="US")
    result = subprocess.run(
        [str(FOLIO), "process", str(inbox), "--dry-run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["status"] == "quoted" and row["pages"] == 2 and row["model"] == SCOUT
    price = load_price_list().price_for(SCOUT)
    exact = row["quoted_input_tokens"] * Fraction(str(price.input_usd_per_million)) + row[
        "quoted_completion_tokens"
    ] * Fraction(str(price.output_usd_per_million))
    assert abs(Fraction(str(row["quoted_cost_usd"])) - exact / 1_000_000) <= Fraction(1, 2 * 10**8)
    assert row["quoted_tokens"] == row["quoted_input_tokens"] + row["quoted_completion_tokens"]
    assert row["price_version"] == load_price_list().version
    settings = Settings(_env_file=None, storage={"data_dir": tmp_path / "var"})
    db = make_engine(settings)
    with make_session_factory(db)() as session:
        assert repo.list_documents(session) == []
    db.dispose()
