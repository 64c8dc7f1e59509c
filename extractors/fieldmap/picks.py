"""A value the money and date pickers chose, with the cells it came from, how it was found and why.

The raw confidence of a field is the OCR confidence of its cells (text-layer cells count as
1.0) x where the value sat relative to its label (1.0 same cell, 0.97 next cell on the row,
0.93 under the label) x ``strength``: how strong the rule that chose it is. Each picker says
what its strengths mean; a value found by a weak rule must look weak, because calibration
learns probabilities from (method, raw confidence, evidence) on labelled documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from extractors.fieldmap.layout import Cell
from models.extraction import ExtractedField, FieldScalar


@dataclass
class Pick:
    """A value chosen among candidates, before it becomes an ``ExtractedField``."""

    value: FieldScalar
    cells: Sequence[Cell]
    placement: float  # 1.0 same cell as the label, 0.97 next cell, 0.93 under it
    strength: float  # how strong the rule that chose it is (see the picker's docstring)
    method: str  # a short stable name, e.g. "total:keyword+sum", "date:labelled"
    evidence: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def to_field(self, page_number: int) -> ExtractedField:
        """The ``ExtractedField``: confidence, source text and box from the cells."""
        cells = list(dict.fromkeys(self.cells))
        ocr = sum(c.confidence for c in cells) / len(cells)
        return ExtractedField(
            value=self.value,
            confidence=round(max(0.0, min(1.0, ocr * self.placement * self.strength)), 4),
            page=page_number,
            source_text=" ".join(dict.fromkeys(c.text for c in cells)),
            flags=list(self.flags),
            bbox=(
                min(c.x0 for c in cells),
                min(c.y0 for c in cells),
                max(c.x1 for c in cells),
                max(c.y1 for c in cells),
            ),
            method=self.method,
            evidence=list(self.evidence),
        )
