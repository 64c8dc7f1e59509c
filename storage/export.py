"""Streaming exports of query results: CSV, JSON Lines, Parquet (with ``pyarrow``).

Rows arrive from ``iter_documents`` in batches and leave in batches, so memory stays
bounded whatever the row count. Money is written as exact decimal text.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from core.errors import ConfigurationError

FORMATS = ("csv", "jsonl", "parquet")
COLUMNS = (
    "document_id",
    "tenant",
    "schema_name",
    "status",
    "file_name",
    "page_count",
    "engine",
    "model",
    "licence_tier",
    "cost_usd",
    "created_at",
    "finished_at",
    "fields",
)
_BATCH = 5000


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    return value


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row with plain values: money and dates as text, fields as a JSON object string."""
    out = {column: _text(row.get(column)) for column in COLUMNS}
    out["fields"] = json.dumps(out["fields"] or {}, sort_keys=True)
    return out


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def export_rows(rows: Iterable[dict[str, Any]], *, fmt: str, out: Path) -> int:
    """Write ``rows`` to ``out`` as ``fmt``; returns the number of rows written."""
    if fmt not in FORMATS:
        raise ConfigurationError(f"unknown export format {fmt!r}; use {', '.join(FORMATS)}")
    if fmt == "parquet":
        return _parquet(rows, out)
    count = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS) if fmt == "csv" else None
        if writer is not None:
            writer.writeheader()
        for batch in _batches(rows):
            flats = [flat(r) for r in batch]
            if writer is not None:
                writer.writerows(flats)
            else:
                handle.writelines(json.dumps({**f, "fields": json.loads(f["fields"])}) + "\n" for f in flats)
            count += len(flats)
    return count


def _parquet(rows: Iterable[dict[str, Any]], out: Path) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigurationError(
            "Parquet export needs pyarrow: pip install 'folio[parquet]'", code="missing_pyarrow"
        ) from exc
    schema = pa.schema([(c, pa.int64() if c == "page_count" else pa.string()) for c in COLUMNS])
    count = 0
    with pq.ParquetWriter(str(out), schema) as writer:
        for batch in _batches(rows):
            flats = [flat(r) for r in batch]
            writer.write_table(pa.Table.from_pylist(flats, schema=schema))
            count += len(flats)
    if count == 0:
        pq.write_table(schema.empty_table(), str(out))
    return count
