"""What an engine returns: fields with value, confidence, page and source text."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from models.page import BBox
from models.usage import EngineCall

# JSON-native values: strings, ISO 8601 dates as strings, amounts as numbers.
FieldScalar = str | int | float | bool | None


class ExtractedField(BaseModel):
    """One extracted value and the evidence for it."""

    value: FieldScalar
    confidence: float | None = Field(
        ge=0.0,
        le=1.0,
        description="Probability-like 0..1 from the engine; None when it is unknown (e.g. the "
        "model server's log-probabilities could not be aligned with the value): unknown is "
        "never a passing default, and such a field carries the flag 'confidence_unknown'.",
    )
    page: int | None = Field(None, ge=1, description="1-based page the value came from.")
    source_text: str | None = Field(None, description="The text the value was read from.")
    bbox: BBox | None = None
    flags: list[str] = Field(
        default_factory=list,
        description="e.g. ungrounded, conflict, disagreement (a second witness read something "
        "else), confidence_unknown.",
    )
    method: str | None = Field(
        None,
        description="How the value was found (e.g. 'label:right', 'keyword:total', 'top_line', "
        "'logprob'): a calibration input, so values found by weak rules earn less confidence.",
    )
    evidence: list[str] = Field(
        default_factory=list,
        description="What supports or weakens the value, for a person: the label matched, "
        "digits repaired by OCR rules (e.g. 'repaired 6413 -> 64.13'), checks passed or failed.",
    )


ExtractedRow = dict[str, ExtractedField]


class PageFailure(BaseModel):
    """A page that could not be prepared or extracted; the rest of the document goes on."""

    page_number: int = Field(ge=1)
    code: str
    message: str


class PageExtraction(BaseModel):
    """An engine's answer for one group of pages (one page for the local engine)."""

    page_numbers: list[int]
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    tables: dict[str, list[ExtractedRow]] = Field(default_factory=dict)
    calls: list[EngineCall] = Field(default_factory=list)
    failure: PageFailure | None = None


class DocumentExtraction(BaseModel):
    """All pages merged into one result for the document."""

    schema_name: str
    schema_version: str
    engine: str
    model: str | None = None
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    tables: dict[str, list[ExtractedRow]] = Field(default_factory=dict)
    page_failures: list[PageFailure] = Field(default_factory=list)
    review_flags: list[str] = Field(default_factory=list)
    calls: list[EngineCall] = Field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """Plain name -> value view (tables as lists of row dicts), as the schema sees it."""
        out: dict[str, Any] = {name: f.value for name, f in self.fields.items()}
        for name, rows in self.tables.items():
            out[name] = [{col: cell.value for col, cell in row.items()} for row in rows]
        return out

    @property
    def min_confidence(self) -> float | None:
        """The lowest known confidence of the single fields (unknown ones are skipped: see
        ``ExtractedField.confidence``); None when no field has a known confidence."""
        confidences = [f.confidence for f in self.fields.values() if f.confidence is not None]
        return min(confidences) if confidences else None
