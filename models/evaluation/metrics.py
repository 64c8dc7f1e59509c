"""The figures of an evaluation run, computed from scored documents.

- ``field_accuracy``: right fields over checked fields (a missing value is checked and wrong).
- ``straight_through``: share of documents that ended ``done``.
- ``done_precision``: share of ``done`` documents whose checked essential fields are all
  right: how far ``done`` can be trusted. Documents whose truth checks no essential field
  say nothing either way and are left out; None when no document is ``done``.
- ``review_recall``: share of documents with a wrong or missing essential field that did
  not end ``done`` (a person was asked to look); None when no document has one.
- ``calibration`` and ``ece``: see ``models.evaluation.calibration``. Only values the
  extraction has and gives a confidence for are binned; values with unknown confidence are
  counted in ``unknown_confidence``, missing values in ``missing_values``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from models.evaluation.calibration import (
    DEFAULT_BINS,
    CalibrationBin,
    calibration_table,
    expected_calibration_error,
)
from models.evaluation.scoring import DocumentScore

DONE = "done"
# Cost per page kept to 1e-10 USD: finer than any price list, short enough to read.
PER_PAGE_QUANTUM = Decimal("1e-10")


class FieldAccuracy(BaseModel):
    """Accuracy of one field over the documents whose truth gives it."""

    accuracy: float | None
    checked: int
    correct: int
    missing: int


class TableAccuracy(BaseModel):
    """Rows of one table found (recall) and extracted rows that were truth rows (precision)."""

    rows_truth: int
    rows_extracted: int
    rows_matched: int
    recall: float | None
    precision: float | None


class FingerprintCount(BaseModel):
    """A distinct extraction fingerprint and how many documents were stored with it."""

    fingerprint: dict[str, Any] | None
    documents: int


class EvaluationReport(BaseModel):
    """Everything ``folio eval`` reports for one run over a golden set."""

    schema_name: str = Field(serialization_alias="schema")
    paths: list[str] = Field(default_factory=list)
    date_order: str | None = None
    documents: int
    fields_checked: int
    fields_correct: int
    field_accuracy: float | None
    per_field: dict[str, FieldAccuracy]
    essential_field_accuracy: float | None = Field(description="Accuracy over essential fields only.")
    document_accuracy: float | None = Field(
        description="Share of documents (with a checked essential field) with every essential field right."
    )
    statuses: dict[str, int]
    straight_through: float | None
    done_documents: int
    done_precision: float | None
    done_with_essential_errors: int = Field(description="Documents ended done with a wrong essential field.")
    documents_with_essential_errors: int
    review_recall: float | None
    calibration: list[CalibrationBin]
    ece: float | None
    calibrated_fields: int
    unknown_confidence: int
    missing_values: int
    tables: dict[str, TableAccuracy] = Field(default_factory=dict)
    truth_errors: list[str] = Field(default_factory=list)
    unknown_truth_fields: list[str] = Field(default_factory=list)
    engine: str | None
    model: str | None
    fingerprint: dict[str, Any] | None
    fingerprints: list[FingerprintCount]
    engines: dict[str, int]
    cost_usd: Decimal
    pages: int
    cost_per_page_usd: Decimal | None
    wall_s: float | None
    seconds_per_page: float | None

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (``schema`` key; Decimals as fixed-point strings)."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        data["cost_usd"] = format(self.cost_usd, "f")
        data["cost_per_page_usd"] = (
            format(self.cost_per_page_usd, "f") if self.cost_per_page_usd is not None else None
        )
        return data


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _most_common(values: Sequence[Any]) -> Any:
    present = [v for v in values if v is not None]
    return Counter(present).most_common(1)[0][0] if present else None


def summarise(
    scores: Sequence[DocumentScore],
    *,
    schema_name: str,
    paths: Sequence[str] = (),
    date_order: str | None = None,
    wall_s: float | None = None,
    bins: int = DEFAULT_BINS,
) -> EvaluationReport:
    """Aggregate scored documents into the run's figures (see the module docstring)."""
    records = [record for score in scores for record in score.fields]
    per_field: dict[str, FieldAccuracy] = {}
    for name in dict.fromkeys(r.field for r in records):
        mine = [r for r in records if r.field == name]
        right = sum(r.correct for r in mine)
        per_field[name] = FieldAccuracy(
            accuracy=_share(right, len(mine)),
            checked=len(mine),
            correct=right,
            missing=sum(r.missing for r in mine),
        )
    essential = [r for r in records if r.essential]
    judged = [s for s in scores if s.essential_ok is not None]
    done = [s for s in judged if s.stored.status == DONE]
    bad = [s for s in judged if s.essential_ok is False]
    binned = [(r.confidence, r.correct) for r in records if not r.missing and r.confidence is not None]
    table = calibration_table(binned, bins)
    statuses = Counter(s.stored.status for s in scores)
    pages = sum(s.stored.pages or 0 for s in scores)
    cost = sum((s.stored.cost_usd for s in scores), Decimal(0))
    fingerprints = Counter(
        json.dumps(s.stored.fingerprint, sort_keys=True) for s in scores if s.stored.result is not None
    )
    return EvaluationReport(
        schema_name=schema_name,
        paths=list(paths),
        date_order=date_order,
        documents=len(scores),
        fields_checked=len(records),
        fields_correct=sum(r.correct for r in records),
        field_accuracy=_share(sum(r.correct for r in records), len(records)),
        per_field=per_field,
        essential_field_accuracy=_share(sum(r.correct for r in essential), len(essential)),
        document_accuracy=_share(sum(s.essential_ok is True for s in judged), len(judged)),
        statuses=dict(sorted(statuses.items())),
        straight_through=_share(statuses.get(DONE, 0), len(scores)),
        done_documents=statuses.get(DONE, 0),
        done_precision=_share(sum(s.essential_ok is True for s in done), len(done)),
        done_with_essential_errors=sum(s.essential_ok is False for s in done),
        documents_with_essential_errors=len(bad),
        review_recall=_share(sum(s.stored.status != DONE for s in bad), len(bad)),
        calibration=table,
        ece=expected_calibration_error(table),
        calibrated_fields=len(binned),
        unknown_confidence=sum(1 for r in records if not r.missing and r.confidence is None),
        missing_values=sum(r.missing for r in records),
        tables=_tables(scores),
        truth_errors=[f"{s.stored.document}: {e}" for s in scores for e in s.truth_errors],
        unknown_truth_fields=sorted({n for s in scores for n in s.unknown_truth_fields}),
        engine=_most_common([s.stored.engine for s in scores]),
        model=_most_common([s.stored.model for s in scores]),
        fingerprint=json.loads(fingerprints.most_common(1)[0][0]) if fingerprints else None,
        fingerprints=[
            FingerprintCount(fingerprint=json.loads(key), documents=n)
            for key, n in fingerprints.most_common()
        ],
        engines=dict(Counter(s.stored.engine for s in scores if s.stored.engine)),
        cost_usd=cost,
        pages=pages,
        cost_per_page_usd=(cost / pages).quantize(PER_PAGE_QUANTUM) if pages else None,
        wall_s=wall_s,
        seconds_per_page=wall_s / pages if wall_s is not None and pages else None,
    )


def _tables(scores: Sequence[DocumentScore]) -> dict[str, TableAccuracy]:
    out: dict[str, TableAccuracy] = {}
    for name in dict.fromkeys(n for s in scores for n in s.tables):
        mine = [s.tables[name] for s in scores if name in s.tables]
        truth = sum(t.rows_truth for t in mine)
        extracted = sum(t.rows_extracted for t in mine)
        matched = sum(t.rows_matched for t in mine)
        out[name] = TableAccuracy(
            rows_truth=truth,
            rows_extracted=extracted,
            rows_matched=matched,
            recall=_share(matched, truth),
            precision=_share(matched, extracted),
        )
    return out
