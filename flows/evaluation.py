"""Run a golden set through Folio exactly as ``folio process`` does, and score what was stored.

A golden set is a folder of documents, each with its truth beside it (``NAME.json`` for
``NAME.pdf``): the schema's field values, normalised or as printed. An optional
``_golden.json`` in a folder describes the documents under it (``{"date_order": "dmy",
"schema": "receipt"}``); the nearest one wins, and options given by the caller win over it.

Processing is ``flows.batch_run.run_batch`` (the function behind ``folio process``): the
same intake, flow run, pipeline, engine selection and statuses. By default it runs in a
scratch data directory (its own SQLite database and blob folder), so a measurement never
adds documents to anyone's data; scoring then reads each document's stored row and current
extraction, as an analyst would see them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigurationError
from core.settings import Settings
from flows.intake import iter_input_files
from flows.schemas import resolve_schema
from models.evaluation import (
    DateOrder,
    DocumentScore,
    EvaluationReport,
    StoredDocument,
    score_document,
    summarise,
)
from models.outcome import FileOutcome
from models.schemas import BUILTIN_SCHEMAS, ExtractionSchema
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

GOLDEN_MANIFEST = "_golden.json"
_MANIFEST_KEYS = frozenset({"date_order", "schema", "description"})

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class GoldenDocument:
    """One document of a golden set and its truth."""

    path: Path
    name: str  # as shown in reports: the path relative to the folder it was found under
    truth: dict[str, Any]
    date_order: DateOrder | None
    schema_name: str | None  # from the manifest, if it names one


@dataclass
class GoldenSet:
    """The documents found with their truth, and what was found without it."""

    documents: list[GoldenDocument] = field(default_factory=list)
    without_truth: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable truth files or manifests


@dataclass(frozen=True)
class EvaluationOptions:
    """How a golden set is run (every field has the ``folio eval`` default)."""

    engine: str | None = None  # auto, local or llama (default: the settings' engine)
    database_url: str | None = None  # process into this database instead of a scratch one
    keep: bool = False  # keep the scratch data directory
    reprocess: bool = False  # with database_url: extract again documents already processed there
    paths: tuple[str, ...] = ()  # the golden sets as given, for the report


@dataclass(frozen=True)
class EvaluationRun:
    """A finished evaluation: the figures and every scored document."""

    report: EvaluationReport
    scores: list[DocumentScore]
    data_dir: Path | None  # the scratch data directory when kept, else None


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: must hold a JSON object")
    return data


def read_manifest(path: Path) -> dict[str, Any]:
    """A ``_golden.json`` manifest, checked: known keys only, a valid date order."""
    manifest = _read_json_object(path)
    unknown = sorted(set(manifest) - _MANIFEST_KEYS)
    if unknown:
        known = ", ".join(sorted(_MANIFEST_KEYS))
        raise ConfigurationError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {known}")
    order = manifest.get("date_order")
    if order is not None and order not in {o.value for o in DateOrder}:
        raise ConfigurationError(f"{path}: date_order must be dmy, mdy or ymd, not {order!r}")
    return manifest


def _manifest_for(document: Path, root: Path, cache: dict[Path, dict[str, Any]]) -> dict[str, Any]:
    """The nearest manifest from the document's folder up to ``root`` (empty if none)."""
    folder = document.parent
    while True:
        if folder not in cache:
            candidate = folder / GOLDEN_MANIFEST
            cache[folder] = read_manifest(candidate) if candidate.is_file() else {}
        if cache[folder] or folder == root or folder == folder.parent:
            return cache[folder]
        folder = folder.parent


def find_golden_set(
    paths: list[Path], *, date_order: DateOrder | None = None, limit: int | None = None
) -> GoldenSet:
    """The documents under ``paths`` (folders or files) that have a truth file beside them.

    ``date_order`` (the caller's) wins over a manifest's. Files are taken in sorted order,
    the first ``limit`` documents with truth kept. An unreadable manifest raises
    ConfigurationError; an unreadable truth file is listed in ``problems``.
    """
    found = GoldenSet()
    manifests: dict[Path, dict[str, Any]] = {}
    for root in paths:
        base = root if root.is_dir() else root.parent
        for document in iter_input_files([root]):
            if document.suffix.lower() == ".json":  # a truth file named on its own
                continue
            if limit is not None and len(found.documents) >= limit:
                return found
            truth_path = document.with_suffix(".json")
            if not truth_path.is_file():
                found.without_truth.append(document)
                continue
            try:
                truth = _read_json_object(truth_path)
            except ConfigurationError as exc:
                found.problems.append(str(exc))
                continue
            manifest = _manifest_for(document, base, manifests)
            order = date_order or (DateOrder(manifest["date_order"]) if manifest.get("date_order") else None)
            name = str(document.relative_to(base)) if document.is_relative_to(base) else str(document)
            found.documents.append(
                GoldenDocument(
                    path=document,
                    name=name,
                    truth=truth,
                    date_order=order,
                    schema_name=manifest.get("schema"),
                )
            )
    return found


def schema_for_run(settings: Settings, name: str) -> tuple[ExtractionSchema, dict[str, Any] | None]:
    """The schema called ``name`` (built-in, or registered in ``settings``' database) and, for a
    custom one, its registered JSON Schema and description, to carry into a scratch database.

    Raises ConfigurationError for an unknown name without creating a database.
    """
    if name in BUILTIN_SCHEMAS:
        return BUILTIN_SCHEMAS[name], None
    url = settings.storage.sqlalchemy_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        builtin = ", ".join(sorted(BUILTIN_SCHEMAS))
        raise ConfigurationError(f"unknown schema {name!r}; built-in schemas: {builtin}")
    db = make_engine(settings)
    try:
        with make_session_factory(db)() as session:
            schema = resolve_schema(session, name)
            row = repo.latest_schema(session, name)
            carried = {"json_schema": row.json_schema, "description": row.description} if row else None
    finally:
        db.dispose()
    return schema, carried


@contextmanager
def evaluation_settings(
    settings: Settings, *, database_url: str | None, keep: bool
) -> Iterator[tuple[Settings, Path | None]]:
    """The settings a run processes with: ``settings`` on ``database_url`` when given, else on a
    scratch data directory (removed on exit unless ``keep``). Yields the settings and the
    scratch directory (None when a database was given)."""
    if database_url is not None:
        yield settings.replace(storage={"database_url": database_url}), None
        return
    scratch = Path(tempfile.mkdtemp(prefix="folio-eval-"))
    try:
        yield settings.replace(storage={"data_dir": scratch, "database_url": None}), scratch
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _carry_schema(settings: Settings, name: str, carried: dict[str, Any]) -> None:
    """Register a custom schema in the run's database (a scratch one starts empty)."""
    upgrade(settings)
    db = make_engine(settings)
    try:
        with make_session_factory(db).begin() as session:
            repo.add_schema_version(
                session, name=name, json_schema=carried["json_schema"], description=carried["description"]
            )
    finally:
        db.dispose()


def _stored(sessions: Any, name: str, outcome: FileOutcome) -> StoredDocument:
    """What the database holds for one processed file (a file with no document: its outcome)."""
    document_id = outcome.document_id
    with sessions() as session:
        document = repo.get_document(session, document_id) if document_id else None
        if document is None:
            return StoredDocument(document=name, status=str(outcome.status), reason=outcome.reason)
        current = repo.current_extraction(session, document.id)
        return StoredDocument(
            document=name,
            document_id=document.id,
            status=str(document.status),
            reason=document.reason,
            pages=document.page_count,
            cost_usd=document.cost_usd or 0,
            engine=current.engine if current else document.engine,
            model=current.model if current else document.model,
            fingerprint=dict(current.fingerprint) if current else None,
            result=dict(current.result) if current else None,
            review_flags=list(current.review_flags) if current else [],
        )


async def evaluate_golden_set(
    settings: Settings,
    golden: GoldenSet,
    *,
    schema_name: str,
    options: EvaluationOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> EvaluationRun:
    """Process the golden set's documents as ``folio process`` would and score them.

    Call after ``flows.runtime.configure_prefect``. Raises ConfigurationError for an unknown
    schema or engine before any document is processed.
    """
    from flows.batch_run import BatchRequest, run_batch  # imports Prefect: after configure_prefect

    options = options or EvaluationOptions()
    database_url = options.database_url
    lookup = settings.replace(storage={"database_url": database_url}) if database_url else settings
    schema, carried = schema_for_run(lookup, schema_name)
    started = time.perf_counter()
    run_in = evaluation_settings(settings, database_url=database_url, keep=options.keep)
    with run_in as (run_settings, scratch):
        if carried is not None and scratch is not None:
            _carry_schema(run_settings, schema_name, carried)
        request = BatchRequest(
            paths=[d.path for d in golden.documents],
            schema_name=schema_name,
            tenant=run_settings.tenancy.default_tenant,
            engine=options.engine,
            reprocess=options.reprocess,
        )
        outcomes = await run_batch(run_settings, request, on_progress=on_progress)
        db = make_engine(run_settings)
        try:
            sessions = make_session_factory(db)
            scores = [
                score_document(schema, d.truth, _stored(sessions, d.name, outcome), order=d.date_order)
                for d, outcome in zip(golden.documents, outcomes, strict=True)
            ]
        finally:
            db.dispose()
    orders = {d.date_order.value if d.date_order else None for d in golden.documents}
    report = summarise(
        scores,
        schema_name=schema.name,
        paths=list(options.paths),
        date_order=orders.pop() if len(orders) == 1 else "mixed",
        wall_s=time.perf_counter() - started,
    )
    return EvaluationRun(report=report, scores=scores, data_dir=scratch if options.keep else None)


def write_records(path: Path, scores: list[DocumentScore]) -> int:
    """Write one JSON line per checked field (the calibration data set); returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for score in scores:
            for record in score.fields:
                out.write(record.model_dump_json() + "\n")
                count += 1
    return count


def read_report(path: Path) -> dict[str, Any]:
    """A saved ``folio eval --json`` output (the last JSON object in the file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read ({exc.strerror})") from None
    # --json prints the report last on stdout; a file captured with log lines before it works.
    for line in reversed([ln for ln in text.splitlines() if ln.strip()] or [text]):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "field_accuracy" in data:
            return data
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict) and "field_accuracy" in data:
        return data
    raise ConfigurationError(f"{path}: not a saved `folio eval --json` output")


__all__ = [
    "GOLDEN_MANIFEST",
    "EvaluationOptions",
    "EvaluationRun",
    "GoldenDocument",
    "GoldenSet",
    "evaluate_golden_set",
    "evaluation_settings",
    "find_golden_set",
    "read_manifest",
    "read_report",
    "schema_for_run",
    "write_records",
]
