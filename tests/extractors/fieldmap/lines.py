"""Pages as line lists the way OCR or a text layer gives them (boxes normalised 0..1), and the
mapper's reading of them."""

from __future__ import annotations

from extractors.fieldmap.mapper import map_page
from models.extraction import PageExtraction
from models.page import TextLine
from models.schemas import get_schema


def line(
    text: str, y: float, *, x0: float = 0.1, x1: float = 0.6, height: float = 0.015, confidence: float = 1.0
) -> TextLine:
    """A line of ``text`` with its top at ``y``."""
    return TextLine(text=text, bbox=(x0, y, x1, y + height), confidence=confidence)


def receipt(lines: list[TextLine]) -> PageExtraction:
    """The receipt schema's fields read from ``lines``."""
    return map_page(lines, get_schema("receipt"), page_number=1)


def invoice(lines: list[TextLine]) -> PageExtraction:
    """The invoice schema's fields read from ``lines``."""
    return map_page(lines, get_schema("invoice"), page_number=1)


def value(result: PageExtraction, name: str) -> object:
    """The value read for ``name``, None when none was."""
    found = result.fields.get(name)
    return found.value if found is not None else None
