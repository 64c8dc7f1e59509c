"""folio eval: score extraction against golden sets, and compare two runs."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.common import EngineChoice, _settings, app, err
from cli.eval_export import EvalCommand
from cli.output import ItemFormat, chosen_format, item_format, json_alias
from core.errors import ConfigurationError
from core.logging import configure_logging
from models.evaluation import DateOrder

if TYPE_CHECKING:  # flows are imported inside the command, after the settings are read
    from core.settings import Settings
    from flows.evaluation import EvaluationOptions, EvaluationRun, GoldenSet


def _usage(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(2)


@app.command("eval", cls=EvalCommand)
def evaluate(
    paths: list[Path] = typer.Argument(
        None, help="Golden sets: folders (or single documents) with NAME.json truth beside each document."
    ),
    schema: str = typer.Option(
        None, "--schema", "-s", help="Extraction schema (default: the golden set's _golden.json)."
    ),
    engine: EngineChoice = typer.Option(
        None, "--engine", "-e", help="auto, local or llama (default: FOLIO_ENGINE)."
    ),
    date_order: DateOrder = typer.Option(
        None,
        "--date-order",
        help="Order of all-numeric truth dates: dmy, mdy or ymd (default: _golden.json's date_order; "
        "without one, a date that reads both ways is not checked).",
    ),
    fmt: ItemFormat = item_format(
        "table, or json: the report as one JSON object on stdout (tables go to stderr)."
    ),
    as_json: bool = json_alias(),
    report_file: Path = typer.Option(None, "--report", help="Also write a Markdown report to this file."),
    records_file: Path = typer.Option(
        None, "--records", help="Write one JSON line per checked field (truth, value, confidence, ...)."
    ),
    database: str = typer.Option(
        None,
        "--database",
        help="Process into this database (SQLAlchemy URL) instead of a scratch one; documents "
        "already processed there are scored as stored unless --reprocess.",
    ),
    reprocess: bool = typer.Option(
        False, "--reprocess", help="With --database: extract again documents already processed there."
    ),
    keep: bool = typer.Option(False, "--keep", help="Keep the scratch data directory (its path is printed)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N documents (sorted by path)."),
    compare: bool = typer.Option(
        False,
        "--compare",
        help="Compare two saved --format json outputs instead of running: "
        "folio eval --compare A.json B.json.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each document's outcome to stderr."),
) -> None:
    """Run golden sets through the pipeline as `folio process` would, and measure the result:
    field accuracy, done precision, review recall, calibration, cost. `folio eval export
    --out DIR` writes reviewed documents as a golden set."""
    as_json = chosen_format(fmt, as_json) is ItemFormat.json
    if compare:
        if len(paths or []) != 2:
            raise _usage(
                "--compare takes two saved --format json outputs: folio eval --compare A.json B.json"
            )
        _compare(paths[0], paths[1], as_json=as_json)
        return
    if not paths:
        raise _usage("give at least one golden-set folder or document (or --compare A.json B.json)")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _usage(f"no such file or folder: {', '.join(missing)}")
    settings = _settings()
    if not verbose:
        configure_logging("WARNING")
    from flows.evaluation import find_golden_set, schema_for_run

    try:
        golden = find_golden_set(paths, date_order=date_order, limit=limit)
    except ConfigurationError as exc:
        raise _usage(str(exc)) from None
    for problem in golden.problems:
        err.print(f"[yellow]skipped:[/yellow] {problem}", soft_wrap=True)
    if not golden.documents:
        found = f" ({len(golden.without_truth)} document(s) without one)" if golden.without_truth else ""
        raise _usage(f"no truth files found: put NAME.json beside each document NAME.*{found}")
    if golden.without_truth:
        err.print(f"{len(golden.without_truth)} document(s) without a truth file: not evaluated")
    schema_name = schema or _manifest_schema(golden)
    lookup = settings.replace(storage={"database_url": database}) if database else settings
    try:
        schema_for_run(lookup, schema_name)
    except ConfigurationError as exc:
        raise _usage(str(exc)) from None
    from flows.runtime import configure_prefect

    configure_prefect(settings)  # Prefect's home stays the user's: its start-up is paid once
    from flows.evaluation import EvaluationOptions

    options = EvaluationOptions(
        engine=engine.value if engine else None,
        database_url=database,
        keep=keep,
        reprocess=reprocess,
        paths=tuple(str(p) for p in paths),
    )
    run = _run(settings, golden, schema_name, options)
    _output(run, as_json=as_json, report_file=report_file, records_file=records_file)


def _manifest_schema(golden: GoldenSet) -> str:
    names = {d.schema_name for d in golden.documents}
    if len(names) == 1 and None not in names:
        return str(names.pop())
    raise _usage('give --schema (or "schema" in the golden set\'s _golden.json)')


def _run(
    settings: Settings, golden: GoldenSet, schema_name: str, options: EvaluationOptions
) -> EvaluationRun:
    from flows.evaluation import evaluate_golden_set

    def start(on_progress: Any) -> EvaluationRun:
        return asyncio.run(
            evaluate_golden_set(
                settings, golden, schema_name=schema_name, options=options, on_progress=on_progress
            )
        )

    try:
        if not err.is_terminal:
            return start(None)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            bar = progress.add_task("evaluating", total=len(golden.documents))

            def on_progress(done: int, total: int) -> None:
                progress.update(bar, completed=done, total=total)

            return start(on_progress)
    except ConfigurationError as exc:
        raise _usage(str(exc)) from None


def _output(
    run: EvaluationRun, *, as_json: bool, report_file: Path | None, records_file: Path | None
) -> None:
    from cli.evaluation_views import markdown_report, print_report
    from flows.evaluation import write_records

    print_report(err if as_json else Console(), run.report)
    if records_file is not None:
        count = write_records(records_file, run.scores)
        err.print(f"{count} field record(s) written to {records_file}")
    if report_file is not None:
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(markdown_report(run.report, run.scores), encoding="utf-8")
        err.print(f"Markdown report written to {report_file}")
    if run.data_dir is not None:
        err.print(f"scratch data kept in {run.data_dir} (FOLIO_DATA_DIR={run.data_dir} folio show ...)")
    if as_json:
        sys.stdout.write(json.dumps(run.report.as_json()) + "\n")


def _compare(a: Path, b: Path, *, as_json: bool) -> None:
    from cli.evaluation_views import print_comparison
    from flows.evaluation import read_report
    from models.evaluation import compare_runs

    try:
        before, after = read_report(a), read_report(b)
    except ConfigurationError as exc:
        raise _usage(str(exc)) from None
    comparison = compare_runs(before, after)
    if as_json:
        sys.stdout.write(comparison.model_dump_json() + "\n")
        return
    print_comparison(Console(), comparison, str(a), str(b))
