"""A person's corrections applied to an extraction: field paths, values checked and
normalised by the schema's own types, and the corrected copy with what changed.

Paths name what is corrected:

- ``total_amount``: a single field (its value: a scalar, or null to clear it);
- ``line_items[2].amount``: one table cell (row 2 must exist, or be the next row to add one);
- ``line_items[2]``: a whole row (an object of column values, or null to delete the row);
- ``line_items``: a whole table (a list of row objects).

Changes apply in the order given, so a row index names the row as it is when its change
applies. Each value goes through the schema's pydantic type (an amount becomes a JSON
number, a date an ISO 8601 string, a currency an upper-case ISO 4217 code); text is
stripped and an empty text clears the value. A value the type refuses raises
:class:`FieldValueError` naming the field. Every value a person set is marked as theirs
(``method`` ``human``, confidence 1.0). Pure: no I/O.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from core.errors import ConfigurationError
from models.extraction import DocumentExtraction, ExtractedField, ExtractedRow
from models.schemas.spec import ExtractionSchema, FieldKind

HUMAN_METHOD = "human"  # ExtractedField.method of a value a person set
_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,99})(?:\[(\d{1,6})\](?:\.([A-Za-z_][A-Za-z0-9_]{0,99}))?)?$")
# Review flags look like "low_confidence: total_amount (0.41)" or "invalid: line_items.0.amount: ...".
_FLAG_SUBJECT = re.compile(r"^[a-z_]+: ([A-Za-z0-9_.\[\]]+)")
_FREE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_SCALARS = (str, int, float, bool, type(None))


class FieldValueError(ConfigurationError):
    """A correction that cannot be made: an unknown field or a value its type refuses."""

    code = "invalid_field"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class FieldPath:
    """What one correction names: a field or table, and for tables a row and a column."""

    name: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.name
        return f"{self.name}[{self.row}]" + (f".{self.column}" if self.column else "")


@dataclass(frozen=True)
class FieldChange:
    """One change as the audit trail keeps it: the path, and the JSON values before and after."""

    field: str
    before: Any
    after: Any


def parse_path(text: str) -> FieldPath:
    """``total_amount``, ``line_items[2]`` or ``line_items[2].amount`` as a FieldPath."""
    match = _PATH.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise FieldValueError(str(text)[:100], "not a field path (a name, table[row] or table[row].column)")
    name, row, column = match.groups()
    return FieldPath(name, None if row is None else int(row), column)


def subject_root(flag: str) -> str | None:
    """The field or table a review flag is about (``line_items`` for ``line_items.0.amount``)."""
    match = _FLAG_SUBJECT.match(flag)
    return re.split(r"[.\[]", match.group(1))[0] if match else None


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _row_model(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap_optional(annotation)
    if typing.get_origin(inner) is Annotated:
        inner = typing.get_args(inner)[0]
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _prepared(value: Any, kind: FieldKind, where: str) -> Any:
    """The value as a person typed it, tidied before the type reads it."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if kind is FieldKind.CURRENCY:
            return value.upper()
    if isinstance(value, bool) and kind is not FieldKind.TEXT:
        raise FieldValueError(where, f"true/false is not a {kind.value}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if kind in (FieldKind.TEXT, FieldKind.ADDRESS):
            return str(value)
        if kind is FieldKind.DATE:
            raise FieldValueError(where, "a date is written YYYY-MM-DD, not as a number")
    return value


def _checked(adapter: TypeAdapter[Any], value: Any, where: str) -> Any:
    try:
        typed = adapter.validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        inner = ".".join(str(p) for p in first["loc"])
        place = f"{where}.{inner}" if inner and not where.endswith(inner) else where
        raise FieldValueError(place, f"{first['msg']} (got {str(value)[:80]!r})") from None
    dumped = adapter.dump_python(typed, mode="json")
    if isinstance(dumped, float) and not math.isfinite(dumped):
        raise FieldValueError(where, "not a finite number")
    return dumped


class _Types:
    """How the schema reads each field and table column (free-form schemas: plain JSON scalars)."""

    def __init__(self, schema: ExtractionSchema) -> None:
        self.schema = schema
        self.specs = {spec.name: spec for spec in schema.fields}

    def kind(self, path: FieldPath) -> FieldKind:
        if self.schema.free_form:
            if not _FREE_NAME.match(path.name) or (path.column and not _FREE_NAME.match(path.column)):
                raise FieldValueError(str(path), "names are snake_case (lower-case letters, digits, _)")
            return FieldKind.TABLE if path.row is not None and path.column is None else FieldKind.TEXT
        spec = self.specs.get(path.name)
        if spec is None:
            known = ", ".join(self.specs)
            raise FieldValueError(
                str(path), f"schema {self.schema.name!r} has no such field (fields: {known})"
            )
        if path.row is not None and spec.kind is not FieldKind.TABLE:
            raise FieldValueError(str(path), f"{path.name} is a single field, not a table")
        if path.column is not None:
            column = next((c for c in spec.columns if c.name == path.column), None)
            if column is None:
                known = ", ".join(c.name for c in spec.columns)
                raise FieldValueError(str(path), f"table {path.name} has no column {path.column} ({known})")
            return column.kind
        return spec.kind

    def value(self, path: FieldPath, value: Any) -> Any:
        """One field's or cell's value, checked and normalised."""
        where = str(path)
        kind = self.kind(path)
        if self.schema.free_form:  # any JSON scalar, text tidied
            if not isinstance(value, _SCALARS):
                raise FieldValueError(where, "a value is text, a number, true/false or null")
            return (value.strip() or None) if isinstance(value, str) else value
        value = _prepared(value, kind, where)
        model: type[BaseModel] = self.schema.model
        name = path.name
        if path.column is not None:
            row_model = _row_model(model.model_fields[path.name].annotation)
            assert row_model is not None  # the spec said TABLE with columns
            model, name = row_model, path.column
        if kind is FieldKind.TABLE:
            raise FieldValueError(where, "a table is corrected by rows or cells (table[row].column)")
        info = model.model_fields[name]
        annotated: Any = Annotated[info.annotation, info]  # the field's type with its constraints
        return _checked(TypeAdapter(annotated), value, where)

    def rows(self, path: FieldPath, value: Any) -> list[dict[str, Any]]:
        """Rows of a table (a list of objects), each column checked and normalised."""
        where = str(path)
        if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
            raise FieldValueError(where, "a table is a list of row objects")
        rows = []
        for index, row in enumerate(value):
            cells = {}
            for column, cell in row.items():
                cell_path = FieldPath(path.name, index, str(column))
                cells[str(column)] = self.value(cell_path, cell) if cell is not None else None
            rows.append(cells)
        return rows


def _human(value: Any, old: ExtractedField | None, author: str) -> ExtractedField:
    return ExtractedField(
        value=value,
        confidence=1.0,
        page=old.page if old is not None else None,
        method=HUMAN_METHOD,
        evidence=[f"set by {author} in review"],
    )


def _is_human(found: ExtractedField | None) -> bool:
    return found is not None and found.method == HUMAN_METHOD


def _row_values(row: ExtractedRow) -> dict[str, Any]:
    return {column: cell.value for column, cell in row.items()}


def _human_row(values: Mapping[str, Any], old: ExtractedRow | None, author: str) -> ExtractedRow:
    page = next((c.page for c in (old or {}).values() if c.page is not None), None)
    anchor = ExtractedField(value=None, confidence=None, page=page)
    return {column: _human(value, anchor, author) for column, value in values.items() if value is not None}


class _Editor:
    """Applies changes one by one to copies of the extraction's fields and tables."""

    def __init__(self, extraction: DocumentExtraction, types_: _Types, author: str) -> None:
        self.fields = dict(extraction.fields)
        self.tables = {name: [dict(row) for row in rows] for name, rows in extraction.tables.items()}
        self.types = types_
        self.author = author
        self.changes: list[FieldChange] = []
        self.touched: set[str] = set()

    def apply(self, path: FieldPath, raw: Any) -> None:
        if path.row is None and (self.types.kind(path) is FieldKind.TABLE or path.name in self.tables):
            self._table(path, raw)
        elif path.row is None:
            self._field(path, raw)
        elif path.column is None:
            self._row(path, raw)
        else:
            self._cell(path, raw)

    def _record(self, path: FieldPath, before: Any, after: Any, unchanged_human: bool) -> bool:
        if before == after and unchanged_human:
            return False  # said again what a person already set: nothing to record
        self.changes.append(FieldChange(str(path), before, after))
        self.touched.add(path.name)
        return True

    def _field(self, path: FieldPath, raw: Any) -> None:
        old = self.fields.get(path.name)
        after = self.types.value(path, raw)
        before = old.value if old is not None else None
        if not self._record(path, before, after, _is_human(old) or (old is None and after is None)):
            return
        if after is None and old is None:
            return
        self.fields[path.name] = _human(after, old, self.author)

    def _rows_of(self, path: FieldPath) -> list[ExtractedRow]:
        rows = self.tables.setdefault(path.name, [])
        assert path.row is not None
        if path.row > len(rows):
            raise FieldValueError(
                str(path), f"table {path.name} has {len(rows)} row(s); the next is [{len(rows)}]"
            )
        return rows

    def _cell(self, path: FieldPath, raw: Any) -> None:
        rows = self._rows_of(path)
        assert path.row is not None and path.column is not None
        row = rows[path.row] if path.row < len(rows) else None
        old = None if row is None else row.get(path.column)
        after = self.types.value(path, raw)
        before = old.value if old is not None else None
        if not self._record(path, before, after, _is_human(old) or (old is None and after is None)):
            return
        if row is None:
            row = {}
            rows.append(row)
        if after is None:
            row.pop(path.column, None)
        else:
            row[path.column] = _human(after, old, self.author)

    def _row(self, path: FieldPath, raw: Any) -> None:
        rows = self._rows_of(path)
        assert path.row is not None
        old = rows[path.row] if path.row < len(rows) else None
        before = None if old is None else _row_values(old)
        if raw is None:
            if old is None:
                raise FieldValueError(str(path), f"table {path.name} has no row {path.row} to delete")
            self._record(path, before, None, False)
            del rows[path.row]
            return
        if not isinstance(raw, Mapping):
            raise FieldValueError(str(path), "a row is an object of column values (null deletes it)")
        [after] = self.types.rows(FieldPath(path.name), [raw])
        after = {k: v for k, v in after.items() if v is not None}
        all_human = old is not None and all(_is_human(c) for c in old.values())
        if not self._record(path, before, after, all_human):
            return
        new_row = _human_row(after, old, self.author)
        if old is None:
            rows.append(new_row)
        else:
            rows[path.row] = new_row

    def _table(self, path: FieldPath, raw: Any) -> None:
        old_rows = self.tables.get(path.name, [])
        before = [_row_values(r) for r in old_rows]
        after = [{k: v for k, v in r.items() if v is not None} for r in self.types.rows(path, raw)]
        all_human = all(_is_human(c) for r in old_rows for c in r.values())
        if not self._record(path, before, after, all_human):
            return
        old_for = [old_rows[i] if i < len(old_rows) else None for i in range(len(after))]
        self.tables[path.name] = [_human_row(v, o, self.author) for v, o in zip(after, old_for, strict=True)]


def apply_corrections(
    extraction: DocumentExtraction,
    schema: ExtractionSchema,
    fields: Mapping[str, Any],
    *,
    author: str,
) -> tuple[DocumentExtraction, list[FieldChange]]:
    """The extraction with ``fields`` (path -> value) set by ``author``, and what changed.

    Nothing changes (an empty list) when every value is what a person already set. Review
    flags about a field or table a person corrected are dropped from the copy: the person's
    word settles them. Raises :class:`FieldValueError` naming the first bad path or value,
    before anything is applied.
    """
    if not fields:
        raise FieldValueError("fields", "give at least one field to correct")
    editor = _Editor(extraction, _Types(schema), author)
    for text, raw in fields.items():
        editor.apply(parse_path(text), raw)
    flags = [f for f in extraction.review_flags if subject_root(f) not in editor.touched]
    corrected = extraction.model_copy(
        update={
            "fields": editor.fields,
            "tables": {
                name: rows for name, rows in editor.tables.items() if rows or name in extraction.tables
            },
            "review_flags": flags,
        }
    )
    return corrected, editor.changes
