"""Fitting a :class:`~models.calibration.Calibration` on labelled field values, and choosing
the done threshold from cross-validated figures. Pure functions over plain data; no I/O
(``bench/calibrate.py`` reads the records and writes the result).

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

Choosing the done rule: documents are split into ``folds`` by a hash of their name; each
fold is calibrated by a fit on the other folds. On those out-of-fold probabilities the
threshold is the lowest at which done precision reaches ``target`` in every record set
(golden set) at once, for both ways of combining the essential fields (``min`` and
``product``); the way that leaves more documents ``done`` wins (``min`` on a tie). Each
schema the record sets were scored with gets its own rule (chosen on its own sets); any
other schema gets the rule chosen over all sets at once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from models.calibration import (
    CONFIDENCE_FLAG_CODES,
    GLOBAL_GROUP,
    Calibration,
    CalibrationGroup,
    DoneRule,
    MonotoneMap,
    combine_probabilities,
    flag_code,
    group_keys,
    present_tags,
    raw_from_evidence,
)
from models.evaluation.calibration import calibration_table, expected_calibration_error

Combine = Literal["min", "product"]
COMBINES: tuple[Combine, ...] = ("min", "product")
WITNESS_AGREES = "witness:agrees"


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
        done=done,
        done_by_schema=done_by_schema or {},
        figures=figures or {},
    )
    return calibration.with_content_version()


# --- cross-validation and the done threshold ------------------------------------------


def fold_of(document: LabelledDocument, folds: int) -> int:
    """The document's fold: a stable hash of its set and name (order of records irrelevant)."""
    digest = hashlib.sha256(f"{document.record_set}\0{document.key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % folds


@dataclass
class Scored:
    """A held-out document with its combined essential-field probabilities (None: it cannot
    end ``done`` whatever the threshold: blocked, an essential field missing or unknown)."""

    document: LabelledDocument
    fold: int
    scores: dict[str, float | None]


def document_scores(document: LabelledDocument, calibration: Calibration) -> dict[str, float | None]:
    """The essential fields' calibrated probabilities combined both ways (``min``, ``product``)."""
    blank: dict[str, float | None] = {"min": None, "product": None}
    essential = [v for v in document.values if v.essential]
    if document.blocked or not essential:
        return blank
    probabilities = []
    for value in essential:
        if not value.present:
            return blank
        if value.raw is None:
            if value.witnessed:
                continue  # unknown confidence with a second witness: it clears, adds nothing
            return blank
        probabilities.append(
            calibration.probability(
                value.raw, field=value.field, kind=value.kind, method=value.method, evidence=value.evidence
            )
        )
    return {how: combine_probabilities(probabilities, how) for how in COMBINES}


@dataclass
class Outcome:
    """Done precision, straight-through and review recall of some documents at a threshold."""

    documents: int
    done: int
    done_judged: int
    done_right: int
    bad: int
    bad_reviewed: int

    @property
    def done_precision(self) -> float | None:
        return self.done_right / self.done_judged if self.done_judged else None

    @property
    def straight_through(self) -> float | None:
        return self.done / self.documents if self.documents else None

    @property
    def review_recall(self) -> float | None:
        return self.bad_reviewed / self.bad if self.bad else None

    def as_dict(self) -> dict[str, Any]:
        """The figures, rounded for reading."""
        return {
            "documents": self.documents,
            "done": self.done,
            "done_precision": _round(self.done_precision),
            "straight_through": _round(self.straight_through),
            "review_recall": _round(self.review_recall),
        }


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def outcome(scored: Iterable[Scored], how: Combine, threshold: float) -> Outcome:
    """What the done rule (``how`` >= ``threshold``) makes of ``scored`` documents.

    As ``folio eval`` counts them: every document for straight-through, documents whose
    truth checks an essential field for precision and recall.
    """
    documents = done = done_judged = done_right = bad = bad_reviewed = 0
    for item in scored:
        documents += 1
        score = item.scores[how]
        is_done = score is not None and score >= threshold
        done += is_done
        if not item.document.judged:
            continue
        if is_done:
            done_judged += 1
            done_right += item.document.right
        elif not item.document.right:
            bad_reviewed += 1
        bad += not item.document.right
    return Outcome(documents, done, done_judged, done_right, bad, bad_reviewed)


def _ece(pairs: list[tuple[float, bool]]) -> float | None:
    value = expected_calibration_error(calibration_table(pairs))
    return _round(value)


@dataclass
class CrossValidation:
    """Out-of-fold scores of every document, and each fold's calibration error before/after."""

    folds: int
    scored: list[Scored]
    ece: list[dict[str, Any]] = field(default_factory=list)
    # Every held-out value's (raw score, right?) and (calibrated probability, right?).
    before: list[tuple[float, bool]] = field(default_factory=list)
    after: list[tuple[float, bool]] = field(default_factory=list)

    def pooled_ece(self) -> tuple[float | None, float | None]:
        """ECE of all held-out values together, before and after calibration."""
        return _ece(self.before), _ece(self.after)


def cross_validate(
    documents: Sequence[LabelledDocument],
    *,
    folds: int,
    fit: Callable[[Sequence[LabelledDocument]], Calibration],
) -> CrossValidation:
    """Calibrate each fold with a fit on the others; keep the held-out scores and ECEs."""
    if folds < 2:
        raise ValueError("cross-validation needs at least two folds")
    result = CrossValidation(folds=folds, scored=[])
    for k in range(folds):
        held_out = [d for d in documents if fold_of(d, folds) == k]
        training = [d for d in documents if fold_of(d, folds) != k]
        if not held_out or not training:
            continue
        calibration = fit(training)
        before: list[tuple[float, bool]] = []
        after: list[tuple[float, bool]] = []
        for document in held_out:
            result.scored.append(Scored(document, k, document_scores(document, calibration)))
            for v in document.values:
                if v.present and v.raw is not None:
                    before.append((v.raw, v.correct))
                    p = calibration.probability(
                        v.raw, field=v.field, kind=v.kind, method=v.method, evidence=v.evidence
                    )
                    after.append((p, v.correct))
        result.before.extend(before)
        result.after.extend(after)
        result.ece.append(
            {
                "fold": k,
                "documents": len(held_out),
                "values": len(before),
                "ece_before": _ece(before),
                "ece_after": _ece(after),
            }
        )
    return result


def choose_threshold(scored: Sequence[Scored], how: Combine, target: float) -> tuple[float, bool]:
    """The lowest threshold at which done precision reaches ``target`` in every record set
    (a set with no ``done`` document passes); (1.0, False) when none does."""
    sets: dict[str, list[Scored]] = defaultdict(list)
    for item in scored:
        sets[item.document.record_set].append(item)
    candidates = sorted({s for item in scored if (s := item.scores[how]) is not None})
    for threshold in candidates:
        precisions = [outcome(items, how, threshold).done_precision for items in sets.values()]
        if all(p is None or p >= target for p in precisions):
            return threshold, True
    return 1.0, False


def _is_done(item: Scored, rule: DoneRule) -> bool:
    score = item.scores[rule.combine]
    return score is not None and score >= rule.threshold


def outcome_under(scored: Iterable[Scored], rule_for: Callable[[LabelledDocument], DoneRule]) -> Outcome:
    """``outcome`` with each document judged by its own schema's rule."""
    documents = done = done_judged = done_right = bad = bad_reviewed = 0
    for item in scored:
        is_done = _is_done(item, rule_for(item.document))
        documents += 1
        done += is_done
        if not item.document.judged:
            continue
        if is_done:
            done_judged += 1
            done_right += item.document.right
        elif not item.document.right:
            bad_reviewed += 1
        bad += not item.document.right
    return Outcome(documents, done, done_judged, done_right, bad, bad_reviewed)


def choose_rule(scored: Sequence[Scored], *, target: float) -> tuple[DoneRule, dict[str, Any]]:
    """The rule for ``scored``: for ``min`` and for ``product`` the lowest threshold that
    reaches ``target`` in every record set; the one that leaves more documents ``done`` wins
    (``min`` on a tie). Returns it with both candidates' figures."""
    chosen: dict[Combine, tuple[float, bool, Outcome]] = {}
    for way in COMBINES:
        at, ok = choose_threshold(scored, way, target)
        chosen[way] = (at, ok, outcome(scored, way, at))

    def rank(way: Combine) -> tuple[bool, float]:
        _, ok, result = chosen[way]
        return ok, result.straight_through or 0.0

    how: Combine = "product" if rank("product") > rank("min") else "min"
    rule = DoneRule(
        combine=how,
        threshold=round(chosen[how][0], 4),
        field_threshold=round(chosen["min"][0], 4),
        target_precision=target,
    )
    figures = {
        "target_reached": chosen[how][1],
        "candidates": {
            name: {"threshold": round(t, 4), "target_reached": ok, **result.as_dict()}
            for name, (t, ok, result) in chosen.items()
        },
    }
    return rule, figures


def choose_done_rules(
    cv: CrossValidation, *, target: float
) -> tuple[DoneRule, dict[str, DoneRule], dict[str, Any]]:
    """The done rules from the cross-validated scores: one per schema the record sets are of
    (each of its sets at ``target``), and a default for any other schema, chosen over all
    sets at once (the strictest: every set at ``target`` under one threshold). Returns them
    with the figures they were chosen from."""
    default, default_figures = choose_rule(cv.scored, target=target)
    by_schema: dict[str, DoneRule] = {}
    schema_figures: dict[str, Any] = {}
    for schema in sorted({s.document.schema for s in cv.scored if s.document.schema}):
        mine = [s for s in cv.scored if s.document.schema == schema]
        by_schema[schema], schema_figures[schema] = choose_rule(mine, target=target)

    def rule_for(document: LabelledDocument) -> DoneRule:
        return by_schema.get(document.schema, default)

    sets = sorted({s.document.record_set for s in cv.scored})
    figures: dict[str, Any] = {
        "target_precision": target,
        "folds": cv.folds,
        "default": default_figures,
        "by_schema": schema_figures,
        "pooled": outcome_under(cv.scored, rule_for).as_dict(),
        "per_set": {
            name: outcome_under([s for s in cv.scored if s.document.record_set == name], rule_for).as_dict()
            for name in sets
        },
        "per_fold": [
            {**ece, **outcome_under([s for s in cv.scored if s.fold == ece["fold"]], rule_for).as_dict()}
            for ece in cv.ece
        ],
    }
    return default, by_schema, figures
