"""One document of a golden set scored: each truth field compared with the stored extraction.

The inputs are plain data: the truth file's values and what Folio stored for the document
(status, extraction ``result`` JSON, fingerprint, cost). The output keeps everything the
stored extraction says about each checked field (confidence, method, evidence, flags,
source text), so calibration can be fitted on the records without going back to the
database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from models.evaluation.rules import Verdict, compare
from models.evaluation.tables import TableScore, score_table
from models.evaluation.truth import DateOrder, TruthValueError
from models.schemas.spec import ExtractionSchema, FieldKind


class StoredDocument(BaseModel):
    """What Folio stored for one golden-set document after processing it."""

    document: str = Field(description="The file as the golden set names it (path or name).")
    document_id: str | None = None
    status: str
    reason: str | None = None
    pages: int | None = None
    cost_usd: Decimal = Decimal(0)
    engine: str | None = None
    model: str | None = None
    fingerprint: dict[str, Any] | None = None
    result: dict[str, Any] | None = Field(
        None, description="The current extraction's result JSON (a DocumentExtraction)."
    )
    review_flags: list[str] = Field(default_factory=list)


class FieldRecord(BaseModel):
    """One checked field of one document: truth, value, verdict and the extraction's evidence."""

    document: str
    document_id: str | None
    field: str
    kind: str
    rule: str
    essential: bool
    truth: Any = Field(description="The truth as written in the truth file.")
    truth_normalised: str
    value: Any = Field(description="The extracted value as stored (None: missing).")
    value_normalised: str | None
    correct: bool
    note: str | None = None
    confidence: float | None = Field(description="The stored confidence; None when unknown or missing.")
    method: str | None = None
    evidence: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    page: int | None = None
    source_text: str | None = None
    status: str = Field(description="The document's final status.")
    review_flags: list[str] = Field(default_factory=list, description="The document's review flags.")

    @property
    def missing(self) -> bool:
        """True when the extraction has no value for the field."""
        return self.value_normalised is None


class DocumentScore(BaseModel):
    """A scored document: its stored state, its checked fields, and truth it could not read."""

    stored: StoredDocument
    fields: list[FieldRecord] = Field(default_factory=list)
    tables: dict[str, TableScore] = Field(default_factory=dict)
    truth_errors: list[str] = Field(
        default_factory=list, description="Truth values that could not be read (not checked)."
    )
    unknown_truth_fields: list[str] = Field(
        default_factory=list, description="Truth keys that are not fields of the schema (ignored)."
    )

    @property
    def essential_ok(self) -> bool | None:
        """True when every checked essential field is right, False when one is wrong or
        missing, None when the truth checks no essential field."""
        essential = [f for f in self.fields if f.essential]
        if not essential:
            return None
        return all(f.correct for f in essential)


def score_document(
    schema: ExtractionSchema,
    truth: dict[str, Any],
    stored: StoredDocument,
    *,
    order: DateOrder | None = None,
) -> DocumentScore:
    """Compare every field the truth gives (not null) with what was stored for the document.

    A field in the truth but absent from the extraction is checked and wrong; a field absent
    or null in the truth is not checked. Keys starting with ``_`` are the truth file's own
    notes and are skipped.
    """
    kinds = {spec.name: spec for spec in schema.fields}
    result = stored.result or {}
    extracted: dict[str, Any] = result.get("fields") or {}
    score = DocumentScore(stored=stored)
    for name, expected in truth.items():
        if name.startswith("_") or expected is None:
            continue
        spec = kinds.get(name)
        if spec is None:
            score.unknown_truth_fields.append(name)
            continue
        if spec.kind is FieldKind.TABLE:
            if not isinstance(expected, list):
                score.truth_errors.append(f"{name}: {type(expected).__name__} where a list of rows belongs")
                continue
            rows = (result.get("tables") or {}).get(name) or []
            try:
                score.tables[name] = score_table(spec, expected, rows, order=order)
            except TruthValueError as exc:
                score.truth_errors.append(f"{name}: {exc}")
            continue
        found: dict[str, Any] = extracted.get(name) or {}
        try:
            verdict = compare(spec.kind, name, expected, found.get("value"), order)
        except TruthValueError as exc:
            score.truth_errors.append(f"{name}: {exc}")
            continue
        score.fields.append(
            _record(stored, name, spec.kind, name in schema.essential, expected, found, verdict)
        )
    return score


def _record(
    stored: StoredDocument,
    name: str,
    kind: FieldKind,
    essential: bool,
    truth: Any,
    found: dict[str, Any],
    verdict: Verdict,
) -> FieldRecord:
    present = verdict.value is not None
    confidence = found.get("confidence") if present else None
    return FieldRecord(
        document=stored.document,
        document_id=stored.document_id,
        field=name,
        kind=kind.value,
        rule=verdict.rule.value,
        essential=essential,
        truth=truth,
        truth_normalised=verdict.truth,
        value=found.get("value"),
        value_normalised=verdict.value,
        correct=verdict.correct,
        note=verdict.note,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        method=found.get("method"),
        evidence=list(found.get("evidence") or []),
        flags=list(found.get("flags") or []),
        page=found.get("page"),
        source_text=found.get("source_text"),
        status=stored.status,
        review_flags=list(stored.review_flags),
    )
