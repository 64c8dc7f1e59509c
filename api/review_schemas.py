"""The review API's own models: the queue, one document as a reviewer sees it, and what a
reviewer sends (corrections, a rejection's reason)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from models.document import DocumentStatus
from models.extraction import FieldScalar

ReviewOrder = Literal["oldest", "tier"]
FieldKindName = Literal["text", "address", "date", "money", "number", "integer", "currency", "table"]


class ReviewQueueItem(BaseModel):
    """A document waiting for a person, with why."""

    id: str
    file_name: str
    schema_name: str
    licence_tier: str
    created_at: dt.datetime
    waiting_since: dt.datetime | None = Field(description="When it was sent to review.")
    reason: str | None = Field(description="Why it needs review, as the pipeline wrote it.")
    review_flags: list[str] = Field(description="The done rule's flags (e.g. low_confidence:total_amount).")
    extraction_version: int | None = Field(description="The version a correction must name.")
    flagged_fields: list[str] = Field(description="Fields the flags point at: where to look first.")


class ReviewQueuePublic(BaseModel):
    """A page of the review queue."""

    data: list[ReviewQueueItem]
    order: ReviewOrder
    limit: int
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last.")


class ReviewField(BaseModel):
    """One value as a reviewer sees it: the value, its evidence, its type and where it is."""

    value: FieldScalar
    confidence: float | None = Field(description="0..1; null when unknown.")
    page: int | None = Field(description="1-based page the value came from.")
    source_text: str | None
    bbox: tuple[float, float, float, float] | None = Field(
        description="Where on the page: (x0, y0, x1, y1) as fractions 0..1 of the page image's "
        "width and height, origin top-left; null when not known."
    )
    flags: list[str] = Field(description="The field's own flags (e.g. disagreement, ungrounded).")
    review_flags: list[str] = Field(
        description="The document's review flags about this field (why it was sent to a person)."
    )
    kind: FieldKindName = Field(description="The schema's type for the value (what a correction must be).")
    required: bool = Field(description="The schema requires it.")
    essential: bool = Field(description="The done rule needs it (present, confident, consistent).")


class CorrectionPublic(BaseModel):
    """One field a person changed, as the audit trail keeps it."""

    field: str = Field(description="A field name, or a table path (line_items[2].amount).")
    before: Any
    after: Any
    from_version: int
    to_version: int
    author: str
    corrected_at: dt.datetime


class ReviewDocument(BaseModel):
    """One document in review: the reasons, the current version, every field and table cell."""

    id: str
    status: DocumentStatus
    file_name: str
    schema_name: str
    licence_tier: str
    page_count: int | None
    reason: str | None
    review_flags: list[str]
    extraction_version: int
    source: str = Field(description="Who made the current version: engine or human.")
    author: str | None = Field(description="The reviewer who made a human version.")
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    fields: dict[str, ReviewField] = Field(description="Every field of the schema, found or not.")
    tables: dict[str, list[dict[str, ReviewField]]] = Field(
        description="Table rows; a cell is corrected by the path ``table[row].column`` (0-based row)."
    )
    corrections: list[CorrectionPublic] = Field(description="Every correction so far, oldest first.")


class FieldCorrections(BaseModel):
    """New values for some fields of the current extraction version."""

    model_config = ConfigDict(extra="forbid")

    extraction_version: int = Field(
        ge=1, description="The version the corrections were made on; a newer one answers 409."
    )
    fields: dict[Annotated[str, StringConstraints(min_length=1, max_length=200)], FieldScalar] = Field(
        min_length=1,
        max_length=500,
        description="Field name (or ``table[row].column``) -> new value; null clears it. Dates "
        "as ISO 8601 text, amounts as numbers.",
    )


def _version_seen() -> Any:
    return Field(
        None,
        ge=1,
        description="The extraction version the reviewer looked at; a newer one answers 409. "
        "Omitted: the version current when the request arrives.",
    )


class Approval(BaseModel):
    """A reviewer's approval of the version they saw."""

    model_config = ConfigDict(extra="forbid")

    extraction_version: int | None = _version_seen()


class Rejection(BaseModel):
    """Why a reviewer rejects a document."""

    model_config = ConfigDict(extra="forbid")

    extraction_version: int | None = _version_seen()

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = Field(
        description="Shown to the tenant as the document's reason."
    )


class ReviewDecision(BaseModel):
    """A document after a reviewer's correction, approval or rejection."""

    id: str
    status: DocumentStatus
    extraction_version: int | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    changed: list[str] = Field(
        default_factory=list, description="The paths a correction changed (empty: nothing new)."
    )
