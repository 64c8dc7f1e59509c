"""Analyst exports: CSV, JSON Lines and typed Parquet with one column per schema field.

An export is a list of :class:`Column` (name and type) and rows of plain Python values
(``storage.repository.exports`` reads them). Column types come from the extraction schema:
amounts are exact decimals, dates are dates, and identifiers and codes are always text, so
invoice number ``004711`` stays ``004711`` in every format. The same columns go to every
format:

- CSV: decimals as plain digits (``1234.5``), dates ISO 8601, review flags joined by ``; ``;
- JSON Lines: decimals as JSON numbers written digit for digit (never through a float),
  dates and times as ISO 8601 strings, review flags as a list;
- Parquet: ``decimal128(24, 8)``, ``date32``, ``timestamp[us, UTC]``, ``list<string>``...

Rows arrive and leave in batches, so memory stays bounded whatever the row count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any

from core.errors import ConfigurationError
from models.schemas import ExtractionSchema, FieldKind

# "json" is JSON Lines (the CLI's one --format convention); "jsonl" is its old spelling.
FORMATS = ("csv", "json", "jsonl", "parquet")
TYPES = ("text", "decimal", "float", "integer", "date", "timestamp", "text_list")
DOCUMENTS = "documents"  # the export of one row per document; any other name is a table field
_BATCH = 5000
_DECIMAL_SCALE = 8  # what the database keeps (Numeric(24, 8) field values, Numeric(18, 8) costs)
_KIND_TYPES = {
    FieldKind.MONEY: "decimal",
    FieldKind.NUMBER: "float",
    FieldKind.INTEGER: "integer",
    FieldKind.DATE: "date",
}  # text, address and currency (and anything new) stay text


@dataclass(frozen=True)
class Column:
    """One export column: its name, its type (one of ``TYPES``), and for a schema field the
    field (or table column) it is read from."""

    name: str
    type: str
    field: str | None = None


def _meta(*columns: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name, kind in columns)


DOCUMENT_COLUMNS = _meta(
    ("document_id", "text"),
    ("tenant", "text"),
    ("schema_name", "text"),
    ("file_name", "text"),
    ("status", "text"),
    ("reason", "text"),
    ("review_flags", "text_list"),
    ("lowest_confidence", "float"),
    ("engine", "text"),
    ("model", "text"),
    ("licence_tier", "text"),
    ("cost_usd", "decimal"),
    ("page_count", "integer"),
    ("created_at", "timestamp"),
    ("finished_at", "timestamp"),
)
# A table row (a line item) carries its document's id and file, and its 1-based row number.
TABLE_ROW_COLUMNS = _meta(
    ("document_id", "text"),
    ("tenant", "text"),
    ("schema_name", "text"),
    ("file_name", "text"),
    ("status", "text"),
    ("row", "integer"),
)
TABLE_TAIL_COLUMNS = _meta(("lowest_confidence", "float"))


def field_columns(
    schemas: Sequence[ExtractionSchema],
    *,
    table: str = DOCUMENTS,
    discovered: Sequence[str] = (),
    taken: Iterable[str] = (),
) -> list[Column]:
    """The typed columns of the schemas' fields (or of table ``table``'s columns).

    A name two schemas type differently becomes text; ``discovered`` names (values found by
    a free-form schema such as ``generic``) are text; a field named like a metadata column
    (``taken``) is exported as ``field_<name>``.
    """
    types: dict[str, str] = {}
    for schema in schemas:
        specs = schema.fields
        if table != DOCUMENTS:
            specs = next((s.columns for s in specs if s.name == table and s.kind == FieldKind.TABLE), ())
        for spec in specs:
            if spec.kind == FieldKind.TABLE:
                continue
            kind = _KIND_TYPES.get(spec.kind, "text")
            types[spec.name] = kind if types.get(spec.name, kind) == kind else "text"
    for name in discovered:
        types.setdefault(name, "text")
    reserved = set(taken)
    return [Column(f"field_{name}" if name in reserved else name, kind, name) for name, kind in types.items()]


# `folio query` lists documents with their fields as one JSON object (a summary to read, not
# an export): its columns, and ``flat`` to make a row of them plain text.
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


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    return value


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A ``folio query`` row with plain values: money and dates as text, fields as a JSON string."""
    out = {column: _text(row.get(column)) for column in COLUMNS}
    out["fields"] = json.dumps(out["fields"] or {}, sort_keys=True)
    return out


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return _decimal_text(value)  # a JSON number, exact: never through a float
    if isinstance(value, dt.date | dt.datetime):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False)


def json_line(row: dict[str, Any], columns: Sequence[Column]) -> str:
    """One JSON Lines record of ``row`` in column order."""
    parts = (f"{json.dumps(c.name)}: {_json_value(row.get(c.name))}" for c in columns)
    return "{" + ", ".join(parts) + "}\n"


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def export_rows(
    rows: Iterable[dict[str, Any]],
    *,
    columns: Sequence[Column],
    fmt: str,
    out: Path | IO[bytes],
) -> int:
    """Write ``rows`` as ``fmt`` to the file ``out`` (or a binary stream such as standard
    output); returns the number of rows written."""
    if fmt not in FORMATS:
        raise ConfigurationError(f"unknown export format {fmt!r}; use csv, json (JSON Lines) or parquet")
    if fmt == "parquet":
        return _parquet(rows, columns, out)
    if isinstance(out, Path):
        with out.open("wb") as handle:
            return _text_rows(rows, columns, fmt, handle)
    return _text_rows(rows, columns, fmt, out)


def _text_rows(rows: Iterable[dict[str, Any]], columns: Sequence[Column], fmt: str, out: IO[bytes]) -> int:
    handle = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    count = 0
    try:
        writer = csv.writer(handle) if fmt == "csv" else None
        if writer is not None:
            writer.writerow([c.name for c in columns])
        for batch in _batches(rows):
            if writer is not None:
                writer.writerows([_csv_value(r.get(c.name)) for c in columns] for r in batch)
            else:
                handle.writelines(json_line(r, columns) for r in batch)
            count += len(batch)
        handle.flush()
    finally:
        handle.detach()  # the caller's stream stays open
    return count


def arrow_schema(columns: Sequence[Column]) -> Any:
    """The pyarrow schema of ``columns`` (needs pyarrow)."""
    import pyarrow as pa

    types = {
        "text": pa.string(),
        "decimal": pa.decimal128(24, _DECIMAL_SCALE),
        "float": pa.float64(),
        "integer": pa.int64(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "text_list": pa.list_(pa.string()),
    }
    return pa.schema([(c.name, types[c.type]) for c in columns])


def _arrow_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "decimal":
        return Decimal(value).quantize(Decimal(1).scaleb(-_DECIMAL_SCALE))
    if kind == "timestamp" and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite gives back naive UTC times
    return value


def _parquet(rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: Path | IO[bytes]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigurationError(
            "Parquet export needs pyarrow: pip install 'folio[parquet]'", code="missing_pyarrow"
        ) from exc
    schema = arrow_schema(columns)
    count = 0
    sink = str(out) if isinstance(out, Path) else out
    with pq.ParquetWriter(sink, schema) as writer:
        for batch in _batches(rows):
            data = {c.name: [_arrow_value(r.get(c.name), c.type) for r in batch] for c in columns}
            writer.write_table(pa.Table.from_pydict(data, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count
