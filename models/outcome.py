"""How a document (and each input file) ended: one typed outcome, built once from the stored
document (``flows.results.load_outcome``) and rendered by the CLI, the API, batch artifacts
and callbacks; and how a batch run ended, in counts (``BatchReport``). The renderers here are
pure: they shape JSON, they never read or write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from models.document import DocumentStatus
from models.extraction import DocumentExtraction

# An input entry that was not read (hidden, a link, a special file, or not reached before a
# stop): it has no document, so its status is not a document status.
SKIPPED: Final = "skipped"
FileStatus = DocumentStatus | Literal["skipped"]

# A rendered row or event: JSON-ready except for Decimal amounts, which each caller writes
# in its own way (a float in `folio process --json`, an exact string elsewhere).
Rendered = dict[str, object]


class PolicyRecord(BaseModel):
    """The policy decision and quote recorded for a document (cost and licence)."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    decision: str | None
    reason: str | None
    model_licence: str | None
    attribution: str | None
    licence_reference: str | None
    quoted_tokens: int | None
    quoted_cost_usd: Decimal | None
    price_version: str | None


class Timings(BaseModel):
    """When the document moved through the pipeline (UTC)."""

    model_config = ConfigDict(frozen=True)

    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def processing_seconds(self) -> float | None:
        """finished_at - started_at, when both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class DocumentOutcome(BaseModel):
    """One stored document as the outside world sees it."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    sha256: str
    file_name: str
    media_type: str
    size_bytes: int
    status: DocumentStatus
    reason: str | None
    error_code: str | None
    schema_name: str
    engine: str | None
    model: str | None
    pages: int | None
    cost_usd: Decimal
    licence_tier: str
    attempts: int
    callback_url: str | None
    timings: Timings
    # The current extraction and its version; None when there is none (or it was not loaded).
    extraction: DocumentExtraction | None = None
    extraction_version: int | None = None
    # The policy decision and quote; None when not loaded.
    policy: PolicyRecord | None = None

    def summary(self) -> Rendered:
        """Status, reason, field values (tables as row lists), confidences, cost and tier."""
        extraction = self.extraction
        return {
            "document_id": self.document_id,
            "sha256": self.sha256,
            "status": self.status,
            "reason": self.reason,
            "schema": self.schema_name,
            "engine": self.engine,
            "model": self.model,
            "pages": self.pages,
            "fields": extraction.values() if extraction else {},
            # None: unknown (never a default)
            "confidence": {
                name: None if f.confidence is None else round(f.confidence, 3)
                for name, f in (extraction.fields.items() if extraction else ())
            },
            "review_flags": list(extraction.review_flags) if extraction else [],
            "cost_usd": self.cost_usd,
            "licence_tier": self.licence_tier,
            "extraction_version": self.extraction_version,
        }

    def detail(self) -> Rendered:
        """``summary`` plus the file name, each field's evidence and the full tables."""
        extraction = self.extraction
        evidence: Rendered = {}
        tables: Rendered = {}
        if extraction is not None:
            evidence = {name: f.model_dump(mode="json") for name, f in extraction.fields.items()}
            tables = {
                name: [{col: cell.model_dump(mode="json") for col, cell in row.items()} for row in rows]
                for name, rows in extraction.tables.items()
            }
        return {**self.summary(), "file_name": self.file_name, "evidence": evidence, "tables": tables}

    def policy_fields(self) -> Rendered:
        """The policy decision and quote under the names ``folio process --json`` prints."""
        policy = self.policy
        if policy is None:
            return {}
        return {
            "tenant": policy.tenant,
            "policy_decision": policy.decision,
            "policy_reason": policy.reason,
            "model_licence": policy.model_licence,
            "attribution": policy.attribution,
            "licence_reference": policy.licence_reference,
            "quoted_tokens": policy.quoted_tokens,
            "quoted_cost_usd": policy.quoted_cost_usd,
            "price_version": policy.price_version,
        }

    def callback_event(self, event: str) -> Rendered:
        """The JSON body of a final-status callback."""
        finished = self.timings.finished_at
        return {
            "event": event,
            "document_id": self.document_id,
            "status": self.status.value,
            "reason": self.reason,
            "error_code": self.error_code,
            "schema": self.schema_name,
            "cost_usd": str(self.cost_usd),
            "finished_at": finished.isoformat() if finished else None,
        }


class FileOutcome(BaseModel):
    """Where one input file ended: its document's outcome, or why it never became one."""

    model_config = ConfigDict(frozen=True)

    file: str  # as the caller named it (a path, or the file's location in a batch source)
    status: FileStatus
    reason: str | None
    document: DocumentOutcome | None = None
    duplicate: bool = False  # the same bytes were already a document (not processed again)
    skipped: str | None = None  # why the entry was not read: hidden, link, special, stopped, ...
    schema_name: str | None = None  # the schema asked for, on a file that has no document

    @classmethod
    def of_document(
        cls, file: str, document: DocumentOutcome, *, duplicate: bool, reason: str | None = None
    ) -> FileOutcome:
        """A file that is a document (``reason``: in place of the document's own)."""
        return cls(
            file=file,
            status=document.status,
            reason=reason or document.reason,
            document=document,
            duplicate=duplicate,
        )

    @property
    def is_final(self) -> bool:
        """The file reached a final status (an entry not read never does)."""
        return self.status != SKIPPED and DocumentStatus(self.status).is_final

    @property
    def document_id(self) -> str | None:
        return self.document.document_id if self.document else None

    @property
    def pages(self) -> int | None:
        return self.document.pages if self.document else None

    @property
    def cost_usd(self) -> Decimal:
        return self.document.cost_usd if self.document else Decimal(0)

    def row(self) -> Rendered:
        """The file as one JSON object: ``folio process --json`` and ``folio batch --json``."""
        if self.document is None:
            row: Rendered = {
                "file": self.file,
                "document_id": None,
                "status": self.status,
                "reason": self.reason,
            }
            if self.skipped is not None:
                row["skipped"] = self.skipped
            if self.schema_name is not None:
                row["schema"] = self.schema_name
            return row
        return {
            "file": self.file,
            **self.document.summary(),
            "status": self.status,
            "reason": self.reason,
            **self.document.policy_fields(),
            "duplicate": self.duplicate,
        }


class BatchReport(BaseModel):
    """How a batch run ended, in counts: the ``batch-ingest`` flow's return value (``folio
    batch`` prints it in one line; ``model_dump(mode="json")`` writes the cost as an exact
    string)."""

    model_config = ConfigDict(frozen=True)

    source: str
    files_seen: int
    registered: int  # new files registered by this run
    resumed: int  # files registered by an earlier run and finished by this one
    skipped_known: int  # ended in an earlier run
    skipped_unsettled: int  # still being written, or changed after the scan
    skipped: dict[str, int]  # entries not read, by kind
    stopped: str | None  # the signal that stopped the run before it ended
    processed: int  # documents this run brought to a final status
    by_status: dict[str, int]  # files per final (or current) document status
    pages: int
    cost_usd: Decimal
    elapsed_s: float
    flow_run_id: str | None = None  # the batch-ingest flow run's id (None outside the flow)
