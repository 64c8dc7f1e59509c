"""Cross-validating a calibration and choosing the done rules from held-out figures. Pure
functions over plain data; no I/O.

Documents are split into folds by a hash of their name; each fold is calibrated by a fit on
the other folds and scored as unseen documents. On those out-of-fold probabilities the
threshold is the lowest at which done precision reaches the target in every record set
(golden set) at once, for both ways of combining the essential fields (``min`` and
``product``); the way that leaves more documents ``done`` wins (``min`` on a tie). Each
schema the record sets were scored with gets its own rule (chosen on its own sets); any
other schema gets the rule chosen over all sets at once.

Documents are counted as ``folio eval`` counts them: every document for straight-through,
documents whose truth checks an essential field for precision and recall.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from models.calibration import Calibration, DoneRule, combine_probabilities
from models.calibration_fit import LabelledDocument
from models.evaluation.calibration import calibration_table, expected_calibration_error

Combine = Literal["min", "product"]
COMBINES: tuple[Combine, ...] = ("min", "product")


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
    # Sum over the judged done documents of the held-out probability that all their essential
    # fields are right (the product): what the calibration expects done precision to be.
    done_expected: float = 0.0

    @property
    def done_precision(self) -> float | None:
        return self.done_right / self.done_judged if self.done_judged else None

    @property
    def expected_precision(self) -> float | None:
        """The done precision the held-out probabilities predict (less noisy than counting a
        few documents, and it holds for the final fit's scores too)."""
        return self.done_expected / self.done_judged if self.done_judged else None

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
            "expected_precision": _round(self.expected_precision),
            "straight_through": _round(self.straight_through),
            "review_recall": _round(self.review_recall),
        }


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _tally(judged: Iterable[tuple[Scored, bool]]) -> Outcome:
    """Count (document, ended done?) pairs."""
    documents = done = done_judged = done_right = bad = bad_reviewed = 0
    expected = 0.0
    for item, is_done in judged:
        document = item.document
        documents += 1
        done += is_done
        if not document.judged:
            continue
        if is_done:
            done_judged += 1
            done_right += document.right
            expected += item.scores["product"] or 0.0
        elif not document.right:
            bad_reviewed += 1
        bad += not document.right
    return Outcome(documents, done, done_judged, done_right, bad, bad_reviewed, expected)


def _is_done(item: Scored, how: Combine, threshold: float) -> bool:
    score = item.scores[how]
    return score is not None and score >= threshold


def outcome(scored: Iterable[Scored], how: Combine, threshold: float) -> Outcome:
    """What the done rule (``how`` >= ``threshold``) makes of ``scored`` documents."""
    return _tally((item, _is_done(item, how, threshold)) for item in scored)


def outcome_under(scored: Iterable[Scored], rule_for: Callable[[LabelledDocument], DoneRule]) -> Outcome:
    """``outcome`` with each document judged by its own schema's rule."""
    judged = []
    for item in scored:
        rule = rule_for(item.document)
        judged.append((item, _is_done(item, rule.combine, rule.threshold)))
    return _tally(judged)


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


# Of the documents with a wrong essential field, the share a done rule must send to review
# in every record set (a set without such documents passes).
REVIEW_RECALL = 0.9


def choose_threshold(
    scored: Sequence[Scored], how: Combine, target: float, *, recall: float = REVIEW_RECALL
) -> tuple[float, bool]:
    """The lowest threshold at which, in every record set, both the counted done precision
    and the one the held-out probabilities predict reach ``target`` (a set with no ``done``
    document passes), and at least ``recall`` of the documents with a wrong essential field
    end in review; (1.0, False) when none does.

    Counting alone is not enough: with a handful of documents above a threshold, all of them
    right by luck, a threshold far too low would pass, and the final fit (on all documents)
    scores them a little differently from the fold fits that chose it. Precision alone is
    not enough either: where most documents are right, one wrong document in forty done
    still reads 0.975, while it is one in six of the wrong documents let through.
    """
    sets: dict[str, list[Scored]] = defaultdict(list)
    for item in scored:
        sets[item.document.record_set].append(item)
    candidates = sorted({s for item in scored if (s := item.scores[how]) is not None})
    for threshold in candidates:
        results = [outcome(items, how, threshold) for items in sets.values()]
        if all(
            _meets(r.done_precision, target)
            and _meets(r.expected_precision, target)
            and _meets(r.review_recall, recall)
            for r in results
        ):
            return threshold, True
    return 1.0, False


def _meets(value: float | None, target: float) -> bool:
    return value is None or value >= target


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
        # Exact, not rounded: a threshold rounded up would turn away the very documents it
        # was chosen to let through.
        threshold=chosen[how][0],
        field_threshold=chosen["min"][0],
        target_precision=target,
    )
    figures = {
        "target_reached": chosen[how][1],
        "candidates": {
            name: {"threshold": t, "target_reached": ok, **result.as_dict()}
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
