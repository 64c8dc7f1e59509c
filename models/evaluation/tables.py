"""Tables (line items) scored as rows: a truth row is found when an extracted row has every
cell the truth gives right, by the same rules as single fields.

Rows are matched greedily in the truth's order, each extracted row used once, so a table
read twice or with one row split in two scores its extra rows against precision.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from models.evaluation.rules import compare, normalise_truth, rule_for
from models.evaluation.truth import DateOrder
from models.schemas.spec import FieldSpec


class TableScore(BaseModel):
    """How many truth rows were found among the extracted ones."""

    rows_truth: int
    rows_extracted: int
    rows_matched: int


def _row_matches(
    columns: dict[str, FieldSpec], truth_row: dict[str, Any], row: dict[str, Any], order: DateOrder | None
) -> bool:
    checked = 0
    for column, expected in truth_row.items():
        spec = columns.get(column)
        if spec is None or expected is None:
            continue
        cell = row.get(column) or {}
        if not compare(spec.kind, column, expected, cell.get("value"), order).correct:
            return False
        checked += 1
    return checked > 0


def score_table(
    spec: FieldSpec,
    truth_rows: list[dict[str, Any]],
    extracted_rows: list[dict[str, Any]],
    *,
    order: DateOrder | None = None,
) -> TableScore:
    """Match the truth's rows of table ``spec`` with the extracted rows (cells as stored:
    ``{column: {"value": ..., ...}}``). Raises TruthValueError for an unreadable truth cell."""
    columns = {column.name: column for column in spec.columns}
    for truth_row in truth_rows:  # an unreadable truth cell is an error even with no rows
        for column, expected in truth_row.items() if isinstance(truth_row, dict) else ():
            if column in columns and expected is not None and not isinstance(expected, bool):
                normalise_truth(rule_for(columns[column].kind, column), expected, order)
    unused = list(range(len(extracted_rows)))
    matched = 0
    for truth_row in truth_rows:
        if not isinstance(truth_row, dict):
            continue
        for i in unused:
            if _row_matches(columns, truth_row, extracted_rows[i], order):
                unused.remove(i)
                matched += 1
                break
    return TableScore(
        rows_truth=sum(1 for r in truth_rows if isinstance(r, dict)),
        rows_extracted=len(extracted_rows),
        rows_matched=matched,
    )
