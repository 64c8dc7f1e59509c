"""The API's own models, separate from the ORM: what callers send and receive."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from models.document import DocumentStatus
from models.outcome import DocumentOutcome


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every 4xx and 5xx answer (some carry more
    members, e.g. ``errors`` on a validation failure)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, and what to do about it.")


class UploadAccepted(BaseModel):
    """The answer to an upload: the document, new (202) or existing (200)."""

    id: str
    status: DocumentStatus
    created: bool = Field(description="False when these bytes were already a document.")
    location: str


class Timings(BaseModel):
    """When the document moved through the pipeline."""

    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    processing_seconds: float | None = Field(description="finished_at - started_at.")


class DocumentPublic(BaseModel):
    """One document's state."""

    id: str
    status: DocumentStatus
    reason: str | None
    error_code: str | None
    schema_name: str
    file_name: str
    media_type: str
    size_bytes: int
    sha256: str
    page_count: int | None
    engine: str | None
    model: str | None
    cost_usd: Annotated[
        Decimal,
        PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json"),
    ] = Field(description="Exact sum of the document's usage-ledger rows, in US dollars.")
    licence_tier: str
    attempts: int
    callback_url: str | None
    timings: Timings

    @classmethod
    def of(cls, document: DocumentOutcome) -> DocumentPublic:
        """The public view of a document's outcome."""
        timings = document.timings
        return cls(
            id=document.document_id,
            status=document.status,
            reason=document.reason,
            error_code=document.error_code,
            schema_name=document.schema_name,
            file_name=document.file_name,
            media_type=document.media_type,
            size_bytes=document.size_bytes,
            sha256=document.sha256,
            page_count=document.pages,
            engine=document.engine,
            model=document.model,
            cost_usd=document.cost_usd,
            licence_tier=document.licence_tier,
            attempts=document.attempts,
            callback_url=document.callback_url,
            timings=Timings(
                created_at=timings.created_at,
                started_at=timings.started_at,
                finished_at=timings.finished_at,
                processing_seconds=timings.processing_seconds,
            ),
        )


class DocumentsPublic(BaseModel):
    """A page of documents, newest first. Like every list of the API: ``data``, ``limit`` and
    ``next_cursor`` (pass it as ``cursor`` for the next page)."""

    data: list[DocumentPublic]
    count: int = Field(description="Documents matching the filters, all pages together.")
    limit: int
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last.")
    offset: int = Field(description="Deprecated (use cursor): the offset this page started at.")
    next_offset: int | None = Field(
        description="Deprecated (use next_cursor): offset of the next page; null on the last."
    )


class FieldPublic(BaseModel):
    """One extracted field with its evidence."""

    value: Any
    confidence: float | None = Field(
        description="0..1; null when unknown (e.g. the model server's log-probabilities did not "
        "line up with the value), never a default."
    )
    page: int | None
    source_text: str | None
    flags: list[str]


class ExtractionPublic(BaseModel):
    """The current extraction of a document."""

    document_id: str
    status: DocumentStatus
    version: int
    schema_name: str
    engine: str
    model: str | None
    fields: dict[str, FieldPublic]
    tables: dict[str, list[dict[str, FieldPublic]]]
    review_flags: list[str]
    page_failures: list[dict[str, Any]]
