"""`folio process --engine llama` against a fake vLLM server over real HTTP: fields, usage and
one priced ledger row per model call are stored. The fake reads the page text it is sent;
expected values come from the truth of the invoice generated here."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from examples.generate import invoice_pdf, make_invoice_truth
from tests.fakes.vllm_server import FakeVllmServer

FOLIO = Path(sys.executable).parent / "folio"


def folio(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    return subprocess.run(
        [str(FOLIO), *args], env={**base, **env}, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_folio_process_engine_llama_stores_fields_usage_and_ledger(tmp_path: Path) -> None:
    truth = make_invoice_truth(41)
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(invoice_pdf(truth, pages=2))
    with FakeVllmServer() as fake:
        env = {
            "FOLIO_DATA_DIR": str(tmp_path / "var"),
            "FOLIO_LLM_BASE_URLS": fake.base_url,
            "FOLIO_LLM_MODEL": fake.model,
            "FOLIO_LICENSEE_COUNTRY": "US",
        }
        result = folio("process", str(pdf), "--engine", "llama", "--json", env=env)
        requests = list(fake.requests)
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["engine"] == "llama" and row["model"] == fake.model
    assert row["status"] in ("done", "needs_review"), row["reason"]
    expected = truth.schema_values()
    for name in ("invoice_number", "invoice_date", "total_amount", "vendor_name"):
        assert row["fields"][name] == expected[name], name

    # Every request the fake saw was constrained by response_format, never guided_json.
    assert requests and all("response_format" in r and "guided_json" not in r for r in requests)

    with sqlite3.connect(tmp_path / "var" / "folio.db") as db:
        ledger = db.execute(
            "select engine, model, prompt_tokens, completion_tokens, cost_usd, price_version "
            "from usage_ledger where document_id = ?",
            (row["document_id"],),
        ).fetchall()
    assert len(ledger) == len(requests)  # one row per model call
    assert all(r[0] == "llama" and r[2] and r[3] for r in ledger)
    assert all(r[5] for r in ledger)  # priced under a named price version
    total = sum(Decimal(str(r[4])) for r in ledger)
    assert total > 0
    assert abs(Decimal(str(row["cost_usd"])) - total) < Decimal("0.00000001")
