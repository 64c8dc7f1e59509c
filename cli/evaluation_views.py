"""How ``folio eval`` shows a run: terminal tables (rich) and a Markdown report."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from models.evaluation import DocumentScore, EvaluationReport, RunComparison

# Headline rows: (label, report key, format).
_HEADLINE = (
    ("documents", "documents", "int"),
    ("fields checked", "fields_checked", "int"),
    ("field accuracy", "field_accuracy", "pct"),
    ("essential field accuracy", "essential_field_accuracy", "pct"),
    ("documents with every essential field right", "document_accuracy", "pct"),
    ("straight through (ended done)", "straight_through", "pct"),
    ("done precision", "done_precision", "pct"),
    ("done with a wrong essential field", "done_with_essential_errors", "int"),
    ("review recall", "review_recall", "pct"),
    ("ECE (10 bins)", "ece", "float"),
    ("unknown confidence (values)", "unknown_confidence", "int"),
    ("missing values", "missing_values", "int"),
    ("pages", "pages", "int"),
    ("cost $", "cost_usd", "money"),
    ("cost $ per page", "cost_per_page_usd", "money"),
    ("wall s", "wall_s", "secs"),
    ("s per page", "seconds_per_page", "secs"),
)


def _format(value: Any, style: str) -> str:
    if value is None:
        return "-"
    if style == "pct":
        return f"{float(value):.1%}"
    if style == "float":
        return f"{float(value):.3f}"
    if style == "secs":
        return f"{float(value):.2f}"
    if style == "money":
        return f"{float(value):.6f}"
    return str(value)


def _delta(value: float | None, style: str) -> str:
    if value is None:
        return "-"
    if style == "pct":
        return f"{value * 100:+.1f} pt"
    if style in ("float", "secs", "money"):
        return f"{value:+.4f}"
    return f"{value:+g}"


def _styles() -> dict[str, str]:
    return {key: style for _, key, style in _HEADLINE}


def print_report(console: Console, report: EvaluationReport) -> None:
    """The run's headline figures, per-field accuracy, statuses and calibration as tables."""
    data = report.as_json()
    headline = Table(title=f"folio eval: {report.documents} document(s), schema {report.schema_name}")
    headline.add_column("figure")
    headline.add_column("value", justify="right")
    for label, key, style in _HEADLINE:
        headline.add_row(label, _format(data.get(key), style))
    console.print(headline)
    console.print(
        f"engine {report.engine or '-'}, model {report.model or '-'}, "
        f"{len(report.fingerprints)} distinct fingerprint(s); statuses: "
        + (", ".join(f"{n} {s}" for s, n in report.statuses.items()) or "-")
    )
    fields = Table(title="per field")
    for column in ("field", "accuracy", "right", "checked", "missing"):
        fields.add_column(column, justify="left" if column == "field" else "right")
    for name, entry in report.per_field.items():
        fields.add_row(
            name, _format(entry.accuracy, "pct"), str(entry.correct), str(entry.checked), str(entry.missing)
        )
    for name, table in report.tables.items():
        fields.add_row(
            f"{name} (rows)",
            f"recall {_format(table.recall, 'pct')}, precision {_format(table.precision, 'pct')}",
            str(table.rows_matched),
            str(table.rows_truth),
            "-",
        )
    console.print(fields)
    calibration = Table(title=f"calibration ({report.calibrated_fields} values with a confidence)")
    for column in ("confidence", "count", "mean confidence", "observed accuracy"):
        calibration.add_column(column, justify="right")
    for b in report.calibration:
        calibration.add_row(
            f"{b.lower:.1f}-{b.upper:.1f}",
            str(b.count),
            _format(b.mean_confidence, "float"),
            _format(b.accuracy, "pct"),
        )
    console.print(calibration)
    for problem in report.truth_errors[:20]:
        console.print(f"[yellow]truth not checked:[/yellow] {problem}", soft_wrap=True)
    if len(report.truth_errors) > 20:
        console.print(
            f"[yellow]... and {len(report.truth_errors) - 20} more truth values not checked[/yellow]"
        )


def print_comparison(console: Console, comparison: RunComparison, a: str, b: str) -> None:
    """Two runs side by side: headline, per-field accuracy, statuses, differing settings."""
    styles = _styles()
    labels = {key: label for label, key, _ in _HEADLINE}
    headline = Table(title=f"A = {a}   B = {b}")
    for column in ("figure", "A", "B", "B - A"):
        headline.add_column(column, justify="left" if column == "figure" else "right")
    for change in comparison.headline:
        style = styles.get(change.name, "int")
        headline.add_row(
            labels.get(change.name, change.name),
            _format(change.a, style),
            _format(change.b, style),
            _delta(change.delta, style),
        )
    console.print(headline)
    fields = Table(title="per-field accuracy")
    for column in ("field", "A", "B", "B - A"):
        fields.add_column(column, justify="left" if column == "field" else "right")
    for change in comparison.per_field:
        fields.add_row(
            change.name, _format(change.a, "pct"), _format(change.b, "pct"), _delta(change.delta, "pct")
        )
    console.print(fields)
    statuses = Table(title="statuses")
    for column in ("status", "A", "B", "B - A"):
        statuses.add_column(column, justify="left" if column == "status" else "right")
    for change in comparison.statuses:
        statuses.add_row(change.name, str(change.a), str(change.b), _delta(change.delta, "int"))
    console.print(statuses)
    if not comparison.settings:
        console.print("same schema, engine, model and fingerprint")
        return
    settings = Table(title="what produced them (differences only)")
    for column in ("setting", "A", "B"):
        settings.add_column(column, overflow="fold")
    for setting in comparison.settings:
        settings.add_row(setting.name, str(setting.a), str(setting.b))
    console.print(settings)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def markdown_report(report: EvaluationReport, scores: list[DocumentScore], *, shown_errors: int = 50) -> str:
    """The run as Markdown: figures, per-field accuracy, calibration, and the wrong values
    (those of ``done`` documents first: the ones no person would have looked at)."""
    data = report.as_json()
    out = [
        f"# folio eval: {report.documents} document(s), schema `{report.schema_name}`",
        "",
        f"Golden set: {', '.join(f'`{p}`' for p in report.paths) or '-'}; date order "
        f"{report.date_order or 'not stated'}; engine `{report.engine or '-'}`, model "
        f"`{report.model or '-'}`; {len(report.fingerprints)} distinct fingerprint(s).",
        "",
        "## Figures",
        "",
    ]
    out += _md_table(["figure", "value"], [[label, _format(data.get(k), s)] for label, k, s in _HEADLINE])
    out += ["Statuses: " + (", ".join(f"{n} {s}" for s, n in report.statuses.items()) or "-"), ""]
    out += ["## Per field", ""]
    out += _md_table(
        ["field", "accuracy", "right", "checked", "missing"],
        [
            [f"`{name}`", _format(e.accuracy, "pct"), str(e.correct), str(e.checked), str(e.missing)]
            for name, e in report.per_field.items()
        ],
    )
    if report.tables:
        out += _md_table(
            ["table", "truth rows", "extracted rows", "matched", "recall", "precision"],
            [
                [
                    f"`{name}`",
                    str(t.rows_truth),
                    str(t.rows_extracted),
                    str(t.rows_matched),
                    _format(t.recall, "pct"),
                    _format(t.precision, "pct"),
                ]
                for name, t in report.tables.items()
            ],
        )
    out += ["## Calibration", ""]
    out += _md_table(
        ["confidence", "count", "mean confidence", "observed accuracy"],
        [
            [
                f"{b.lower:.1f}-{b.upper:.1f}",
                str(b.count),
                _format(b.mean_confidence, "float"),
                _format(b.accuracy, "pct"),
            ]
            for b in report.calibration
        ],
    )
    out += [
        f"ECE {_format(report.ece, 'float')} over {report.calibrated_fields} values; "
        f"{report.unknown_confidence} of unknown confidence; {report.missing_values} missing.",
        "",
    ]
    wrong = [r for s in scores for r in s.fields if not r.correct]
    wrong.sort(key=lambda r: (r.status != "done", not r.essential, r.document, r.field))
    out += [f"## Wrong values ({len(wrong)}; `done` documents first)", ""]
    out += _md_table(
        ["document", "status", "field", "truth", "value", "confidence", "method", "note"],
        [
            [
                r.document,
                r.status,
                r.field,
                str(r.truth),
                "(missing)" if r.value is None else str(r.value),
                _format(r.confidence, "float"),
                r.method or "-",
                r.note or "",
            ]
            for r in wrong[:shown_errors]
        ],
    )
    if len(wrong) > shown_errors:
        out += [f"... and {len(wrong) - shown_errors} more (all of them in `--records`).", ""]
    if report.truth_errors:
        out += ["## Truth values not checked", ""] + [f"- {e}" for e in report.truth_errors] + [""]
    return "\n".join(out)
