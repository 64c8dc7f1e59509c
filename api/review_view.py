"""A document as a reviewer sees it: the current extraction version laid over its schema, so
every field is listed (found or not) with its type, evidence and box."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.review_schemas import CorrectionPublic, ReviewDocument, ReviewField
from models.corrections import FieldValueError, subject_root
from models.extraction import DocumentExtraction, ExtractedField
from models.schemas import ExtractionSchema, FieldKind
from models.schemas.spec import FieldSpec
from storage import repository as repo

_MISSING = ExtractedField(value=None, confidence=None)
_NONE: list[str] = []


def _field(
    found: ExtractedField | None,
    spec: FieldSpec | None,
    essential: frozenset[str],
    about: list[str] = _NONE,
) -> ReviewField:
    field = found or _MISSING
    return ReviewField(
        value=field.value,
        confidence=field.confidence,
        page=field.page,
        source_text=field.source_text,
        bbox=field.bbox,
        flags=list(field.flags),
        review_flags=about,
        kind=(spec.kind if spec else FieldKind.TEXT).value,
        required=bool(spec and spec.required),
        essential=spec is not None and spec.name in essential,
    )


def _schema(session: Session, extraction: DocumentExtraction) -> ExtractionSchema | None:
    try:
        return repo.schema_of(session, extraction.schema_name, extraction.schema_version)
    except FieldValueError:
        return None  # a schema not registered here: the values are still shown, typed as text


def review_view(session: Session, detail: repo.ReviewDetail) -> ReviewDocument | None:
    """The review view of a document at its current extraction version (None: it has none)."""
    extraction, document = detail.extraction, detail.document
    if extraction is None or detail.version is None:
        return None
    schema = _schema(session, extraction)
    specs = {spec.name: spec for spec in (schema.fields if schema else ())}
    essential = frozenset(schema.essential if schema else ())
    about: dict[str, list[str]] = {}
    for flag in extraction.review_flags:
        root = subject_root(flag)
        if root:
            about.setdefault(root, []).append(flag)
    fields = {
        name: _field(extraction.fields.get(name), spec, essential, about.get(name, _NONE))
        for name, spec in specs.items()
        if spec.kind is not FieldKind.TABLE
    }
    for name, found in extraction.fields.items():  # free-form schemas: whatever was found
        fields.setdefault(name, _field(found, None, essential, about.get(name, _NONE)))
    tables = {}
    for name, rows in extraction.tables.items():
        columns = {column.name: column for column in specs[name].columns} if name in specs else {}
        tables[name] = [
            {
                column: _field(cell, columns.get(column), essential, about.get(name, _NONE))
                for column, cell in row.items()
            }
            for row in rows
        ]
    return ReviewDocument(
        id=document.id,
        status=document.status,
        file_name=document.file_name,
        schema_name=document.schema_name,
        licence_tier=document.licence_tier,
        page_count=document.page_count,
        reason=document.reason,
        review_flags=list(extraction.review_flags),
        extraction_version=detail.version,
        source=detail.source or "engine",
        author=detail.author,
        reviewed_by=document.reviewed_by,
        reviewed_at=document.reviewed_at,
        fields=fields,
        tables=tables,
        corrections=[CorrectionPublic.model_validate(c, from_attributes=True) for c in detail.corrections],
    )
