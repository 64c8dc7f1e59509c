"""Prefect artifacts of a batch run: a progress bar updated as files end, and a table of the
documents (file, status, pages, cost, reason) when the run is over.

Import only after ``flows.runtime.configure_prefect(settings)``.
"""

from __future__ import annotations

import time
from uuid import UUID

from prefect.artifacts import acreate_progress_artifact, acreate_table_artifact, aupdate_progress_artifact

from flows.batch import BatchFileOutcome, BatchProgress, BatchSummary

# Progress updates are API calls: at most one a second (and always the last one).
_UPDATE_EVERY_S = 1.0
# Reasons are cut in the table; the full text is on the document.
_REASON_CHARS = 300


class BatchArtifacts:
    """Creates and updates the artifacts of one batch flow run."""

    def __init__(self, key: str) -> None:
        self.key = key  # lowercase letters, digits and dashes (Prefect's rule for keys)
        self._progress_id: UUID | None = None
        self._last_update = 0.0
        self._last_percent = -1.0

    async def progress(self, progress: BatchProgress) -> None:
        """Create the progress artifact on the first call, then move it (throttled)."""
        total = max(progress.documents_total, 1)
        percent = round(100.0 * progress.documents_done / total, 1)
        if self._progress_id is None:
            self._progress_id = await acreate_progress_artifact(
                progress=percent,
                key=f"{self.key}-progress",
                description=f"Files ended out of {progress.documents_total}",
            )
            self._last_update = time.monotonic()
            self._last_percent = percent
            return
        finished = progress.documents_done >= progress.documents_total
        due = time.monotonic() - self._last_update >= _UPDATE_EVERY_S
        if percent != self._last_percent and (finished or due):
            await aupdate_progress_artifact(artifact_id=self._progress_id, progress=percent)
            self._last_update = time.monotonic()
            self._last_percent = percent

    async def table(self, summary: BatchSummary) -> None:
        """The table of every file of the run with its document's status, pages and cost."""
        rows = [_table_row(outcome) for outcome in summary.outcomes]
        counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "no files"
        await acreate_table_artifact(
            table=rows,
            key=f"{self.key}-documents",
            description=(
                f"Batch of {summary.source}: {counts}; {summary.pages} page(s), ${summary.cost_usd}, "
                f"{summary.elapsed_s:.1f} s"
            ),
        )


def _table_row(outcome: BatchFileOutcome) -> dict[str, str | int | bool]:
    """One file of the run in the documents table."""
    return {
        "file": outcome.key,
        "document_id": outcome.document_id or "",
        "status": str(outcome.status),
        "pages": outcome.pages if outcome.pages is not None else "",
        "cost_usd": str(outcome.cost_usd),
        "duplicate": outcome.duplicate,
        "reason": (outcome.reason or "")[:_REASON_CHARS],
    }
