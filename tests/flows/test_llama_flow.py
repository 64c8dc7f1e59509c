"""`folio process --engine llama` against a fake vLLM server over real HTTP: fields, usage and
one priced ledger row per model call are stored. A server still loading its weights is
waited for (or a tier's fallback taken, recorded); a document past its spending ceiling goes
to review. The fake reads the page text it is sent;
expected values come from the truth of the invoice generated here.

The done rule with the llama engine: a wrong essential value (the fake answers it, as
confidently as the right ones) never ends ``done`` while the second witness is on; values of
unknown confidence (no log-probabilities) end ``done`` only where the witness agrees with
every essential one."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from core.settings import Settings
from flows.intake import register_file
from flows.pipeline import DocumentRun, open_pipeline, run_document
from models.document import DocumentStatus
from models.extraction import DocumentExtraction
from storage import repository as repo
from storage.migrate import upgrade
from tests.fakes.scans import describe_scan
from tests.fakes.vllm_server import FakeVllmServer
from tests.support.documents import invoice_pdf, page_texts, scanned_pdf
from tests.support.truth import InvoiceTruth, make_invoice_truth

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
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["engine"] == "llama" and row["model"] == fake.model
    assert row["status"] in ("done", "needs_review"), row["reason"]
    # Exit status 0 only when every file ended done, 1 when one needs a person.
    assert result.returncode == (0 if row["status"] == "done" else 1), result.stderr
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


@pytest.fixture
def fake() -> Iterator[FakeVllmServer]:
    """A fake vLLM server on an ephemeral port."""
    with FakeVllmServer() as server:
        yield server


def llama_settings(tmp_path: Path, fake: FakeVllmServer, **overrides: dict[str, Any]) -> Settings:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        extraction={"engine": "llama"},
        llm={"base_urls": [fake.base_url], "model": fake.model},
        licence={"licensee_country": "US"},
        pages={"render_workers": 1},
    )
    return settings.replace(**overrides)


def process(
    settings: Settings, fake: FakeVllmServer, files: list[tuple[str, bytes, list[str] | None]]
) -> list[tuple[DocumentRun, DocumentExtraction]]:
    """Each ``(name, data, scan_texts)`` through the pipeline; ``scan_texts``: the fake is
    told what the scanned pages show."""
    upgrade(settings)

    async def go() -> list[tuple[DocumentRun, DocumentExtraction]]:
        out = []
        async with open_pipeline(settings) as pipeline:
            for name, data, texts in files:
                path = settings.storage.data_dir.parent / name
                path.write_bytes(data)
                if texts is not None:
                    assert await describe_scan(fake, settings, path, texts) == len(texts)
                document_id = register_file(
                    path,
                    settings=settings,
                    sessions=pipeline.sessions,
                    blobs=pipeline.blobs,
                    tenant="acme",
                    schema_name="invoice",
                ).document_id
                run = await run_document(pipeline, document_id)
                with pipeline.sessions() as session:
                    stored = repo.current_extraction(session, document_id)
                    assert stored is not None
                    out.append((run, DocumentExtraction.model_validate(stored.result)))
        return out

    return asyncio.run(go())


def truths(*seeds: int) -> list[InvoiceTruth]:
    return [make_invoice_truth(seed) for seed in seeds]


def test_wrong_essential_values_never_end_done(tmp_path: Path, fake: FakeVllmServer) -> None:
    wrong = {"total_amount": truths(1)[0], "invoice_number": truths(2)[0], "invoice_date": truths(3)[0]}
    right = truths(4)[0]
    for name, truth in wrong.items():
        fake.faults.wrong[truth.invoice_number] = [name]
    files = [(f"{name}.pdf", invoice_pdf(truth), None) for name, truth in wrong.items()]
    files.append(("right.pdf", invoice_pdf(right), None))
    results = process(llama_settings(tmp_path, fake), fake, files)

    for (name, truth), (run, extraction) in zip(wrong.items(), results, strict=False):
        answered = extraction.fields[name]
        assert answered.value != truth.schema_values()[name]  # the fake did answer it wrongly
        assert answered.confidence is not None  # ... and as confidently as a right value
        assert run.status is DocumentStatus.NEEDS_REVIEW, name
        assert {"disagreement", "ungrounded"} & set(answered.flags), name
        assert f"disagreement: {name}" in (run.reason or "") or f"ungrounded: {name}" in (run.reason or "")
    run, extraction = results[0]
    model, page = extraction.fields["total_amount"].value, wrong["total_amount"].total_amount
    assert f"disagreement: total_amount (model {model:.2f}, page text {page:.2f})" in (run.reason or "")
    run, extraction = results[-1]
    assert run.status is DocumentStatus.DONE, run.reason  # the control: right values end done
    assert all("witness:agrees" in f.evidence for n, f in extraction.fields.items() if n in wrong)


def test_a_wrong_total_on_a_scan_is_caught_by_the_ocr_witness(tmp_path: Path, fake: FakeVllmServer) -> None:
    truth = truths(5)[0]
    digital = invoice_pdf(truth)
    fake.faults.wrong[truth.invoice_number] = ["total_amount"]
    [(run, extraction)] = process(
        llama_settings(tmp_path, fake), fake, [("scan.pdf", scanned_pdf(digital), page_texts(digital))]
    )
    total = extraction.fields["total_amount"]
    assert total.value != float(truth.total_amount) and total.confidence is not None
    assert run.status is DocumentStatus.NEEDS_REVIEW
    assert {"disagreement", "ungrounded"} & set(total.flags)
    assert any(
        e.startswith(("witness:disagrees: model", "witness: OCR does not state")) for e in total.evidence
    )
    number = extraction.fields["invoice_number"]  # read by OCR: a witness with a box
    assert "witness:agrees" in number.evidence and number.bbox is not None


@pytest.mark.parametrize("witness", ["ocr", "off"])
def test_without_logprobs_a_document_ends_done_only_where_the_witness_agrees(
    tmp_path: Path, fake: FakeVllmServer, witness: str
) -> None:
    fake.faults.no_logprobs = True
    truth = truths(6)[0]
    settings = llama_settings(tmp_path, fake, llm={"witness": witness})
    [(run, extraction)] = process(settings, fake, [("invoice.pdf", invoice_pdf(truth), None)])
    essential = ("vendor_name", "invoice_number", "invoice_date", "total_amount")
    assert all(extraction.fields[name].confidence is None for name in essential)  # never 0.7
    if witness == "ocr":
        assert all("witness:agrees" in extraction.fields[name].evidence for name in essential)
        assert run.status is DocumentStatus.DONE, run.reason
    else:
        assert run.status is DocumentStatus.NEEDS_REVIEW
        assert "unknown_confidence: vendor_name" in (run.reason or "")

    # folio show prints an unknown confidence as "?"
    env = {"FOLIO_DATA_DIR": str(settings.storage.data_dir), "FOLIO_ENGINE": "local", "COLUMNS": "250"}
    shown = CliRunner().invoke(app, ["show", run.document_id[:8]], env=env)
    assert shown.exit_code == 0, shown.output
    row = next(line for line in shown.output.splitlines() if "│ total_amount" in line)
    assert [cell.strip() for cell in row.split("│")][3] == "?"  # field, value, confidence


def run_once(settings: Settings, name: str, data: bytes) -> tuple[DocumentRun, Any]:
    """Register ``data`` and run it once through the pipeline; the run and the stored row."""
    upgrade(settings)

    async def go() -> tuple[DocumentRun, Any]:
        async with open_pipeline(settings) as pipeline:
            path = settings.storage.data_dir.parent / name
            path.write_bytes(data)
            document_id = register_file(
                path,
                settings=settings,
                sessions=pipeline.sessions,
                blobs=pipeline.blobs,
                tenant="acme",
                schema_name="invoice",
            ).document_id
            run = await run_document(pipeline, document_id)
            with pipeline.sessions() as session:
                return run, repo.get_document(session, document_id)

    return asyncio.run(go())


def rerun(settings: Settings, document_id: str) -> tuple[DocumentRun, Any, int]:
    """Run a registered document again; the run, its row and its ledger rows."""

    async def go() -> tuple[DocumentRun, Any, int]:
        async with open_pipeline(settings) as pipeline:
            run = await run_document(pipeline, document_id)
            with pipeline.sessions() as session:
                return (
                    run,
                    repo.get_document(session, document_id),
                    len(repo.ledger_for(session, document_id)),
                )

    return asyncio.run(go())


LOADING: dict[str, dict[str, Any]] = {
    "extraction": {"engine": "auto"},
    "llm": {"connect_timeout_s": 0.2, "health_backoff_s": 0.05},
}


def test_a_document_waits_queued_while_the_model_loads_then_runs_on_it(
    tmp_path: Path, fake: FakeVllmServer
) -> None:
    fake.loading = True  # vLLM has bound its port and is still loading the weights
    settings = llama_settings(tmp_path, fake, **LOADING)
    run, row = run_once(settings, "invoice.pdf", invoice_pdf(truths(8)[0]))
    assert run.status is DocumentStatus.QUEUED and row.status == DocumentStatus.QUEUED
    assert row.reason.startswith("waiting for the model server") and "FOLIO_LLM_STARTUP_WAIT_S" in row.reason
    assert row.error_code == "model_unavailable" and fake.chat_count == 0  # not the local engine either

    fake.loading = False
    run, row, ledger = rerun(settings, run.document_id)
    assert run.status in (DocumentStatus.DONE, DocumentStatus.NEEDS_REVIEW), run.reason
    assert row.engine == "llama" and ledger == fake.chat_count >= 1
    with sqlite3.connect(tmp_path / "var" / "folio.db") as db:
        timings = db.execute(
            "select first_token_ms, tokens_per_s from usage_ledger where document_id = ?", (run.document_id,)
        ).fetchall()
    # Streamed calls: each ledger row has its time to first token and decode rate.
    assert timings and all(first is not None and rate is not None for first, rate in timings)


def test_a_tier_that_chose_the_fallback_goes_to_the_local_engine_recorded(
    tmp_path: Path, fake: FakeVllmServer
) -> None:
    fake.loading = True
    # Tier free has model_unavailable = "fallback" (to the local engine).
    settings = llama_settings(tmp_path, fake, **LOADING).replace(tenancy={"default_tier": "free"})
    run, row = run_once(settings, "invoice.pdf", invoice_pdf(truths(9)[0]))
    assert run.status.is_final and row.engine == "local" and fake.chat_count == 0
    assert row.policy_decision == "routed"
    assert "no model server" in row.policy_reason and "tier free's choice" in row.policy_reason


def test_past_the_startup_wait_a_document_fails_model_unavailable(
    tmp_path: Path, fake: FakeVllmServer
) -> None:
    fake.loading = True
    settings = llama_settings(tmp_path, fake, **LOADING).replace(llm={"startup_wait_s": 0})
    run, row = run_once(settings, "invoice.pdf", invoice_pdf(truths(10)[0]))
    assert run.status is DocumentStatus.FAILED and row.error_code == "model_unavailable"
    assert "can be retried" in row.reason


def test_past_its_spending_ceiling_a_document_goes_to_review_not_to_another_retry(
    tmp_path: Path, fake: FakeVllmServer
) -> None:
    fake.faults.truncate = 1  # the first answer is cut; a retry at the ceiling would pass 3x the quote
    settings = llama_settings(tmp_path, fake)
    run, row = run_once(settings, "invoice.pdf", invoice_pdf(truths(11)[0]))
    assert run.status is DocumentStatus.NEEDS_REVIEW
    assert row.reason.startswith("cost_overrun: page(s) 1:") and "spending ceiling" in row.reason
    assert fake.chat_count == 1
    with sqlite3.connect(tmp_path / "var" / "folio.db") as db:
        (calls,) = db.execute(
            "select count(*) from usage_ledger where document_id = ?", (run.document_id,)
        ).fetchone()
    assert calls == 1
