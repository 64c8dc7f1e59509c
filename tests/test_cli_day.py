"""The real `folio` command as an operator and a script meet it: exit statuses,
user errors in a line or two without a traceback (``--debug`` shows it), JSON Lines that
arrive as files end, reruns of blocked and rejected endings once their cause changed,
``--reprocess`` on batch runs, one document per schema, and a listing that fits 80 columns.

Without ``PREFECT_API_URL`` the command runs the pipeline in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.vllm_server import FakeFaults, FakeVllmServer
from tests.support import hardcases
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

pytestmark = pytest.mark.slow  # child processes

FOLIO = Path(sys.executable).parent / "folio"
# A port nothing listens on (TCP port 1 is reserved: tcpmux).
NOBODY = "127.0.0.1:1"


def _env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(data_dir), FOLIO_ENGINE="local", FOLIO_BATCH_SETTLE_S="0", **extra)
    if database_url is not None:
        env["FOLIO_DATABASE_URL"] = database_url
    return env


def folio(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FOLIO), *args], env=env, capture_output=True, text=True, timeout=300)


def _rows(stdout: str) -> dict[str, dict[str, object]]:
    return {Path(str(r["file"])).name: r for r in map(json.loads, stdout.splitlines())}


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "invoice.pdf"
    path.parent.mkdir()
    path.write_bytes(invoice_pdf(make_invoice_truth(41)))
    return path


def _no_traceback_and_says(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_user_errors_are_short_exit_2_and_debug_shows_the_traceback(tmp_path: Path, invoice: Path) -> None:
    env = _env(tmp_path / "var")
    wrong_status = folio("query", "--status", "finished", env=env)
    assert wrong_status.returncode == 2
    _no_traceback_and_says(wrong_status, "needs_review")  # the choices are listed

    no_database = _env(tmp_path / "var", f"postgresql+psycopg://postgres@{NOBODY}/folio")
    unreachable = folio("process", str(invoice), env=no_database)
    assert unreachable.returncode == 2
    _no_traceback_and_says(unreachable, "database did not answer", "FOLIO_DATABASE_URL")
    assert len(unreachable.stderr.strip().splitlines()) <= 2
    debug = folio("--debug", "process", str(invoice), env=no_database)
    assert debug.returncode != 0 and "Traceback" in debug.stderr

    no_server = folio("process", str(invoice), "--engine", "llama", env=env)
    assert no_server.returncode == 2
    _no_traceback_and_says(no_server, "FOLIO_LLM_BASE_URLS", "--engine local")
    refused = folio(
        "process",
        str(invoice),
        "--engine",
        "llama",
        env={**env, "FOLIO_LLM_BASE_URLS": f"http://{NOBODY}/v1"},
    )
    assert refused.returncode == 2
    _no_traceback_and_says(refused, "no model server answers", NOBODY)
    assert not (tmp_path / "var" / "blobs").exists(), "failed before anything was stored"


def test_help_version_and_exit_statuses(tmp_path: Path, invoice: Path) -> None:
    env = _env(tmp_path / "var")
    helped = folio("-h", env=env)
    assert helped.returncode == 0 and "Exit status" in helped.stdout and "--debug" in helped.stdout
    process_help = folio("process", "-h", env={**env, "COLUMNS": "200"})
    assert "[default: invoice, or FOLIO_DEFAULT_SCHEMA]" in process_help.stdout
    assert "table|json|csv" in process_help.stdout
    version = folio("--version", env=env)
    assert version.returncode == 0 and version.stdout.startswith("folio ")

    assert folio("process", str(invoice), env=env).returncode == 0  # done
    missing = folio("process", str(invoice), str(tmp_path / "nope.pdf"), "--format", "json", env=env)
    assert missing.returncode == 1
    assert _rows(missing.stdout)["nope.pdf"]["reason"] == "no such file"


def test_json_lines_arrive_as_files_end(tmp_path: Path, invoice: Path) -> None:
    env = _env(tmp_path / "var")
    assert folio("process", str(invoice), env=env).returncode == 0
    slow = tmp_path / "in" / "slow.pdf"
    slow.write_bytes(invoice_pdf(make_invoice_truth(42)))
    with FakeVllmServer(faults=FakeFaults(latency_s=4.0)) as fake:
        llama = {
            **env,
            "FOLIO_LLM_BASE_URLS": fake.base_url,
            "FOLIO_LLM_MODEL": fake.model,
            "FOLIO_LICENSEE_COUNTRY": "US",
        }
        child = subprocess.Popen(
            [str(FOLIO), "process", str(invoice), str(slow), "--engine", "llama", "--format", "json"],
            env=llama,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            first = json.loads(child.stdout.readline())
            still_running = child.poll() is None
            rest, stderr = child.communicate(timeout=300)
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    assert Path(str(first["file"])).name == "invoice.pdf" and first["duplicate"] is True
    assert still_running, "the first line came only when the run had ended"
    [second] = map(json.loads, rest.splitlines())
    assert Path(second["file"]).name == "slow.pdf" and second["engine"] == "llama", stderr[-2000:]


def test_a_rejected_file_runs_again_with_its_password(tmp_path: Path, database_url: str) -> None:
    env = _env(tmp_path / "var", database_url)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(hardcases.encrypted_pdf(user_password="s3cret", owner_password="owner"))
    first = folio("process", str(locked), "--format", "json", env=env)
    assert first.returncode == 1
    [row] = _rows(first.stdout).values()
    assert row["status"] == "rejected" and "--password" in str(row["reason"])
    again = _rows(folio("process", str(locked), "--format", "json", env=env).stdout)["locked.pdf"]
    assert again["status"] == "rejected" and again["duplicate"] is True  # nothing changed
    opened = folio("process", str(locked), "--password", "s3cret", "--format", "json", env=env)
    [row2] = _rows(opened.stdout).values()
    assert row2["document_id"] == row["document_id"]
    assert row2["status"] not in ("rejected", "queued") and row2["pages"] == 2, opened.stderr
    # --reprocess runs even a rejected document again (here: without its password, rejected).
    redo = _rows(folio("process", str(locked), "--reprocess", "--format", "json", env=env).stdout)
    assert redo["locked.pdf"]["status"] == "rejected" and redo["locked.pdf"]["duplicate"] is False


@pytest.fixture
def fake() -> Iterator[FakeVllmServer]:
    with FakeVllmServer() as server:
        yield server


def test_a_blocked_document_runs_again_once_the_setting_changed(
    tmp_path: Path, invoice: Path, database_url: str, fake: FakeVllmServer
) -> None:
    env = _env(tmp_path / "var", database_url, FOLIO_LLM_BASE_URLS=fake.base_url, FOLIO_LLM_MODEL=fake.model)
    args = ("process", str(invoice), "--engine", "llama", "--format", "json")
    first = folio(*args, env=env)  # no licensee country: the multimodal model is refused
    assert first.returncode == 1
    blocked = _rows(first.stdout)["invoice.pdf"]
    assert blocked["status"] == "blocked" and "FOLIO_LICENSEE_COUNTRY" in str(blocked["reason"])
    assert _rows(folio(*args, env=env).stdout)["invoice.pdf"]["status"] == "blocked"
    allowed = _rows(folio(*args, env={**env, "FOLIO_LICENSEE_COUNTRY": "US"}).stdout)["invoice.pdf"]
    assert allowed["document_id"] == blocked["document_id"]
    assert allowed["status"] not in ("blocked", "queued") and allowed["engine"] == "llama"


def test_batch_reprocess_and_one_document_per_schema(
    tmp_path: Path, invoice: Path, database_url: str
) -> None:
    env = _env(tmp_path / "var", database_url)
    inbox = invoice.parent
    first = _rows(folio("batch", str(inbox), "--after", "keep", "--format", "json", env=env).stdout)
    assert first["invoice.pdf"]["extraction_version"] == 1
    assert folio("batch", str(inbox), "--after", "keep", "--format", "json", env=env).stdout == ""
    redo = folio("batch", str(inbox), "--after", "keep", "--reprocess", "--format", "json", env=env)
    again = _rows(redo.stdout)["invoice.pdf"]
    assert again["document_id"] == first["invoice.pdf"]["document_id"]
    assert again["extraction_version"] == 2, redo.stderr

    receipt = _rows(folio("process", str(invoice), "--schema", "receipt", "--format", "json", env=env).stdout)
    assert receipt["invoice.pdf"]["document_id"] != first["invoice.pdf"]["document_id"]
    assert receipt["invoice.pdf"]["schema"] == "receipt" and receipt["invoice.pdf"]["duplicate"] is False


def test_the_listing_fits_80_columns_without_splitting_words(tmp_path: Path, invoice: Path) -> None:
    env = {**_env(tmp_path / "var"), "COLUMNS": "80"}
    folder = invoice.parent
    (folder / "a rather long file name for a quarterly statement of accounts.pdf").write_bytes(
        hardcases.corrupt_pdf()
    )
    (folder / "notes.txt").write_text("read like any file, and rejected by its bytes")
    listed = folio("process", str(folder), env=env)
    assert listed.returncode == 1
    lines = listed.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, listed.stdout
    header = next(line for line in lines if line.startswith("file"))
    assert "engine" in header and "dup" in header
    reasons = _rows(folio("process", str(folder), "--format", "json", env=env).stdout)
    words = set(" ".join(lines).split())
    for row in reasons.values():
        for word in str(row["reason"] or "").split():
            assert word in words, f"{word!r} was split: {listed.stdout}"


def test_query_takes_the_api_filters(tmp_path: Path, invoice: Path) -> None:
    env = _env(tmp_path / "var")
    assert folio("process", str(invoice), env=env).returncode == 0
    time.sleep(0.01)
    found = folio("query", "--engine", "local", "--no-review-flags", "--format", "json", env=env)
    assert found.returncode == 0 and len(found.stdout.splitlines()) == 1, found.stderr
    assert folio("query", "--engine", "llama", "--format", "json", env=env).stdout == ""
    assert folio("query", "--tier", "nonesuch", "--format", "csv", env=env).stdout.count("\n") <= 1
