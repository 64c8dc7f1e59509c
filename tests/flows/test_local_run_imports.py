"""A local-engine run in a fresh interpreter imports only what it uses: not the llama
engine (its HTTP client and image tiling), numpy, or Prefect (so a cold `folio
process` of one digital PDF within 3 s on 2 cores; bench/cli.py measures it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

pytestmark = pytest.mark.slow  # a child process

_RUN = """
import asyncio, json, sys
from pathlib import Path
from core.settings import Settings
from flows.batch_run import BatchRequest, run_batch

request = BatchRequest(paths=[Path(sys.argv[1])], schema_name="invoice", tenant="default")
[outcome] = asyncio.run(run_batch(Settings(), request))
heavy = ("extractors.llama", "numpy", "httpx", "prefect")
print(json.dumps({"status": str(outcome.status), "imported": [m for m in heavy if m in sys.modules]}))
"""


def test_a_local_run_imports_neither_the_llama_engine_nor_numpy_nor_prefect(tmp_path: Path) -> None:
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(invoice_pdf(make_invoice_truth(7)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(tmp_path / "var"), FOLIO_ENGINE="local")

    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(pdf)], env=env, capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"status": "done", "imported": []}
