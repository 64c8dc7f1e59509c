"""`folio review` end to end (typer's CliRunner, the real database on SQLite and PostgreSQL),
and `folio eval export` whose golden set the real `folio eval` (a subprocess, the local
engine reading the files again) scores: the value a person corrected is right, and a wrong
value approved as it was is wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli import app as cli_app
from core.settings import Settings
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.support.review import needs_review

FOLIO = Path(sys.executable).parent / "folio"


def folio(settings: Settings, *args: str) -> Result:
    env = {
        "FOLIO_DATA_DIR": str(settings.storage.data_dir),
        "FOLIO_DATABASE_URL": settings.storage.sqlalchemy_url,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def detail(settings: Settings, document_id: str) -> repo.ReviewDetail:
    db = make_engine(settings)
    try:
        with make_session_factory(db)() as session:
            return repo.review_document(session, document_id=document_id, tenant_id=None)
    finally:
        db.dispose()


def test_list_show_set_approve_and_reject(db_settings: Settings) -> None:
    first = needs_review(db_settings, seed=41)
    second = needs_review(db_settings, seed=42, tenant="globex")
    listed = folio(db_settings, "review", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["document_id"] for r in rows] == [first.document_id, second.document_id]
    assert all(r["review_flags"] and r["version"] == 1 for r in rows)
    only = folio(db_settings, "review", "list", "--tenant", "globex", "--json")
    assert [json.loads(line)["document_id"] for line in only.stdout.splitlines()] == [second.document_id]
    assert folio(db_settings, "review", "list", "--tenant", "nobody").exit_code == 2

    shown = folio(db_settings, "review", "show", first.document_id[:8])
    assert shown.exit_code == 0, shown.output
    assert "total_amount" in shown.stdout and "review:" in shown.stdout

    right = str(first.right["total_amount"])
    fixed = folio(
        db_settings, "review", "set", first.document_id, f"total_amount={right}", "--author", "dana"
    )
    assert fixed.exit_code == 0, fixed.output
    after = detail(db_settings, first.document_id)
    assert after.version == 2 and after.source == "human" and after.author == "dana"
    assert after.extraction is not None
    assert after.extraction.fields["total_amount"].value == first.right["total_amount"]

    bad = folio(db_settings, "review", "set", first.document_id, "invoice_date=31/12/2024")
    assert bad.exit_code == 2 and "invoice_date" in bad.output
    assert folio(db_settings, "review", "set", first.document_id, "no-equals-sign").exit_code == 2
    assert folio(db_settings, "review", "approve", "0000dead").exit_code == 1

    approved = folio(db_settings, "review", "approve", first.document_id, "--author", "dana")
    assert approved.exit_code == 0, approved.output
    done = detail(db_settings, first.document_id).document
    assert done.status is DocumentStatus.DONE and done.reviewed_by == "dana"
    again = folio(db_settings, "review", "approve", first.document_id)
    assert again.exit_code == 1 and "done" in again.output

    assert folio(db_settings, "review", "reject", second.document_id, "--reason", " ").exit_code == 2
    rejected = folio(db_settings, "review", "reject", second.document_id, "--reason", "duplicate of INV-1")
    assert rejected.exit_code == 0, rejected.output
    gone = detail(db_settings, second.document_id).document
    assert gone.status is DocumentStatus.REJECTED and gone.reason == "duplicate of INV-1"
    assert gone.reviewed_by  # the OS user
    assert folio(db_settings, "review", "list", "--json").stdout.strip() == ""


@pytest.mark.slow
def test_export_is_a_golden_set_folio_eval_scores(settings: Settings, tmp_path: Path) -> None:
    tenant = settings.tenancy.default_tenant  # the tenant `folio eval --database` looks documents up for
    fixed = needs_review(settings, seed=51, tenant=tenant)
    unfixed = needs_review(settings, seed=52, tenant=tenant)
    waiting = needs_review(settings, seed=53, tenant=tenant)
    right = fixed.right["total_amount"]
    assert folio(settings, "review", "set", fixed.document_id, f"total_amount={right}").exit_code == 0
    for doc in (fixed, unfixed):
        assert folio(settings, "review", "approve", doc.document_id).exit_code == 0
    out = tmp_path / "golden"
    exported = folio(settings, "eval", "export", "--out", str(out), "--since", "2000-01-01")
    assert exported.exit_code == 0, exported.output
    files = sorted(p.name for p in (out / "invoice").iterdir())
    assert "_golden.json" in files and len(files) == 5  # two documents and their truth, a manifest
    assert not any(waiting.document_id[:8] in name for name in files)  # not reviewed: not exported
    truths = {
        json.loads(p.read_text())["_document_id"]: json.loads(p.read_text())
        for p in (out / "invoice").glob("*.json")
        if p.name != "_golden.json"
    }
    assert truths[fixed.document_id]["total_amount"] == right
    assert truths[unfixed.document_id]["total_amount"] == unfixed.answered["total_amount"]

    # `folio eval` reads the files again with the local engine, in a scratch database: the
    # total a person corrected agrees with the page, the wrong total approved as it was does not.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(tmp_path / "eval-home"), FOLIO_ENGINE="local")
    records_file = tmp_path / "records.jsonl"
    command = [str(FOLIO), "eval", str(out / "invoice"), "--json", "--records", str(records_file)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    records = [json.loads(line) for line in records_file.read_text().splitlines()]
    by_name = {name: doc for doc in (fixed, unfixed) for name in files if doc.document_id[:8] in name}
    totals = {
        by_name[r["document"]].document_id: r["correct"] for r in records if r["field"] == "total_amount"
    }
    assert totals == {fixed.document_id: True, unfixed.document_id: False}
