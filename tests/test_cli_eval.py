"""The real `folio eval` in a subprocess: generated invoices with truth as printed, one truth
falsified; usage errors; comparing two saved runs. Expected values come from the generated
documents' truth, never from a previous run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.documents import invoice_pdf
from tests.support.truth import format_amount, format_date, make_invoice_truth

FOLIO = Path(sys.executable).parent / "folio"

REPORT_KEYS = {
    "documents",
    "fields_checked",
    "field_accuracy",
    "per_field",
    "statuses",
    "straight_through",
    "done_precision",
    "review_recall",
    "calibration",
    "ece",
    "unknown_confidence",
    "engine",
    "model",
    "fingerprint",
    "cost_usd",
    "pages",
    "cost_per_page_usd",
    "wall_s",
    "seconds_per_page",
}


def folio(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(data_dir), FOLIO_ENGINE="local")
    return subprocess.run([str(FOLIO), *args], env=env, capture_output=True, text=True, timeout=300)


def golden_invoices(folder: Path) -> dict[str, Any]:
    """Three invoices; truth with day-first dates and European amounts, as a person would
    type them off the page. The second invoice's total is falsified in its truth."""
    folder.mkdir(parents=True)
    truths = {}
    for seed in (31, 32, 33):
        truth = make_invoice_truth(seed)
        (folder / f"invoice-{seed}.pdf").write_bytes(invoice_pdf(truth))
        values = truth.schema_values()
        values["invoice_date"] = format_date(truth.invoice_date, "%d/%m/%Y")
        values["total_amount"] = format_amount(truth.total_amount, "eu")
        if seed == 32:
            values["total_amount"] = format_amount(truth.total_amount + 1, "eu")
        (folder / f"invoice-{seed}.json").write_text(json.dumps(values))
        truths[f"invoice-{seed}.pdf"] = truth
    (folder / "_golden.json").write_text(json.dumps({"date_order": "dmy"}))
    return truths


@pytest.mark.slow
def test_folio_eval_scores_a_golden_set_and_a_falsified_truth_is_wrong(tmp_path: Path) -> None:
    golden_invoices(tmp_path / "golden")
    records = tmp_path / "out" / "records.jsonl"
    markdown = tmp_path / "out" / "report.md"
    result = folio(
        "eval",
        str(tmp_path / "golden"),
        "--schema",
        "invoice",
        "--json",
        "--records",
        str(records),
        "--report",
        str(markdown),
        data_dir=tmp_path / "var",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert set(report) >= REPORT_KEYS
    assert report["documents"] == 3 and report["engine"] == "local" and report["pages"] == 3
    assert report["date_order"] == "dmy"
    assert len(report["calibration"]) == 10
    assert report["per_field"]["total_amount"]["checked"] == 3
    lines = [json.loads(line) for line in records.read_text().splitlines()]
    assert len(lines) == report["fields_checked"]
    fields = {(r["document"], r["field"]): r for r in lines}
    falsified = fields["invoice-32.pdf", "total_amount"]
    assert falsified["correct"] is False and falsified["value"] is not None
    # The same field of the honest documents, and their day-first dates, are right.
    assert fields["invoice-31.pdf", "total_amount"]["correct"] is True
    assert fields["invoice-33.pdf", "total_amount"]["correct"] is True
    assert fields["invoice-31.pdf", "invoice_date"]["correct"] is True
    for record in lines:
        assert {"confidence", "method", "evidence", "flags", "status", "review_flags", "kind"} <= set(record)
    assert "invoice-32.pdf" in markdown.read_text()
    # The user's data dir got no documents: the run used a scratch database.
    assert not (tmp_path / "var" / "folio.db").exists()


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "no-truth").mkdir()
    (tmp_path / "no-truth" / "a.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "a.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "set" / "a.json").write_text("{}")
    cases = [
        (("eval", str(tmp_path / "no-truth"), "--schema", "invoice"), "no truth files"),
        (("eval", str(tmp_path / "set"), "--schema", "no_such_schema"), "unknown schema"),
        (("eval", str(tmp_path / "set")), "--schema"),
        (("eval", str(tmp_path / "missing")), "no such file"),
        (("eval",), "golden-set"),
        (("eval", "--compare", str(tmp_path / "set" / "a.json")), "two saved"),
        (
            ("eval", "--compare", str(tmp_path / "set" / "a.json"), str(tmp_path / "set" / "a.json")),
            "not a saved",
        ),
    ]
    for args, message in cases:
        result = folio(*args, data_dir=tmp_path / "var")
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)


def saved_run(field_accuracy: float, total_accuracy: float, model: str) -> dict[str, Any]:
    return {
        "schema": "invoice",
        "documents": 3,
        "fields_checked": 30,
        "field_accuracy": field_accuracy,
        "per_field": {"total_amount": {"accuracy": total_accuracy, "checked": 3}},
        "statuses": {"done": 2, "needs_review": 1},
        "engine": "llama",
        "model": model,
        "fingerprint": {"engine": "llama", "model": model, "prompt_template": "3"},
        "fingerprints": [],
        "cost_usd": "0.0100",
    }


def test_compare_two_saved_runs(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("progress noise\n" + json.dumps(saved_run(0.5, 1 / 3, "scout")) + "\n")
    b.write_text(json.dumps(saved_run(0.8, 1.0, "maverick")))
    result = folio("eval", "--compare", str(a), str(b), "--json", data_dir=tmp_path / "var")
    assert result.returncode == 0, result.stderr
    change = json.loads(result.stdout)
    accuracy = next(c for c in change["headline"] if c["name"] == "field_accuracy")
    assert accuracy["delta"] == pytest.approx(0.8 - 0.5)
    total = next(c for c in change["per_field"] if c["name"] == "total_amount")
    assert total["delta"] == pytest.approx(1 - 1 / 3)
    assert {s["name"] for s in change["settings"]} == {"model", "fingerprint.model"}
    shown = folio("eval", "--compare", str(a), str(b), data_dir=tmp_path / "var")
    assert shown.returncode == 0 and "maverick" in shown.stdout and "+30.0 pt" in shown.stdout
