"""Analyst query figures on PostgreSQL: seed N documents in SQL, then time reports, filters, export.

    .venv/bin/python -m bench.queries --documents 1000000

Uses a scratch database (dropped at the end) on FOLIO_TEST_POSTGRES_URL, as the tests do.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.repository.reports import cost_report_from_ledger, field_report_from_fields

ROOT = Path(__file__).resolve().parent.parent

ADMIN = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# Deterministic pseudo-random values from the row number g (multiplicative hashing): the
# whole seed is set-based SQL, no row passes through Python.
_DOCUMENTS = """
INSERT INTO documents (id, tenant_id, sha256, schema_name, file_name, media_type, size_bytes,
  status, engine, model, licence_tier, cost_usd, source, created_at, updated_at, finished_at)
SELECT md5('d' || g)::uuid::text, g % 20 + 1, lpad(to_hex(g), 64, '0'), 'invoice', 'f' || g || '.pdf',
  'application/pdf', 50000, CASE WHEN g % 5 = 0 THEN 'needs_review' ELSE 'done' END, 'llama',
  CASE WHEN g % 3 = 0 THEN 'llama-4-maverick' ELSE 'llama-4-scout' END,
  CASE WHEN (g % 20 + 1) % 2 = 0 THEN 'standard' ELSE 'enterprise' END,
  ((g::bigint * 104729) % 1000000 + 1) / 100000000.0, 'api', w, w, w
FROM (SELECT g, timestamptz '2026-01-01 00:00:00+00'
        + ((g::bigint * 7919) % 25920000) * interval '1 second' AS w
      FROM generate_series(1, :n) g) s"""
_EXTRACTIONS = """
INSERT INTO extractions (id, document_id, version, is_current, schema_name, schema_version, engine,
  model, result, review_flags, fingerprint, created_at)
SELECT g, md5('d' || g)::uuid::text, 1, true, 'invoice', '1', 'llama', 'llama-4-scout', '{}',
  CASE WHEN g % 5 = 0 THEN '["low_confidence: total_amount (0.40)"]' ELSE '[]' END::jsonb, '{}',
  timestamptz '2026-01-01 00:00:00+00'
FROM generate_series(1, :n) g"""
_FIELDS = """
INSERT INTO extraction_fields (tenant_id, document_id, extraction_id, schema_name, name, value_text,
  value_number, value_date, confidence, page, flagged)
SELECT g % 20 + 1, md5('d' || g)::uuid::text, g, 'invoice', f.name,
  CASE f.name WHEN 'vendor_name' THEN 'Vendor ' || (g::bigint * 69621) % 500
    WHEN 'total_amount' THEN (((g::bigint * 48271) % 4999900 + 100) / 100.0)::text
    WHEN 'invoice_date' THEN (date '2026-01-01' + ((g::bigint * 16807) % 300)::int)::text
    WHEN 'currency' THEN 'EUR' ELSE 'INV-' || g END,
  CASE WHEN f.name = 'total_amount' THEN ((g::bigint * 48271) % 4999900 + 100) / 100.0 END,
  CASE WHEN f.name = 'invoice_date' THEN date '2026-01-01' + ((g::bigint * 16807) % 300)::int END,
  ((g::bigint * 40692 + f.k * 7) % 1000) / 1000.0, 1, f.name = 'total_amount' AND g % 5 = 0
FROM generate_series(1, :n) g
CROSS JOIN (VALUES (1, 'vendor_name'), (2, 'total_amount'), (3, 'invoice_date'), (4, 'currency'),
  (5, 'invoice_number')) f(k, name)"""
_LEDGER = """
INSERT INTO usage_ledger (document_id, extraction_id, page_numbers, engine, model, attempt,
  estimated_prompt_tokens, estimated_image_tokens, prompt_tokens, completion_tokens, latency_ms,
  cost_usd, created_at)
SELECT md5('d' || g)::uuid::text, g, '[1]', 'llama',
  CASE WHEN (g + 1) % 3 = 0 THEN 'llama-4-maverick' ELSE 'llama-4-scout' END, 1, 1000, 0, 1000, 200,
  900.0, ((g::bigint * 104729) % 1000000 + 1) / 100000000.0,
  timestamptz '2026-01-01 00:00:00+00' + ((g::bigint * 15485863) % 25920000) * interval '1 second'
FROM generate_series(1, :n) g"""


def _seed(engine: sa.Engine, documents: int) -> None:
    """Tenants, documents, current extractions, 5 typed fields and 1 ledger row each."""
    with engine.begin() as conn:
        # Generated rows are consistent by construction: skip the per-row foreign-key checks
        # (triggers) while loading, as pg_restore does; indexes are still maintained.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            sa.text(
                "INSERT INTO tenants (id, name, tier, created_at) SELECT g, 't' || g, "
                "CASE WHEN g % 2 = 0 THEN 'standard' ELSE 'enterprise' END, now() "
                "FROM generate_series(1, 20) g"
            )
        )
        for statement in (_DOCUMENTS, _EXTRACTIONS, _FIELDS, _LEDGER):
            conn.execute(sa.text(statement), {"n": documents})
        conn.execute(sa.text("SELECT setval('extractions_id_seq', (SELECT max(id) FROM extractions))"))
        conn.execute(sa.text("SELECT setval('tenants_id_seq', 20)"))


def _time(label: str, fn: Callable[[], object], runs: int = 5) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    print(f"queries: {label}: {statistics.median(times):.1f} ms (median of {runs})", flush=True)


def _export(url: str, out: Path, *where: str) -> tuple[float, int]:
    """``folio export`` in its own process; (seconds, rows). Its peak RSS from the kernel."""
    env = {**os.environ, "FOLIO_DATABASE_URL": url, "FOLIO_DATA_DIR": str(out.parent)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cli", "export", "--format", "csv", "--out", str(out), *where],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    with out.open() as handle:
        rows = sum(1 for _ in handle) - 1
    return elapsed, rows


def _peak_child_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def _exports(url: str) -> None:
    folder = Path(tempfile.mkdtemp())
    # The same command exporting nothing first: imports and connections, the floor.
    _export(url, folder / "none.csv", "--where", "total_amount<0")
    floor = _peak_child_mib()
    out = folder / "all.csv"
    elapsed, rows = _export(url, out)
    print(
        f"queries: export of {rows:,} rows to CSV (folio export, own process): {elapsed:.1f} s, "
        f"{out.stat().st_size / 1e6:.0f} MB; peak RSS {_peak_child_mib():.0f} MiB "
        f"(the same command exporting 0 rows: {floor:.0f} MiB)",
        flush=True,
    )


def _rates(rows: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    keys = ("schema_name", "field", "documents", "values", "filled", "flagged", "fill_rate", "review_rate")
    return [tuple(r[k] for k in keys) for r in rows]


def _explain(session: Session, query: repo.DocumentQuery) -> None:
    statement = repo.document_query_statement(session, query=query, tenant_scope=None)
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    for (line,) in session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")):
        print("    " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--explain", action="store_true", help="print the filter queries' plans")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    name = f"folio_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    settings = Settings(_env_file=None, storage={"data_dir": Path(tempfile.mkdtemp()), "database_url": url})
    try:
        upgrade(settings, "0007")  # seed before the rollups exist; 0008 then backfills them
        engine = make_engine(settings)
        started = time.perf_counter()
        _seed(engine, args.documents)
        print(
            f"queries: seeded {args.documents:,} documents (5 fields, 1 ledger row each; "
            f"INSERT ... SELECT generate_series) in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        started = time.perf_counter()
        upgrade(settings)
        print(
            f"queries: migration 0008 (rollup backfill, value keys, indexes) in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        raw = engine.raw_connection()
        try:
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            raw.cursor().execute("VACUUM ANALYZE")
        finally:
            raw.close()
        sessions = make_session_factory(engine)
        with sessions() as session:
            for by in (["tenant", "month"], ["tenant", "month", "model", "tier"]):
                label = ",".join(by)
                _time(f"cost report by {label}", partial(repo.cost_report, session, by=by))
                started = time.perf_counter()
                scanned = cost_report_from_ledger(session, by=by)
                print(
                    f"queries: cost report by {label} from the ledger (scan, once): "
                    f"{(time.perf_counter() - started) * 1000:.0f} ms; identical to the rollup: "
                    f"{scanned == repo.cost_report(session, by=by)}",
                    flush=True,
                )
            query = repo.DocumentQuery(
                schema="invoice",
                predicates=[
                    repo.FieldPredicate("total_amount", "gt", "49000"),
                    repo.FieldPredicate("vendor_name", "eq", "Vendor 7"),
                ],
                limit=100,
            )
            rows = repo.query_documents(session, query=query, tenant_scope=None).rows
            _time(
                f"field-predicate filter, selective ({len(rows)} rows)",
                lambda: repo.query_documents(session, query=query, tenant_scope=None),
            )
            wide = repo.DocumentQuery(
                predicates=[repo.FieldPredicate("total_amount", "gt", "10000")], limit=100
            )
            _time(
                "field-predicate filter, first 100 of many",
                lambda: repo.query_documents(session, query=wide, tenant_scope=None),
            )
            page = repo.query_documents(session, query=wide, tenant_scope=None)
            later = repo.DocumentQuery(predicates=wide.predicates, limit=100, cursor=page.next_cursor)
            _time(
                "field-predicate filter, second page (keyset cursor)",
                lambda: repo.query_documents(session, query=later, tenant_scope=None),
            )
            if args.explain:
                for q in (query, wide):
                    _explain(session, q)
            _time("field report", lambda: repo.field_report(session, tenant_scope=None))
            started = time.perf_counter()
            scanned_fields = _rates(field_report_from_fields(session, tenant_scope=None))
            elapsed = (time.perf_counter() - started) * 1000
            same = scanned_fields == _rates(repo.field_report(session, tenant_scope=None))
            print(
                f"queries: field report from the field rows (scan, once): {elapsed:.0f} ms; "
                f"same fields, counts and rates as the rollup: {same}",
                flush=True,
            )
        _exports(url)
        engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"queries: kept database {name}")
        admin.dispose()


if __name__ == "__main__":
    main()
