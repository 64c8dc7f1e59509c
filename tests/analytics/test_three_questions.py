"""The three analyst questions answered through the CLI, the API and SQL on the views, equally."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cli import app as cli_app
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.analytics.seed import Truth, seed
from tests.analytics.server import serve

ADMIN_KEY = "analyst-admin-key"


@pytest.fixture
def seeded(db_settings: Settings) -> tuple[Settings, Truth]:
    import hashlib

    settings = db_settings.replace(api={"admin_key_hash": hashlib.sha256(ADMIN_KEY.encode()).hexdigest()})
    return settings, seed(settings)


def _cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[dict]:
    monkeypatch.setenv("FOLIO_DATABASE_URL", settings.storage.sqlalchemy_url)
    monkeypatch.setenv("FOLIO_DATA_DIR", str(settings.storage.data_dir))
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _sql(settings: Settings, statement: str, **params: object) -> list[dict]:
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(statement), params).mappings()]
    finally:
        engine.dispose()


def test_vendor_over_10000_eur_last_quarter(seeded, monkeypatch) -> None:
    settings, truth = seeded
    vendor = "Acme GmbH"
    expected = sorted(
        i["document_id"]
        for i in truth.invoices
        if i["vendor"] == vendor
        and i["total"] > 10000
        and i["currency"] == "EUR"
        and "2026-07-01" <= i["date"].isoformat() < "2026-10-01"
    )
    assert expected, "the seed should hold at least one matching invoice"
    where = [
        "vendor_name=acme gmbh",
        "total_amount>10000",
        "currency=EUR",
        "invoice_date>=2026-07-01",
        "invoice_date<2026-10-01",
    ]
    cli_rows = _cli(
        settings,
        monkeypatch,
        "query",
        "--schema",
        "invoice",
        "--format",
        "json",
        *[a for w in where for a in ("--where", w)],
    )
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        params = [("schema", "invoice"), ("limit", "2")]
        for f, o, v in (
            ("vendor_name", "eq", "Acme GmbH"),
            ("total_amount", "gt", "10000"),
            ("currency", "eq", "EUR"),
            ("invoice_date", "ge", "2026-07-01"),
            ("invoice_date", "lt", "2026-10-01"),
        ):
            params += [("field", f), ("op", o), ("value", v)]
        api_ids, cursor = [], None
        while True:  # walk the keyset pages two at a time
            page = params + ([("cursor", cursor)] if cursor else [])
            response = client.get(
                "/v1/query/documents", params=page, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
            )
            assert response.status_code == 200, response.text
            api_ids += [item["document_id"] for item in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
    sql_rows = _sql(
        settings,
        "SELECT document_id FROM folio_documents_v WHERE schema_name = 'invoice' "
        "AND lower(vendor_name) = lower(:v) AND total_amount > 10000 AND currency = 'EUR' "
        "AND invoice_date >= :a AND invoice_date < :b",
        v=vendor,
        a="2026-07-01",
        b="2026-10-01",
    )
    assert sorted(r["document_id"] for r in cli_rows) == expected
    assert sorted(api_ids) == expected
    assert sorted(r["document_id"] for r in sql_rows) == expected


def test_spend_per_tenant_month_model_tier(seeded, monkeypatch) -> None:
    settings, truth = seeded
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    for tenant, model, tier, cost in truth.ledger:
        expected[(tenant, model, tier)] += cost
    by = "tenant,month,model,tier"
    cli = {
        (r["tenant"], r["model"], r["tier"]): Decimal(r["cost_usd"])
        for r in _cli(settings, monkeypatch, "report", "costs", "--by", by, "--json")
    }
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.get(
            "/v1/reports/costs", params={"by": by}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        )
    assert response.status_code == 200, response.text
    api = {(r["tenant"], r["model"], r["tier"]): Decimal(r["cost_usd"]) for r in response.json()["items"]}
    sql = {
        (r["tenant"], r["model"], r["licence_tier"]): Decimal(int(r["units"])).scaleb(-8)
        for r in _sql(
            settings,
            "SELECT tenant, month, model, licence_tier, SUM(cost_units) AS units "
            "FROM folio_costs_daily_v GROUP BY tenant, month, model, licence_tier",
        )
    }
    assert cli == api == sql == dict(expected)


def test_fields_failing_review_most(seeded, monkeypatch) -> None:
    settings, truth = seeded
    documents = len(truth.invoices)
    expected_low = sum(1 for i in truth.invoices if i["low"]) / documents
    cli = {r["field"]: r for r in _cli(settings, monkeypatch, "report", "fields", "--json")}
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.get("/v1/reports/fields", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200, response.text
    api = {r["field"]: r for r in response.json()["items"]}
    total = _sql(settings, "SELECT COUNT(*) AS n FROM folio_documents_v WHERE extraction_id IS NOT NULL")[0][
        "n"
    ]
    sql = {
        r["field"]: r["flagged"] / total
        for r in _sql(
            settings,
            "SELECT field, COUNT(DISTINCT CASE WHEN flagged THEN document_id END) AS flagged "
            "FROM folio_fields_v GROUP BY field",
        )
    }
    assert cli["total_amount"]["review_rate"] == pytest.approx(expected_low)
    assert cli["invoice_number"]["review_rate"] == truth.missing["invoice_number"] / documents
    assert cli["invoice_number"]["fill_rate"] == 0
    for name in ("total_amount", "invoice_number", "vendor_name", "line_items.amount"):
        assert cli[name]["review_rate"] == api[name]["review_rate"] == sql[name]
    assert list(api)[0] in ("invoice_number", "total_amount")  # worst field first


def test_tenant_keys_see_only_their_tenant(seeded) -> None:
    settings, truth = seeded
    engine = make_engine(settings)
    with make_session_factory(engine).begin() as session:
        north = repo.get_tenant(session, name="north")
        _, key = repo.create_api_key(session, tenant_id=north.id)
    engine.dispose()
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {key}"}
        items = client.get("/v1/query/documents", params={"limit": 1000}, headers=auth).json()["items"]
        costs = client.get("/v1/reports/costs", params={"by": "model"}, headers=auth).json()["items"]
        refused = client.get("/v1/query/documents", params={"tenant": "south"}, headers=auth)
    assert sorted(i["document_id"] for i in items) == sorted(
        i["document_id"] for i in truth.invoices if i["tenant"] == "north"
    )
    assert sum(Decimal(r["cost_usd"]) for r in costs) == sum(c for t, _, _, c in truth.ledger if t == "north")
    assert refused.status_code == 403


def test_export_streams_every_row(seeded, monkeypatch, tmp_path: Path) -> None:
    settings, truth = seeded
    out = tmp_path / "all.jsonl"
    monkeypatch.setenv("FOLIO_DATABASE_URL", settings.storage.sqlalchemy_url)
    result = CliRunner().invoke(
        cli_app, ["export", "--format", "jsonl", "--out", str(out), "--where", "total_amount>10000"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["document_id"] for r in rows) == sorted(
        i["document_id"] for i in truth.invoices if i["total"] > 10000
    )
    assert all(Decimal(str(r["total_amount"])) > 10000 for r in rows)


def test_parquet_export_reads_back_with_rows_and_types(seeded, monkeypatch, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    settings, truth = seeded
    out = tmp_path / "all.parquet"
    monkeypatch.setenv("FOLIO_DATABASE_URL", settings.storage.sqlalchemy_url)
    monkeypatch.setenv("FOLIO_DATA_DIR", str(settings.storage.data_dir))
    result = CliRunner().invoke(cli_app, ["export", "--format", "parquet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.schema.field("page_count").type == pa.int64()
    for name in ("document_id", "tenant", "status", "vendor_name", "currency"):
        assert table.schema.field(name).type == pa.string(), name
    for name in ("cost_usd", "total_amount"):
        assert pa.types.is_decimal(table.schema.field(name).type), name
    assert table.schema.field("invoice_date").type == pa.date32()
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    rows = {r["document_id"]: r for r in table.to_pylist()}
    invoices = {i["document_id"]: i for i in truth.invoices}
    assert sorted(rows) == sorted(invoices)
    costs = {t: Decimal(0) for t in ("north", "south")}
    for tenant, _, _, cost in truth.ledger:
        costs[tenant] += cost
    assert {t: sum(r["cost_usd"] for r in rows.values() if r["tenant"] == t) for t in costs} == costs
    for document_id, invoice in invoices.items():
        row = rows[document_id]
        assert row["tenant"] == invoice["tenant"]
        assert row["vendor_name"] == invoice["vendor"]
        assert row["total_amount"] == invoice["total"]
        assert row["invoice_date"] == invoice["date"]
        assert row["review_flags"] == invoice["flags"]
