"""What changed between two evaluation runs (two saved ``folio eval --json`` outputs).

Works on the JSON as saved, so runs made by older or newer versions of Folio can be
compared: a figure one of them lacks shows as None, never as an error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

# The headline figures, in the order they are shown.
HEADLINE = (
    "documents",
    "fields_checked",
    "field_accuracy",
    "essential_field_accuracy",
    "document_accuracy",
    "straight_through",
    "done_precision",
    "done_with_essential_errors",
    "review_recall",
    "ece",
    "unknown_confidence",
    "missing_values",
    "pages",
    "cost_usd",
    "cost_per_page_usd",
    "wall_s",
    "seconds_per_page",
)


class FigureChange(BaseModel):
    """One figure in run A and run B, and B minus A where both are numbers."""

    name: str
    a: Any
    b: Any
    delta: float | None


class SettingChange(BaseModel):
    """A setting (engine, model, a fingerprint entry) that differs between the runs."""

    name: str
    a: Any
    b: Any


class RunComparison(BaseModel):
    """Headline figures, per-field accuracy, statuses, and what produced each run."""

    headline: list[FigureChange]
    per_field: list[FigureChange]
    statuses: list[FigureChange]
    settings: list[SettingChange]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):  # money is saved as a fixed-point string
        try:
            return float(Decimal(value))
        except InvalidOperation:
            return None
    return None


def _change(name: str, a: Any, b: Any) -> FigureChange:
    x, y = _number(a), _number(b)
    return FigureChange(name=name, a=a, b=b, delta=y - x if x is not None and y is not None else None)


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}"))
        return out
    return {prefix: value}


def _accuracy(run: dict[str, Any], name: str) -> Any:
    entry = (run.get("per_field") or {}).get(name)
    return entry.get("accuracy") if isinstance(entry, dict) else None


def compare_runs(a: dict[str, Any], b: dict[str, Any]) -> RunComparison:
    """Compare run ``a`` (before) with run ``b`` (after); deltas are b - a."""
    fields = list(dict.fromkeys([*(a.get("per_field") or {}), *(b.get("per_field") or {})]))
    statuses = sorted({*(a.get("statuses") or {}), *(b.get("statuses") or {})})
    settings: list[SettingChange] = []
    for key in ("schema", "engine", "model", "date_order"):
        if a.get(key) != b.get(key):
            settings.append(SettingChange(name=key, a=a.get(key), b=b.get(key)))
    flat_a = _flatten(a.get("fingerprint") or {}, "fingerprint")
    flat_b = _flatten(b.get("fingerprint") or {}, "fingerprint")
    for key in sorted({*flat_a, *flat_b}):
        if flat_a.get(key) != flat_b.get(key):
            settings.append(SettingChange(name=key, a=flat_a.get(key), b=flat_b.get(key)))
    mixed_a, mixed_b = len(a.get("fingerprints") or []), len(b.get("fingerprints") or [])
    if mixed_a != mixed_b:
        settings.append(SettingChange(name="distinct fingerprints", a=mixed_a, b=mixed_b))
    return RunComparison(
        headline=[_change(name, a.get(name), b.get(name)) for name in HEADLINE],
        per_field=[_change(name, _accuracy(a, name), _accuracy(b, name)) for name in sorted(fields)],
        statuses=[
            _change(name, (a.get("statuses") or {}).get(name, 0), (b.get("statuses") or {}).get(name, 0))
            for name in statuses
        ],
        settings=settings,
    )
