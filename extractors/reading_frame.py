"""Map a page in the frame its text reads in, and give the boxes back as the page is shown.

A PDF page turned by ``/Rotate`` (a portrait invoice shown on its side, or upside down) keeps
its lines running left to right in its unrotated frame, while every box Folio stores is of
the page as shown (the review page draws them on the rendered image). The field mapper's
geometry (a value right of or below its label, the seller near the top, totals at the
bottom right) only holds in the reading frame, so :func:`map_in_reading_frame` turns the
lines into it, maps, and turns every field's and table cell's box back.

``turn`` is how far the page as shown is turned clockwise from its reading frame, in degrees
(0, 90, 180 or 270: :attr:`models.page.PreparedPage.reading_turn`). Boxes are fractions of
the page (0..1, origin top-left), so a quarter turn is exact whatever the page's aspect.
"""

from __future__ import annotations

from typing import Any

from extractors.fieldmap.mapper import map_page
from models.extraction import ExtractedField, PageExtraction
from models.page import BBox, TextLine, Turn
from models.schemas import ExtractionSchema

TURNS = (0, 90, 180, 270)


def _point_to_reading(x: float, y: float, turn: int) -> tuple[float, float]:
    if turn == 90:
        return y, 1.0 - x
    if turn == 180:
        return 1.0 - x, 1.0 - y
    if turn == 270:
        return 1.0 - y, x
    return x, y


def _point_to_shown(x: float, y: float, turn: int) -> tuple[float, float]:
    # Turning back by ``turn`` is turning forward by the rest of the circle.
    return _point_to_reading(x, y, (360 - turn) % 360)


def _turned(box: BBox, turn: int, *, to_reading: bool) -> BBox:
    move = _point_to_reading if to_reading else _point_to_shown
    ax, ay = move(box[0], box[1], turn)
    bx, by = move(box[2], box[3], turn)
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))


def to_reading(box: BBox, turn: int) -> BBox:
    """``box`` of the page as shown, in the reading frame."""
    return _turned(box, turn, to_reading=True)


def to_shown(box: BBox, turn: int) -> BBox:
    """``box`` of the reading frame, on the page as shown."""
    return _turned(box, turn, to_reading=False)


def lines_in_reading_frame(lines: list[TextLine], turn: Turn) -> list[TextLine]:
    """The lines with their boxes in the reading frame (the same lines when not turned)."""
    if turn == 0:
        return lines
    return [line.model_copy(update={"bbox": to_reading(line.bbox, turn)}) for line in lines]


def _shown_field(field: ExtractedField, turn: int) -> ExtractedField:
    if field.bbox is None:
        return field
    return field.model_copy(update={"bbox": to_shown(field.bbox, turn)})


def result_as_shown(result: PageExtraction, turn: Turn) -> PageExtraction:
    """``result`` (mapped in the reading frame) with every box of the page as shown."""
    if turn == 0:
        return result
    fields = {name: _shown_field(field, turn) for name, field in result.fields.items()}
    tables = {
        name: [{column: _shown_field(cell, turn) for column, cell in row.items()} for row in rows]
        for name, rows in result.tables.items()
    }
    return result.model_copy(update={"fields": fields, "tables": tables})


def map_in_reading_frame(
    lines: list[TextLine], schema: ExtractionSchema, *, turn: Turn = 0, **options: Any
) -> PageExtraction:
    """``map_page`` on ``lines`` (boxes as shown) read in their reading frame; the result's
    boxes are of the page as shown. ``options`` go to ``map_page``."""
    if turn not in TURNS:
        raise ValueError(f"a page turns by 0, 90, 180 or 270 degrees, not {turn}")
    return result_as_shown(map_page(lines_in_reading_frame(lines, turn), schema, **options), turn)
