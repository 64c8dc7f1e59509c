"""Put back the spaces the recogniser drops, from the blank columns of the line image.

PP-OCRv4's recogniser was trained mostly on Chinese, where words are not spaced; on small or
blurred Latin print it often glues words (``BAECKEREISONNE``, ``LOT26151BANDAR``). The crop
itself still shows the space: a run of blank columns between two glyphs (ink runs).

The line's ``unit`` is its character cell: the width of the grid the centres of its
full-width glyphs fit (``grid_fit``: circular mean resultant of centre/cell; monospaced
receipt type scores 0.9 and more), else the mean advance (ink extent over the characters
read). Only full-width glyphs place the grid: the ink of a narrow glyph is not centred in its
cell (the stem of ``l`` or ``i`` leans to one side, the serifs and feet that widen it are too
thin to count as ink), nor is a piece of a faded glyph. On such a grid, ink runs that fit in
one cell together are one glyph (a faded ``H`` read as two stems, an ``L`` whose foot breaks
off), and a run under a tenth of a cell is a speck of dirt (no glyph is that thin).

A blank is a space when:

- the glyph centres either side are at least ``cell_spread`` units apart (an empty cell;
  a run wider than a unit is letters printed touching, taken as one unit at its edge); or
- the blank is an outlier among the line's letter gaps (at least ``letter_gaps`` times the
  median blank and ``min_gap`` of the mean advance), unless a neighbour is a narrow glyph
  (``I 1 . :``) with as wide a blank (within 1.5x) on its other side: in monospaced type a
  narrow glyph sits mid-cell with wide blanks both sides, which is no space (``7.70``),
  while in proportional type ``BAECKEREI SONNE`` has a tight ``EI`` and a wide ``I S``.

On a grid the outlier test is held to the grid: in monospaced print an uneven blank is the
shape of the letters (``e|l`` in ``Selangor``, ``r|a`` in ``Cheras``, the stem of a ``T``
whose bar is above the text band), not a space. Between full-width glyphs it counts only
where their centres are more than ``grid_spread`` cells apart (adjacent cells sit one cell
apart, give or take the jitter of the print); beside a narrow glyph, only where the blank is
at least ``narrow_ratio`` times the glyph's blank on its other side (a stem off the middle of
its cell leaves blanks up to about twice each other; a narrow glyph at the end of the crop has
no other side to tell by, so a blank beside it is no space). The test stays because a line of
proportional capitals can fit a grid by chance (``TAX INVOICE``, ``BAECKEREI SONNE``): there a
space is only a blank a little wider than a letter's (full-width glyphs either side about 1.2
cells apart, or three times the blank on the other side of the ``I``).

No space is put inside a number on a blank narrower than a whole character (``2018``,
``43.40``: digits and decimal points sit unevenly in proportional type), and a space the
recogniser itself put there is taken out (``RM43. 40``); nor is one put where a character
was read inside the blank (a faint hyphen or faded digit the ink test missed).
Wider blanks stand for several spaces (two or more mean a column break to the field mapper,
as between detected segments): one per empty cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from extractors.ocr_read import REC_HEIGHT, REC_STEP, Reading


@dataclass(frozen=True)
class SpaceRule:
    """Thresholds of the space test (see the module doc)."""

    grid_fit: float = 0.8
    cell_spread: float = 1.5
    min_gap: float = 0.3
    letter_gaps: float = 3.0
    grid_spread: float = 1.15
    narrow_ratio: float = 2.5


# Separate full-width glyphs needed to fit a grid of cells.
_GLYPHS_TO_TELL = 6
# A glyph is narrow below half a unit (``I 1 . :``, the stem of ``l``), full-width from there
# up to a little over one unit (wider runs are letters printed touching); a run under a tenth
# of a cell is a speck; runs that fit in nine tenths of a cell together are one glyph.
_NARROW = 0.5
_FULL_MAX = 1.1
_SPECK = 0.1
_ONE_GLYPH = 0.9
# Off a grid, a blank beside a narrow glyph is a space when it is this many times the glyph's
# blank on its other side (see the module doc).
_NARROW_RATIO_OFF_GRID = 1.5


def _ink_columns(crop: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.bool_], int]:
    """Which columns of the text band hold ink, and the band's height in pixels."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    light, dark = np.percentile(gray, (90, 2))
    if gray.mean() < (light + dark) / 2:  # light print on a dark ground
        gray = 255 - gray
        light, dark = 255 - dark, 255 - light
    if light - dark < 24:
        return np.zeros(gray.shape[1], dtype=bool), 0
    # Ink is anything a quarter of the way from paper to the darkest print, not Otsu's split:
    # thermal receipts fade within a line, and a faded glyph must not read as a gap.
    ink = (gray < light - 0.25 * (light - dark)).astype(np.uint8)
    rows = ink.sum(axis=1)
    if rows.max() == 0:
        return np.zeros(gray.shape[1], dtype=bool), 0
    # The band of the line itself: the rows around the inkiest one, so that the tops and
    # tails of neighbouring lines inside the crop's margin do not fill its gaps.
    strong = rows >= 0.2 * rows.max()
    centre = int(rows.argmax())
    top = centre
    while top > 0 and strong[top - 1]:
        top -= 1
    bottom = centre
    while bottom < len(rows) - 1 and strong[bottom + 1]:
        bottom += 1
    band_height = bottom - top + 1
    # A speck of noise must not split a gap: a column holds ink from a few pixels on.
    counts = ink[top : bottom + 1].sum(axis=0)
    return counts >= max(1, round(0.08 * band_height)), band_height


def _runs(columns: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) of each run of True columns, end exclusive."""
    padded = np.concatenate(([False], columns, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _cell(glyphs: list[tuple[int, int]], count: int, rule: SpaceRule) -> float | None:
    """The cell width when the centres of the full-width glyphs sit on a grid; None when they
    do not, or when there are too few separate full-width glyphs to tell. ``count``: the
    characters read."""
    extent = glyphs[-1][1] - glyphs[0][0]
    pitch = extent / count
    centres = np.array([(a + b) / 2 for a, b in glyphs if _NARROW * pitch <= b - a <= _FULL_MAX * pitch])
    if len(centres) < _GLYPHS_TO_TELL:
        return None
    # The pitch from the ink extent over the characters read is near the cell, a little above
    # it where spaces were dropped: try cells around it and keep the best-fitting grid. No cell
    # wider than the extent over count - 1 can be: the characters read take a cell each, and
    # the first and last ink lie in the first and last cell (proportional print with wide
    # blanks around narrow glyphs, such as "TOTAL 12.50", can fit such a grid by chance).
    candidates = np.linspace(0.7 * pitch, 1.15 * pitch, 46)
    fits = np.abs(np.exp(2j * np.pi * centres[np.newaxis, :] / candidates[:, np.newaxis]).mean(axis=1))
    fits[candidates > extent / max(count - 1, 1)] = 0.0
    best = int(fits.argmax())
    return float(candidates[best]) if fits[best] >= rule.grid_fit else None


def _whole_glyphs(glyphs: list[tuple[int, int]], cell: float) -> list[tuple[int, int]]:
    """On a grid of ``cell``: runs that fit in one cell together joined into one glyph, then
    specks dropped (see the module doc)."""
    joined = [glyphs[0]]
    for start, end in glyphs[1:]:
        if end - joined[-1][0] <= _ONE_GLYPH * cell:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    kept = [(a, b) for a, b in joined if b - a >= _SPECK * cell]
    return kept if len(kept) >= 2 else joined


def _beside_narrow_ok(
    glyphs: list[tuple[int, int]], gaps: list[int], index: int, unit: float, ratio: float, *, at_edge: bool
) -> bool:
    """Whether a wide blank next to a narrow glyph (``I 1 . :``) is wide for that glyph: at
    least ``ratio`` times the glyph's blank on its other side (in monospaced type a narrow glyph
    sits mid-cell with as wide a blank on its other side). ``at_edge``: what to answer for a
    narrow glyph at the end of the crop, with no other side."""
    left, right = glyphs[index], glyphs[index + 1]
    gap = gaps[index]
    if left[1] - left[0] < _NARROW * unit:
        if index == 0:
            if not at_edge:
                return False
        elif gap < ratio * gaps[index - 1]:
            return False
    if right[1] - right[0] < _NARROW * unit:
        if index + 1 == len(gaps):
            return at_edge
        return gap >= ratio * gaps[index + 1]
    return True


def _inside_number(chars: list[str], at: int) -> bool:
    """Whether the characters either side of position ``at`` both belong to a number."""
    left, right = chars[at - 1], chars[at]
    return (
        (left.isdigit() or left in ".,")
        and (right.isdigit() or right in ".,")
        and (left.isdigit() or right.isdigit())
    )


@dataclass(frozen=True)
class _Blanks:
    """A crop's glyphs and the measures the space test reads its blanks by (crop pixels)."""

    glyphs: list[tuple[int, int]]  # ink runs, (start, end) with end exclusive
    gaps: list[int]  # blank columns between glyph i and glyph i + 1
    pitch: float  # mean advance: ink extent over the characters read
    unit: float  # the character cell (see the module doc)
    letter_gap: float  # the line's median blank
    positions: list[float]  # where each character was read
    on_grid: bool  # whether the unit is a fitted cell (monospaced print)

    def spread(self, index: int) -> float:
        """Distance between the glyph centres either side of blank ``index``; a wider run is
        letters printed touching: its last (or first) glyph is taken as one unit wide."""
        (left_start, left_end), (right_start, right_end) = self.glyphs[index], self.glyphs[index + 1]
        return (
            min(left_end - left_start, self.unit) / 2
            + self.gaps[index]
            + min(right_end - right_start, self.unit) / 2
        )


def respace(reading: Reading, crop: npt.NDArray[np.uint8], rule: SpaceRule) -> str:
    """The reading's text with the spaces its crop shows and the recogniser left out."""
    chars = list(reading.chars)
    if len(chars) < 2:
        return reading.text
    blanks = _measure(reading, crop, rule)
    if blanks is None:
        return reading.text
    inserts = _missing_spaces(chars, blanks, rule)
    drops = _unspaced_in_numbers(chars, blanks, rule)
    if not inserts and not drops:
        return reading.text
    out = []
    for index, char in enumerate(chars):
        out.append(" " * inserts.get(index, 0))
        if index not in drops:
            out.append(char)
    return "".join(out)


def _measure(reading: Reading, crop: npt.NDArray[np.uint8], rule: SpaceRule) -> _Blanks | None:
    """The crop's blanks; None when the crop shows too little ink to tell."""
    columns, band_height = _ink_columns(crop)
    glyphs = _runs(columns)
    if len(glyphs) < 2 or band_height < 4:
        return None
    pitch = (glyphs[-1][1] - glyphs[0][0]) / len(reading.chars)
    if pitch <= 0:
        return None
    cell = _cell(glyphs, len(reading.chars), rule)
    if cell is not None:
        glyphs = _whole_glyphs(glyphs, cell)
        if len(glyphs) < 2:
            return None
    gaps = [b[0] - a[1] for a, b in zip(glyphs, glyphs[1:], strict=False)]
    # Where each character was read, in crop pixels (a time step covers REC_STEP pixels of
    # the crop scaled to REC_HEIGHT).
    to_crop = crop.shape[0] / REC_HEIGHT
    return _Blanks(
        glyphs=glyphs,
        gaps=gaps,
        pitch=pitch,
        unit=cell or pitch,
        letter_gap=max(1.0, float(np.median(gaps))),
        positions=[(step + 0.5) * REC_STEP * to_crop for step in reading.steps],
        on_grid=cell is not None,
    )


def _missing_spaces(chars: list[str], blanks: _Blanks, rule: SpaceRule) -> dict[int, int]:
    """How many spaces to put before each character position, where the crop shows a space."""
    glyphs, gaps, unit, pitch, positions = (
        blanks.glyphs,
        blanks.gaps,
        blanks.unit,
        blanks.pitch,
        blanks.positions,
    )
    inserts: dict[int, int] = {}
    for index, ((_, left_end), (right_start, _)) in enumerate(zip(glyphs, glyphs[1:], strict=False)):
        gap = gaps[index]
        spread = blanks.spread(index)
        outlier = gap >= rule.min_gap * pitch and gap >= rule.letter_gaps * blanks.letter_gap
        if blanks.on_grid:
            # Beside a narrow glyph its other blank tells; between full-width glyphs their
            # centres do (a narrow glyph's ink centre says nothing of where its cell is).
            beside_narrow = any(b - a < _NARROW * unit for a, b in glyphs[index : index + 2])
            outlier = outlier and (
                _beside_narrow_ok(glyphs, gaps, index, unit, rule.narrow_ratio, at_edge=False)
                if beside_narrow
                else spread > rule.grid_spread * unit
            )
        else:
            outlier = outlier and _beside_narrow_ok(
                glyphs, gaps, index, unit, _NARROW_RATIO_OFF_GRID, at_edge=True
            )
        if spread < rule.cell_spread * unit and not outlier:
            continue
        margin = 0.2 * unit
        inside = np.searchsorted(positions, right_start - margin) - np.searchsorted(
            positions, left_end + margin
        )
        if inside > 0:
            continue
        at = int(np.searchsorted(positions, (left_end + right_start) / 2))
        if not 0 < at < len(chars) or chars[at - 1] == " " or chars[at] == " ":
            continue
        if _inside_number(chars, at) and spread < rule.cell_spread * unit and gap < pitch:
            # Digits are set on even widths and a decimal point hugs its digits unevenly in
            # proportional type ("2018", "43.40"): a number is not split on a blank narrower
            # than a whole character.
            continue
        inserts[at] = max(inserts.get(at, 0), max(1, round(spread / unit - 1)))
    return inserts


def _unspaced_in_numbers(chars: list[str], blanks: _Blanks, rule: SpaceRule) -> set[int]:
    """The recogniser's own spaces inside a number ("RM43. 40") where the image shows no
    blank as wide as a space: the positions to take out."""
    drops = set()
    for at, char in enumerate(chars[1:-1], start=1):
        if char != " " or not _inside_number(chars[:at] + chars[at + 1 :], at):
            continue
        low, high = blanks.positions[at - 1], blanks.positions[at + 1]
        spaced = False
        for index, ((_, left_end), (right_start, _)) in enumerate(
            zip(blanks.glyphs, blanks.glyphs[1:], strict=False)
        ):
            if low <= (left_end + right_start) / 2 <= high:
                spaced = (
                    spaced
                    or blanks.spread(index) >= rule.cell_spread * blanks.unit
                    or blanks.gaps[index] >= blanks.pitch
                )
        if not spaced:
            drops.add(at)
    return drops
