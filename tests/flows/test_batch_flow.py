"""The ``batch-ingest`` Prefect flow: the same ingest as ``run_batch_ingest``, with a table
artifact of the documents and a progress artifact, read back from the Prefect API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from uuid import UUID

import pytest

from core.settings import Settings
from tests.support.documents import broken_pdf, invoice_pdf
from tests.support.truth import make_invoice_truth

pytestmark = [
    pytest.mark.usefixtures("prefect_server"),
    # Prefect's own API client leaves a socket to its test server for the GC to close.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]


async def _artifacts(flow_run_id: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]))
        )


def test_batch_flow_creates_a_table_and_a_progress_artifact(db_settings: Settings, tmp_path: Path):
    from flows.process import batch_ingest

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    truths = [make_invoice_truth(81), make_invoice_truth(82)]
    for i, truth in enumerate(truths):
        (inbox / f"inv-{i}.pdf").write_bytes(invoice_pdf(truth))
    (inbox / "broken.pdf").write_bytes(broken_pdf())
    settings = db_settings.replace(batch={"settle_s": 0.0})

    result = asyncio.run(
        batch_ingest(inbox=str(inbox), schema_name="invoice", tenant="acme", settings=settings)
    )

    assert result.registered == 3 and result.processed == 3
    assert result.flow_run_id is not None
    artifacts = asyncio.run(_artifacts(result.flow_run_id))
    tables = [a for a in artifacts if a.type == "table"]
    progress = [a for a in artifacts if a.type == "progress"]
    assert len(tables) == 1 and len(progress) == 1
    data = tables[0].data
    rows = {row["file"]: row for row in (json.loads(data) if isinstance(data, str) else data)}
    assert set(rows) == {"inv-0.pdf", "inv-1.pdf", "broken.pdf"}
    assert rows["broken.pdf"]["status"] == "rejected" and rows["broken.pdf"]["reason"]
    for name in ("inv-0.pdf", "inv-1.pdf"):
        assert rows[name]["status"] in ("done", "needs_review") and rows[name]["pages"] == 1
        assert rows[name]["document_id"]
    assert float(progress[0].data) == 100.0
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["inv-0.pdf", "inv-1.pdf"]
