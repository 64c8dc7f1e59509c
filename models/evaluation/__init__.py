"""Measuring extraction against golden sets: truth normalisation, typed comparison, scoring,
metrics, calibration and run comparison. Pure functions over plain data; no I/O.

``flows.evaluation`` runs a golden set through the pipeline and feeds the stored results in;
the done-rule and calibration work reads the same ``FieldRecord`` objects.
"""

from models.evaluation.calibration import CalibrationBin, calibration_table, expected_calibration_error
from models.evaluation.metrics import EvaluationReport, FieldAccuracy, summarise
from models.evaluation.rules import Rule, Verdict, compare, normalise_truth, rule_for
from models.evaluation.runs import RunComparison, compare_runs
from models.evaluation.scoring import DocumentScore, FieldRecord, StoredDocument, score_document
from models.evaluation.tables import TableScore, score_table
from models.evaluation.truth import (
    DateOrder,
    TruthValueError,
    compact_text,
    parse_amount,
    parse_date,
    text_tokens,
)

__all__ = [
    "CalibrationBin",
    "DateOrder",
    "DocumentScore",
    "EvaluationReport",
    "FieldAccuracy",
    "FieldRecord",
    "Rule",
    "RunComparison",
    "StoredDocument",
    "TableScore",
    "TruthValueError",
    "Verdict",
    "calibration_table",
    "compact_text",
    "compare",
    "compare_runs",
    "expected_calibration_error",
    "normalise_truth",
    "parse_amount",
    "parse_date",
    "rule_for",
    "score_document",
    "score_table",
    "summarise",
    "text_tokens",
]
