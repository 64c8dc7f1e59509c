"""Vendor memory in the local engine: learn where a vendor prints each field from a reviewer's
approved values, and use it as a prior on the vendor's next page. Pure functions, no I/O.

**Learning** (:func:`learn_fields`): for each approved value, every place on the page that
holds it is found (a cell, the end of a cell after a label, a run of stacked lines, a part of
a longer text) and ranked: after or under a short label first, then a bare position, then a
part of a longer text. Where the mapper had read the value right, its own place wins ties.
The best place becomes a :class:`~models.vendor.FieldMemory`: the label as printed
(normalised), where label and value sat (page-relative boxes), and how they relate.

**Applying** (:func:`apply_prior`), on a page matched to the vendor (``vendor_keys``): for
each remembered field the label is looked up (the occurrence nearest its remembered place),
and the value read where it sat relative to it: the rest of the label's cell, the next cell
on its row, or the lines under it (shifted with the label, so totals that move down with
more item lines are still found). A field remembered without a label is read at its place,
on the page it was learned on; a remembered constant (the vendor's name inside a footer
sentence) only when that text is printed again. The value must still read as its kind.

Confidence stays earned: a value the memory finds and the mapper did not gets the raw score
``ocr x 0.92`` (at its label) or ``x 0.85`` (position) or ``x 0.9`` (printed constant) with a
method of its own (``vendor:label``, ``vendor:position``, ``vendor:printed``), so calibration
treats it as any other method; where memory and mapper agree, the mapper's value keeps its
method and its raw score moves a quarter of the way to 1. Either way the field's evidence
says which vendor profile, and why that profile was chosen. With no profile, nothing here
runs and the mapper's result is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.mapper import PageContext
from extractors.fieldmap.vendor_keys import fold
from models.evaluation.rules import compare
from models.evaluation.truth import TruthValueError
from models.extraction import ExtractedField, FieldScalar, PageExtraction
from models.page import BBox, TextLine
from models.schemas import ExtractionSchema, FieldKind, FieldSpec
from models.vendor import FieldMemory, Placement, VendorMatch

LABEL_QUALITY = 0.92
POSITION_QUALITY = 0.85
PRINTED_QUALITY = 0.9
AGREEMENT_SHARE = 0.25  # of the distance to 1 added to the raw score when memory agrees
_RANK = {Placement.SAME_CELL: 3.0, Placement.RIGHT: 3.0, Placement.BELOW: 2.0, Placement.POSITION: 1.0}
_TEXT_KINDS = (FieldKind.TEXT, FieldKind.ADDRESS)
_SPLIT = re.compile(r"[\s:]+")


def label_form(text: str) -> str:
    """A label as compared: folded, without digits ("Tax 23%" and "Tax 9%" are one label)."""
    return " ".join(re.sub(r"\d+", " ", fold(text)).split())


def _squeezed(text: object) -> str:
    return fold(str(text)).replace(" ", "")


def _same(spec: FieldSpec, expected: FieldScalar, value: FieldScalar) -> bool:
    if expected is None or value is None:
        return False
    if spec.kind in _TEXT_KINDS:
        return _squeezed(expected) == _squeezed(value)
    try:
        return compare(spec.kind, spec.name, expected, value).correct
    except TruthValueError:
        return False


def _labelish(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 2 and letters > sum(ch.isdigit() for ch in text) and len(text) <= 48


def _box(cells: Sequence[Cell]) -> BBox:
    return (
        min(c.x0 for c in cells),
        min(c.y0 for c in cells),
        max(c.x1 for c in cells),
        max(c.y1 for c in cells),
    )


def _overlaps(a: BBox, b: BBox) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _label_splits(text: str) -> list[tuple[str, str]]:
    """(label, rest) for every split of a cell after a word, label first-shortest."""
    return [
        (text[: m.start()].strip(), text[m.end() :])
        for m in _SPLIT.finditer(text)
        if m.end() < len(text) and _labelish(text[: m.start()].strip())
    ]


@dataclass(frozen=True)
class _Spot:
    """A place on the page holding the approved value (learning)."""

    cells: tuple[Cell, ...]
    rows: tuple[int, ...]
    placement: Placement
    label: str | None = None
    label_box: BBox | None = None
    printed: str | None = None


def _label_of(ctx: PageContext, r: int, c: int) -> tuple[Placement, Cell] | None:
    """The label beside (left, same row) or above a value cell, if one is there."""
    row = ctx.rows[r]
    if c > 0 and _labelish(row.cells[c - 1].text):
        return Placement.RIGHT, row.cells[c - 1]
    cell = row.cells[c]
    if r == 0 or cell.y0 - ctx.rows[r - 1].y1 > 1.5 * ctx.unit:
        return None  # only the row right above labels a value (not a table's header rows away)
    over = [a for a in ctx.rows[r - 1].cells if a.overlaps_x(cell) > 0]
    return (Placement.BELOW, over[0]) if over and _labelish(over[0].text) else None


def _cell_spots(ctx: PageContext, spec: FieldSpec, value: FieldScalar) -> list[_Spot]:
    spots: list[_Spot] = []
    for r, row in enumerate(ctx.rows):
        for c, cell in enumerate(row.cells):
            split = next(
                (
                    (lab, rest)
                    for lab, rest in _label_splits(cell.text)
                    if _same(spec, value, ctx.typed(spec.kind, rest))
                ),
                None,
            )
            if split is not None:
                spots.append(_Spot((cell,), (r,), Placement.SAME_CELL, label_form(split[0]), cell.bbox))
            elif _same(spec, value, ctx.typed(spec.kind, cell.text)):
                label = _label_of(ctx, r, c)
                if label is None:
                    spots.append(_Spot((cell,), (r,), Placement.POSITION))
                else:
                    spots.append(_Spot((cell,), (r,), label[0], label_form(label[1].text), label[1].bbox))
            elif (
                spec.kind in _TEXT_KINDS
                and len(_squeezed(value)) >= 6
                and _squeezed(value) in _squeezed(cell.text)
            ):
                spots.append(_Spot((cell,), (r,), Placement.PRINTED, printed=str(value)))
    return spots


def _stacked_spots(ctx: PageContext, spec: FieldSpec, value: FieldScalar) -> list[_Spot]:
    """A text printed over several lines (an address block, a long name), one cell a line."""
    if spec.kind not in _TEXT_KINDS:
        return []
    target = _squeezed(value)
    spots: list[_Spot] = []
    for r, row in enumerate(ctx.rows):
        for start in row.cells:
            cells, rows, text = [start], [r], _squeezed(start.text)
            if not text or not target.startswith(text) or text == target:
                continue
            for r2 in range(r + 1, min(len(ctx.rows), r + 8)):
                below = next((x for x in ctx.rows[r2].cells if x.overlaps_x(cells[-1]) > 0), None)
                if below is None or below.y0 - cells[-1].y1 > 1.5 * ctx.unit:
                    break
                text += _squeezed(below.text)
                if not target.startswith(text):
                    break
                cells.append(below)
                rows.append(r2)
                if text == target:
                    c = ctx.rows[r].cells.index(start)
                    label = _label_of(ctx, r, c)
                    placement, lab = label if label else (Placement.POSITION, None)
                    spots.append(
                        _Spot(
                            tuple(cells),
                            tuple(rows),
                            placement,
                            label_form(lab.text) if lab else None,
                            lab.bbox if lab else None,
                        )
                    )
                    break
    return spots


def _rank(ctx: PageContext, spot: _Spot, mapped: ExtractedField | None) -> tuple[float, float]:
    score = _RANK.get(spot.placement, 0.5)
    if spot.label is not None and len(spot.label.split()) <= 4:
        score += 1.0
    if spot.placement is Placement.RIGHT and len(ctx.rows[spot.rows[0]].cells) >= 4:
        score -= 1.0  # a cell after another in a table row is rarely a label's value
    if mapped is not None and mapped.bbox is not None and _overlaps(_box(spot.cells), mapped.bbox):
        score += 2.0
    return score, spot.cells[0].y0


def learn_fields(
    lines: Sequence[TextLine],
    values: Mapping[str, FieldScalar],
    schema: ExtractionSchema,
    *,
    page_number: int = 1,
    mapped: PageExtraction | None = None,
) -> dict[str, FieldMemory]:
    """Where each approved value sits on this page (fields not found are left out).
    ``mapped``: the mapper's reading of the page; where it was right, its place wins ties."""
    ctx = PageContext(lines, page_number)
    out: dict[str, FieldMemory] = {}
    for spec in schema.fields:
        value = values.get(spec.name)
        if spec.kind is FieldKind.TABLE or value is None or isinstance(value, bool):
            continue
        spots = _cell_spots(ctx, spec, value) + _stacked_spots(ctx, spec, value)
        if not spots:
            continue
        read = mapped.fields.get(spec.name) if mapped else None
        right = read if read is not None and _same(spec, value, read.value) else None
        # Money: the lowest of equal ranks (totals sit under the items that repeat them).
        best = max(spots, key=lambda s: _rank(ctx, s, right))
        out[spec.name] = FieldMemory(
            kind=spec.kind.value,
            placement=best.placement,
            label=best.label,
            label_box=best.label_box,
            value_box=_box(best.cells),
            page=page_number,
            lines=len(set(best.rows)),
            printed=best.printed,
        )
    return out


@dataclass(frozen=True)
class _Recalled:
    value: FieldScalar
    cells: tuple[Cell, ...]
    quality: float
    method: str
    how: str


def _find_label(ctx: PageContext, memory: FieldMemory) -> tuple[int, Cell, str] | None:
    """The remembered label's occurrence nearest its remembered place: row, cell, rest of
    the cell after the label (for labels sharing their cell with the value)."""
    found: list[tuple[float, int, Cell, str]] = []
    anchor = memory.label_box or memory.value_box
    for r, row in enumerate(ctx.rows):
        for cell in row.cells:
            if memory.placement is Placement.SAME_CELL:
                rest = next(
                    (t for lab, t in _label_splits(cell.text) if label_form(lab) == memory.label), None
                )
                if rest is None:
                    continue
            elif label_form(cell.text) == memory.label:
                rest = ""
            else:
                continue
            distance = abs(cell.x0 - anchor[0]) + abs(cell.y0 - anchor[1])
            found.append((distance, r, cell, rest))
    if not found:
        return None
    _, r, cell, rest = min(found, key=lambda f: f[0])
    return r, cell, rest


def _cells_in(
    ctx: PageContext, box: BBox, *, below: float, limit: int, skip: Cell | None
) -> list[list[Cell]]:
    """Rows of cells under or at ``box`` (their centre inside its band, overlapping its
    x-range), top to bottom, at most ``limit`` rows, from ``below`` down."""
    x0, y0, x1, y1 = box
    slack = 0.25 * ctx.unit
    out: list[list[Cell]] = []
    for row in ctx.rows:
        if len(out) >= limit:
            break
        picked = [
            c
            for c in row.cells
            if c is not skip
            and c.y0 >= below
            and y0 - slack <= (c.y0 + c.y1) / 2 <= y1 + slack
            and min(c.x1, x1 + 0.01) > max(c.x0, x0 - 0.01)
        ]
        if picked:
            out.append(picked)
    return out


def _recall(ctx: PageContext, spec: FieldSpec, memory: FieldMemory) -> _Recalled | None:
    """The value the memory points to on this page, read as the field's kind."""
    if memory.placement is Placement.PRINTED:
        printed = memory.printed or ""
        cells = tuple(c for row in ctx.rows for c in row.cells if _squeezed(printed) in _squeezed(c.text))
        if not cells:
            return None
        return _Recalled(
            printed, cells[:1], PRINTED_QUALITY, "vendor:printed", "printed as on approved documents"
        )
    if memory.label is None:
        if ctx.page_number != memory.page:
            return None
        rows = _cells_in(ctx, memory.value_box, below=0.0, limit=memory.lines, skip=None)
        where = f"at its place on page {memory.page}"
        return _read(ctx, spec, rows, POSITION_QUALITY, "vendor:position", where)
    hit = _find_label(ctx, memory)
    if hit is None:
        return None
    r, label, rest = hit
    how = f"{'after' if memory.placement is not Placement.BELOW else 'under'} its label '{memory.label}'"
    if memory.placement is Placement.SAME_CELL:
        value = ctx.typed(spec.kind, rest)
        return _Recalled(value, (label,), LABEL_QUALITY, "vendor:label", how) if value is not None else None
    old = memory.label_box or label.bbox
    dx, dy = label.x0 - old[0], label.y0 - old[1]
    v = memory.value_box
    box = (v[0] + dx, v[1] + dy, v[2] + dx, v[3] + dy)
    if memory.placement is Placement.RIGHT and memory.lines == 1:
        right = [c for c in ctx.rows[r].cells if c.x0 >= label.x1 - 1e-6]
        if not right:
            return None
        centre = (box[0] + box[2]) / 2
        nearest = min(right, key=lambda c: abs((c.x0 + c.x1) / 2 - centre))
        return _read(ctx, spec, [[nearest]], LABEL_QUALITY, "vendor:label", how)
    top = label.y1 - 0.3 * label.height if memory.placement is Placement.BELOW else label.y0 - ctx.unit
    rows = _cells_in(ctx, box, below=top, limit=memory.lines, skip=label)
    return _read(ctx, spec, rows, LABEL_QUALITY, "vendor:label", how)


def _read(
    ctx: PageContext, spec: FieldSpec, rows: list[list[Cell]], quality: float, method: str, how: str
) -> _Recalled | None:
    if not rows:
        return None
    joiner = ", " if spec.kind is FieldKind.ADDRESS else " "
    text = joiner.join(" ".join(c.text for c in row) for row in rows)
    value = ctx.typed(spec.kind, text)
    if value is None:
        return None
    return _Recalled(value, tuple(c for row in rows for c in row), quality, method, how)


def apply_prior(
    lines: Sequence[TextLine], extraction: PageExtraction, match: VendorMatch, schema: ExtractionSchema
) -> PageExtraction:
    """``extraction`` (the mapper's reading of the page) with the vendor's memory applied."""
    page_number = extraction.page_numbers[0] if extraction.page_numbers else 1
    ctx = PageContext(lines, page_number)
    fields = dict(extraction.fields)
    for spec in schema.fields:
        memory = match.profile.fields.get(spec.name)
        if memory is None or memory.kind != spec.kind.value or spec.kind is FieldKind.TABLE:
            continue
        recalled = _recall(ctx, spec, memory)
        if recalled is None:
            continue
        note = f"vendor memory: {match.explanation}: {recalled.how}"
        current = fields.get(spec.name)
        if current is not None and _same(spec, current.value, recalled.value):
            raw = current.confidence
            boosted = None if raw is None else round(raw + AGREEMENT_SHARE * (1.0 - raw), 4)
            fields[spec.name] = current.model_copy(
                update={"confidence": boosted, "evidence": [*current.evidence, f"{note} (agrees)"]}
            )
            continue
        found = ctx.field(recalled.value, recalled.cells, recalled.quality)
        evidence = [note]
        if current is not None:
            evidence.append(f"instead of the mapper's {current.value!r} ({current.method or 'no method'})")
        fields[spec.name] = found.model_copy(update={"method": recalled.method, "evidence": evidence})
    return extraction.model_copy(update={"fields": fields})


def rows_of(lines: Sequence[TextLine]) -> list[Row]:
    """The page's rows as the mapper sees them (for vendor matching)."""
    return PageContext(lines, 1).rows
