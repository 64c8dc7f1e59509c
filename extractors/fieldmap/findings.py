"""A value a reader found, before it becomes an ``ExtractedField``: its text, the cells it
came from, the raw quality of the rule that found it, and how and why it was found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from extractors.fieldmap.layout import Cell


@dataclass(frozen=True)
class Finding:
    """What a reader found: text, source cells, raw quality, method and evidence."""

    text: str
    cells: Sequence[Cell]
    quality: float
    method: str
    evidence: Sequence[str] = ()
