"""Fit an engine's confidence calibration on ``folio eval --records`` files and choose its
done threshold from cross-validated figures.

    .venv/bin/python -m bench.calibrate var/dev/records-sroie.jsonl var/dev/records-invoices.jsonl \\
        --engine local --out models/data/calibration-local.json

Each file is one record set (one golden set): one JSON line per checked field. Documents are
split into ``--folds`` folds by a hash of their name; each fold is calibrated by a fit on the
others and scored as unseen documents. The printed lines are, per fold, the calibration
error (ECE) before and after, and done precision / straight-through / review recall at the
chosen threshold; then the threshold candidates (``min`` and ``product`` of the essential
fields' probabilities) and the pooled and per-set figures. The written calibration is fitted
on all documents, carries those figures, and is versioned by a hash of its content.
See docs/calibration.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.calibration import Calibration, DoneRule
from models.calibration_fit import (
    CrossValidation,
    FitOptions,
    LabelledDocument,
    choose_done_rule,
    cross_validate,
    documents_from_records,
    fit_calibration,
)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a records file (blank lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def _print_figures(figures: dict[str, Any], rule_line: str) -> None:
    print("fold  docs  values  ece_before  ece_after  done  done_precision  straight_through  review_recall")
    for fold in figures["per_fold"]:
        print(
            f"{fold['fold']:>4}  {fold['documents']:>4}  {fold['values']:>6}  {_fmt(fold['ece_before']):>10}"
            f"  {_fmt(fold['ece_after']):>9}  {fold['done']:>4}  {_fmt(fold['done_precision']):>14}"
            f"  {_fmt(fold['straight_through']):>16}  {_fmt(fold['review_recall']):>13}"
        )
    for name, candidate in figures["candidates"].items():
        reached = candidate["target_reached"]
        print(
            f"candidate {name:<7} threshold {candidate['threshold']:.4f} reached={reached}"
            f" done_precision {_fmt(candidate['done_precision'])} straight_through"
            f" {_fmt(candidate['straight_through'])} review_recall {_fmt(candidate['review_recall'])}"
        )
    print(rule_line)
    pooled = figures["pooled"]
    print(
        f"cross-validated (pooled): ece_before {_fmt(figures['ece_before'])}"
        f" ece_after {_fmt(figures['ece_after'])} done_precision {_fmt(pooled['done_precision'])}"
        f" straight_through {_fmt(pooled['straight_through'])}"
        f" review_recall {_fmt(pooled['review_recall'])} ({pooled['done']}/{pooled['documents']} done)"
    )
    for name, result in figures["per_set"].items():
        print(
            f"  set {name}: done_precision {_fmt(result['done_precision'])} straight_through"
            f" {_fmt(result['straight_through'])} review_recall {_fmt(result['review_recall'])}"
            f" ({result['done']}/{result['documents']} done)"
        )


def calibrate(
    record_files: list[Path], *, engine: str, folds: int, target: float, options: FitOptions
) -> Calibration:
    """Cross-validate, choose the done rule, and fit the final calibration on everything."""
    documents: list[LabelledDocument] = []
    inputs: list[dict[str, Any]] = []
    for path in record_files:
        records = read_records(path)
        documents.extend(documents_from_records(records, path.stem))
        inputs.append(
            {
                "file": path.name,
                "records": len(records),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16],
            }
        )

    # Cross-validation only needs the maps; the rule it is given is a placeholder.
    placeholder = DoneRule(threshold=1.0, field_threshold=1.0)

    def fit(training: Sequence[LabelledDocument]) -> Calibration:
        return fit_calibration(training, engine=engine, done=placeholder, options=options)

    cv = cross_validate(documents, folds=folds, fit=fit)
    rule, figures = choose_done_rule(cv, target=target)
    figures.update(
        {
            "inputs": inputs,
            "documents": len(documents),
            "fit_options": {
                "min_group": options.min_group,
                "min_bin": options.min_bin,
                "prior_strength": options.prior_strength,
                "evidence_tags": list(options.evidence_tags),
            },
            "ece_before": _pooled_ece(cv, before_only=True),
            "ece_after": _pooled_ece(cv, before_only=False),
            "values": sum(f["values"] for f in cv.ece),
        }
    )
    note = (
        f"Fitted by bench/calibrate.py on {len(documents)} labelled documents "
        f"({', '.join(i['file'] for i in inputs)}); done threshold chosen for cross-validated "
        f"done precision >= {target}. See docs/calibration.md."
    )
    return fit_calibration(documents, engine=engine, done=rule, options=options, note=note, figures=figures)


def _pooled_ece(cv: CrossValidation, *, before_only: bool) -> float | None:
    """The count-weighted mean of the folds' ECEs (each fold scored by a fit that did not see it)."""
    key = "ece_before" if before_only else "ece_after"
    weighted = [(f["values"], f[key]) for f in cv.ece if f[key] is not None]
    total = sum(n for n, _ in weighted)
    return round(sum(n * e for n, e in weighted) / total, 4) if total else None


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit a confidence calibration on folio eval records.")
    parser.add_argument("records", type=Path, nargs="+", help="folio eval --records JSONL files")
    parser.add_argument("--engine", default="local")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.97, help="cross-validated done precision to reach")
    parser.add_argument("--min-group", type=int, default=FitOptions.min_group)
    parser.add_argument("--min-bin", type=int, default=FitOptions.min_bin)
    parser.add_argument("--prior-strength", type=float, default=FitOptions.prior_strength)
    parser.add_argument(
        "--evidence-tag", action="append", default=[], help="evidence word that refines a method's group"
    )
    parser.add_argument("--out", type=Path, help="write the calibration JSON here")
    args = parser.parse_args()

    options = FitOptions(
        min_group=args.min_group,
        min_bin=args.min_bin,
        prior_strength=args.prior_strength,
        evidence_tags=tuple(args.evidence_tag),
    )
    calibration = calibrate(
        args.records, engine=args.engine, folds=args.folds, target=args.target, options=options
    )
    rule = calibration.done
    _print_figures(
        calibration.figures,
        f"chosen: {rule.combine} of the essential fields' probabilities >= {rule.threshold:.4f}"
        f" (field threshold {rule.field_threshold:.4f}); version {calibration.version};"
        f" {len(calibration.groups)} groups",
    )
    if args.out is not None:
        args.out.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
