"""Fitting a :class:`~models.calibration.Calibration` on labelled field values. Pure functions
over plain data; no I/O (``bench/calibrate.py`` reads the records and writes the result;
``models.calibration_cv`` cross-validates and chooses the done rules).

Fitting, per group (see ``models.calibration.group_keys``):

1. pool-adjacent-violators (isotonic regression) over the group's (raw score, right?) pairs,
   so the probability never falls as the raw score rises;
2. adjacent blocks merged until each holds at least ``min_bin`` values, so no point of the
   map rests on a handful of documents;
3. each block's rate shrunk toward its parent group's probability at the same raw score
   with ``prior_strength`` pseudo-values (the global group toward its overall accuracy),
   then made monotone again.

A group with fewer than ``min_group`` values is not stored at all: its fields back off to
the next, coarser group.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from models.calibration import (
    CONFIDENCE_FLAG_CODES,
    GLOBAL_GROUP,
    WITNESS_AGREES,
    Calibration,
    CalibrationGroup,
    DoneRule,
    MonotoneMap,
    flag_code,
    group_keys,
    present_tags,
    raw_from_evidence,
)


@dataclass(frozen=True)
class LabelledValue:
    """One extracted (or missing) value of a labelled document, and whether it was right."""

    field: str
    kind: str
    method: str | None
    evidence: tuple[str, ...]
    flags: tuple[str, ...]
    raw: float | None
    correct: bool
    essential: bool
    present: bool

    @property
    def witnessed(self) -> bool:
        """True when a second witness confirmed a value of unknown confidence."""
        return WITNESS_AGREES in self.flags or WITNESS_AGREES in self.evidence


@dataclass(frozen=True)
class LabelledDocument:
    """A labelled document: its checked values and whether a rule outside confidence
    (a missing field, a failed consistency check, ...) already kept it from ``done``."""

    key: str
    record_set: str
    values: tuple[LabelledValue, ...]
    blocked: bool
    schema: str = ""  # the extraction schema the record set was scored with ("": unknown)

    @property
    def judged(self) -> bool:
        """True when the truth checks at least one essential field (done precision counts it)."""
        return any(v.essential for v in self.values)

    @property
    def right(self) -> bool:
        """True when every checked essential field is right."""
        return all(v.correct for v in self.values if v.essential)


def documents_from_records(
    records: Iterable[dict[str, Any]], record_set: str, *, schema: str = ""
) -> list[LabelledDocument]:
    """Group ``folio eval --records`` lines (one dict per checked field) into documents.

    The raw score is the ``raw_confidence`` evidence of a calibrated run, else the stored
    confidence. A document is blocked when its stored review flags hold any code that does
    not follow from confidence.
    """
    by_document: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_document[str(record["document"])].append(record)
    documents = []
    for name, rows in by_document.items():
        values = []
        for row in rows:
            evidence = tuple(str(e) for e in row.get("evidence") or ())
            present = row.get("value_normalised") is not None
            raw = raw_from_evidence(evidence)
            if raw is None and present and isinstance(row.get("confidence"), int | float):
                raw = float(row["confidence"])
            values.append(
                LabelledValue(
                    field=str(row["field"]),
                    kind=str(row["kind"]),
                    method=row.get("method"),
                    evidence=evidence,
                    flags=tuple(str(f) for f in row.get("flags") or ()),
                    raw=raw if present else None,
                    correct=bool(row["correct"]),
                    essential=bool(row.get("essential")),
                    present=present,
                )
            )
        flags = rows[0].get("review_flags") or []
        blocked = any(flag_code(str(f)) not in CONFIDENCE_FLAG_CODES for f in flags)
        documents.append(LabelledDocument(name, record_set, tuple(values), blocked, schema))
    return documents


# --- isotonic fit ----------------------------------------------------------------------


@dataclass
class _Block:
    """A run of sorted raw scores pooled into one rate."""

    weight: float
    x_sum: float
    y_sum: float

    @property
    def x(self) -> float:
        return self.x_sum / self.weight

    @property
    def y(self) -> float:
        return self.y_sum / self.weight

    def absorb(self, other: _Block) -> None:
        self.weight += other.weight
        self.x_sum += other.x_sum
        self.y_sum += other.y_sum


def _pool_adjacent_violators(blocks: list[_Block]) -> list[_Block]:
    """Blocks (sorted by x) merged until their rates never decrease."""
    stack: list[_Block] = []
    for block in blocks:
        stack.append(_Block(block.weight, block.x_sum, block.y_sum))
        while len(stack) > 1 and stack[-2].y > stack[-1].y:
            top = stack.pop()
            stack[-1].absorb(top)
    return stack


def _merge_small(blocks: list[_Block], min_count: float) -> list[_Block]:
    """Adjacent blocks merged until each holds ``min_count`` (a short tail joins the last)."""
    merged: list[_Block] = []
    current: _Block | None = None
    for block in blocks:
        if current is None:
            current = _Block(block.weight, block.x_sum, block.y_sum)
        else:
            current.absorb(block)
        if current.weight >= min_count:
            merged.append(current)
            current = None
    if current is not None:
        if merged:
            merged[-1].absorb(current)
        else:
            merged.append(current)
    return merged


def fit_monotone_map(
    pairs: Sequence[tuple[float, bool]],
    prior: Callable[[float], float],
    *,
    min_bin: int,
    prior_strength: float,
) -> MonotoneMap:
    """An isotonic map for (raw, right?) ``pairs``, shrunk toward ``prior`` (see module doc)."""
    if not pairs:
        raise ValueError("cannot fit a map on no values")
    by_raw: dict[float, list[bool]] = defaultdict(list)
    for raw, right in pairs:
        by_raw[raw].append(right)
    blocks = [_Block(len(v), x * len(v), float(sum(v))) for x, v in sorted(by_raw.items())]
    blocks = _merge_small(_pool_adjacent_violators(blocks), min_bin)
    smoothed = [
        _Block(
            b.weight + prior_strength,
            b.x * (b.weight + prior_strength),
            b.y_sum + prior_strength * prior(b.x),
        )
        for b in blocks
    ]
    final = _pool_adjacent_violators(smoothed)
    return MonotoneMap(
        raw=tuple(round(b.x, 4) for b in final),
        probability=tuple(round(min(1.0, max(0.0, b.y)), 4) for b in final),
        seen_from=math.floor(min(raw for raw, _ in pairs) * 10_000) / 10_000,
    )


def _level(key: str) -> int:
    """Fitting order: coarse groups first, so each finer one has its prior."""
    if key == GLOBAL_GROUP:
        return 0
    if "|" not in key:
        return 1
    return (2 if key.startswith("kind=") else 4) + int("|tags=" in key)


@dataclass(frozen=True)
class FitOptions:
    """How cautious the fit is with small samples."""

    min_group: int = 40
    min_bin: int = 20
    prior_strength: float = 10.0
    evidence_tags: tuple[str, ...] = ()


def _constant(value: float) -> Callable[[float], float]:
    return lambda _raw: value


def fit_calibration(
    documents: Sequence[LabelledDocument],
    *,
    engine: str,
    done: DoneRule,
    done_by_schema: dict[str, DoneRule] | None = None,
    options: FitOptions = FitOptions(),
    note: str = "",
    figures: dict[str, Any] | None = None,
) -> Calibration:
    """A calibration fitted on the present, scored values of ``documents`` (versioned by content)."""
    values = [v for d in documents for v in d.values if v.present and v.raw is not None]
    if not values:
        raise ValueError("no labelled values with a confidence to fit on")
    by_key: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    # A key's coarser groups, nearest first: the same for every value in it (a field has
    # one kind), so the first value's chain serves as the key's prior chain.
    coarser: dict[str, list[str]] = {}
    for value in values:
        tags = present_tags(value.evidence, options.evidence_tags) if options.evidence_tags else None
        keys = group_keys(field=value.field, kind=value.kind, method=value.method, tags=tags)
        for i, key in enumerate(keys):
            by_key[key].append((value.raw, value.correct))  # type: ignore[arg-type]
            coarser.setdefault(key, keys[i + 1 :])
    groups: dict[str, CalibrationGroup] = {}
    for key in sorted(by_key, key=lambda k: (_level(k), k)):
        pairs = by_key[key]
        if key != GLOBAL_GROUP and len(pairs) < options.min_group:
            continue
        accuracy = sum(right for _, right in pairs) / len(pairs)
        parent = next((groups[p] for p in coarser[key] if p in groups), None)
        prior: Callable[[float], float] = parent.map if parent is not None else _constant(accuracy)
        groups[key] = CalibrationGroup(
            count=len(pairs),
            accuracy=round(accuracy, 4),
            map=fit_monotone_map(
                pairs, prior, min_bin=options.min_bin, prior_strength=options.prior_strength
            ),
        )
    calibration = Calibration(
        engine=engine,
        version="unversioned",
        fitted=True,
        note=note,
        evidence_tags=options.evidence_tags,
        groups=groups,
        rare_methods="raw",
        done=done,
        done_by_schema=done_by_schema or {},
        figures=figures or {},
    )
    return calibration.with_content_version()
