"""Fit an engine's confidence calibration on ``folio eval --records`` files and choose its
done thresholds from cross-validated figures.

    .venv/bin/python -m bench.calibrate var/dev/records-sroie.jsonl var/dev/records-invoices.jsonl \\
        --engine local --out models/data/calibration-local.json

Each file is one record set (one golden set): one JSON line per checked field. Its schema is
the built-in schema whose fields the records name (``SCHEMA=FILE`` says it explicitly, e.g.
for a custom schema). Documents are split into ``--folds`` folds by a hash of their name;
each fold is calibrated by a fit on the others and scored as unseen documents. The printed
lines are, per fold, the calibration error (ECE) before and after and done precision /
straight-through / review recall under the chosen rules; then per schema the two candidate
rules (``min`` and ``product`` of the essential fields' probabilities); then the pooled and
per-set figures. The written calibration is fitted on all documents, carries those figures,
and is versioned by a hash of its content. See docs/calibration.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.calibration import Calibration, DoneRule
from models.calibration_cv import choose_done_rules, cross_validate
from models.calibration_fit import FitOptions, LabelledDocument, documents_from_records, fit_calibration
from models.schemas import BUILTIN_SCHEMAS


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a records file (blank lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def schema_of(records: list[dict[str, Any]]) -> str:
    """The one built-in schema that has every field the records name ("" when not one)."""
    named = {str(r["field"]) for r in records}
    fits = [s.name for s in BUILTIN_SCHEMAS.values() if named <= {f.name for f in s.fields}]
    return fits[0] if len(fits) == 1 else ""


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def _outcome(result: dict[str, Any]) -> str:
    return (
        f"done_precision {_fmt(result['done_precision'])} (expected {_fmt(result.get('expected_precision'))})"
        f" straight_through {_fmt(result['straight_through'])}"
        f" review_recall {_fmt(result['review_recall'])} ({result['done']}/{result['documents']} done)"
    )


def print_figures(calibration: Calibration) -> None:
    """The figures the rules were chosen from, one line each."""
    figures = calibration.figures
    print("fold  docs  values  ece_before  ece_after  done  done_precision  straight_through  review_recall")
    for fold in figures["per_fold"]:
        print(
            f"{fold['fold']:>4}  {fold['documents']:>4}  {fold['values']:>6}  {_fmt(fold['ece_before']):>10}"
            f"  {_fmt(fold['ece_after']):>9}  {fold['done']:>4}  {_fmt(fold['done_precision']):>14}"
            f"  {_fmt(fold['straight_through']):>16}  {_fmt(fold['review_recall']):>13}"
        )
    choices = {**figures["by_schema"], "(default)": figures["default"]}
    rules = {**calibration.done_by_schema, "(default)": calibration.done}
    for schema, chosen in choices.items():
        for name, candidate in chosen["candidates"].items():
            print(
                f"{schema:<9} candidate {name:<7} threshold {candidate['threshold']:.4f}"
                f" reached={candidate['target_reached']} {_outcome(candidate)}"
            )
        rule = rules[schema]
        print(
            f"{schema:<9} chosen: {rule.combine} >= {rule.threshold:.4f}"
            f" (field threshold {rule.field_threshold:.4f})"
        )
    print(
        f"cross-validated (pooled): ece_before {_fmt(figures['ece_before'])}"
        f" ece_after {_fmt(figures['ece_after'])} {_outcome(figures['pooled'])}"
    )
    for name, result in figures["per_set"].items():
        print(f"  set {name}: {_outcome(result)}")
    print(f"version {calibration.version}; {len(calibration.groups)} groups")


def calibrate(
    record_files: Sequence[tuple[str, Path]],
    *,
    engine: str,
    folds: int,
    target: float,
    options: FitOptions,
) -> Calibration:
    """Cross-validate, choose the done rules, and fit the final calibration on everything.
    ``record_files`` are (schema, path) pairs; an empty schema is read off the records."""
    documents: list[LabelledDocument] = []
    inputs: list[dict[str, Any]] = []
    for schema, path in record_files:
        records = read_records(path)
        schema = schema or schema_of(records)
        documents.extend(documents_from_records(records, path.stem, schema=schema))
        inputs.append(
            {
                "file": path.name,
                "schema": schema,
                "records": len(records),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16],
            }
        )

    # Cross-validation only needs the maps; the rule it is given is a placeholder.
    placeholder = DoneRule(threshold=1.0, field_threshold=1.0)

    def fit(training: Sequence[LabelledDocument]) -> Calibration:
        return fit_calibration(training, engine=engine, done=placeholder, options=options)

    cv = cross_validate(documents, folds=folds, fit=fit)
    default, by_schema, figures = choose_done_rules(cv, target=target)
    ece_before, ece_after = cv.pooled_ece()
    figures.update(
        {
            "inputs": inputs,
            "documents": len(documents),
            "values": len(cv.before),
            "ece_before": ece_before,
            "ece_after": ece_after,
            "fit_options": {
                "min_group": options.min_group,
                "min_bin": options.min_bin,
                "prior_strength": options.prior_strength,
                "evidence_tags": list(options.evidence_tags),
            },
        }
    )
    note = (
        f"Fitted by bench/calibrate.py on {len(documents)} labelled documents "
        f"({', '.join(i['file'] for i in inputs)}); done thresholds chosen for cross-validated "
        f"done precision >= {target}. See docs/calibration.md."
    )
    return fit_calibration(
        documents,
        engine=engine,
        done=default,
        done_by_schema=by_schema,
        options=options,
        note=note,
        figures=figures,
    )


def _record_file(text: str) -> tuple[str, Path]:
    schema, sep, path = text.partition("=")
    return (schema, Path(path)) if sep else ("", Path(text))


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit a confidence calibration on folio eval records.")
    parser.add_argument(
        "records", type=_record_file, nargs="+", help="folio eval --records JSONL files ([SCHEMA=]FILE)"
    )
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
    print_figures(calibration)
    if args.out is not None:
        args.out.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
