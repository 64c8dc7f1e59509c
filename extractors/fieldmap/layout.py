"""Lines -> rows of cells: the page geometry the field mapper reasons about.

A text-layer page may give a label and its value as two lines on one baseline; OCR gives one
line per baseline with runs of spaces between the pieces. Both become the same thing here:
rows (one per baseline, top to bottom) of cells (pieces of text separated by two or more
spaces or a tab, left to right), each cell with its own box. A cell's x-extent inside a
merged line is estimated from its character offsets, which is close because OCR lines pad
gaps with spaces in proportion to their width.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.page import BBox, TextLine

_CELL_BREAK = re.compile(r"\t+|\s{2,}")


@dataclass(frozen=True)
class Cell:
    """A piece of a line: one label, one value or one table cell."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float
    # The least character probability of the OCR line the cell was cut from (None: a
    # text-layer line, or an OCR that does not report it).
    weakest: float | None = None

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlaps_x(self, other: Cell, slack: float = 0.0) -> float:
        """Horizontal overlap with ``other`` (0 when apart), widened by ``slack`` each side."""
        return max(0.0, min(self.x1, other.x1) + slack - max(self.x0, other.x0))


@dataclass
class Row:
    """Cells sharing a baseline, left to right."""

    cells: list[Cell] = field(default_factory=list)

    @property
    def y0(self) -> float:
        return min(c.y0 for c in self.cells)

    @property
    def y1(self) -> float:
        return max(c.y1 for c in self.cells)

    @property
    def height(self) -> float:
        return statistics.median(c.height for c in self.cells)

    @property
    def text(self) -> str:
        return "  ".join(c.text for c in self.cells)

    @property
    def centre(self) -> float:
        return statistics.fmean((c.y0 + c.y1) / 2 for c in self.cells)


def split_cells(line: TextLine) -> list[Cell]:
    """A line's cells, with x-extents in proportion to their character offsets."""
    text = line.text.rstrip()
    x0, y0, x1, y1 = line.bbox
    if not text.strip():
        return []
    width = (x1 - x0) / max(len(text), 1)
    cells = []
    start = 0
    for gap in [*_CELL_BREAK.finditer(text), None]:
        end = gap.start() if gap else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            cells.append(
                Cell(
                    stripped,
                    x0 + width * (start + lead),
                    y0,
                    x0 + width * (start + lead + len(stripped)),
                    y1,
                    line.confidence,
                    line.min_char_confidence,
                )
            )
        if gap:
            start = gap.end()
    return cells


def build_rows(lines: Sequence[TextLine]) -> list[Row]:
    """Cells grouped into rows: a line joins a row when its centre is within half a text
    height of the row's and it does not overlap the row's cells horizontally (which keeps
    apart the slanted, overlapping boxes of consecutive OCR lines of a rotated scan)."""
    rows: list[Row] = []
    for line in sorted(lines, key=lambda item: (item.bbox[1] + item.bbox[3]) / 2):
        cells = split_cells(line)
        if not cells:
            continue
        centre = (line.bbox[1] + line.bbox[3]) / 2
        height = line.bbox[3] - line.bbox[1]
        target = None
        for row in reversed(rows[-3:]):
            close = abs(row.centre - centre) < 0.5 * min(height, row.height)
            apart = all(c.overlaps_x(o) == 0 for c in cells for o in row.cells)
            if close and apart:
                target = row
                break
        if target is None:
            rows.append(Row(cells))
        else:
            target.cells = sorted([*target.cells, *cells], key=lambda c: c.x0)
    return rows


def typical_height(rows: Sequence[Row]) -> float:
    """Median text height on the page (a unit for gaps and distances)."""
    heights = [c.height for row in rows for c in row.cells if c.height > 0]
    return statistics.median(heights) if heights else 0.01
