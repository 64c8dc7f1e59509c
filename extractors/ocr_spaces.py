"""Put back the spaces the recogniser drops, from the blank columns of the line image.

PP-OCRv4's recogniser was trained mostly on Chinese, where words are not spaced; on small or
blurred Latin print it often glues words (``BAECKEREISONNE``, ``LOT26151BANDAR``). The crop
itself still shows the space: a run of blank columns wider than the gaps between letters.

A blank run between two characters becomes a space when it is wide for this line's type:

- ``pitch``: the line's mean advance per character (ink extent over characters read);
- ``gap``: the blank run's width; ``spread``: the distance between the centres of the glyphs
  on either side (each glyph at most one pitch wide, so letters printed touching count as
  one glyph each side of the run).

It is a space when ``gap >= wide_gap * pitch`` or when ``gap >= min_gap * pitch`` and
``spread >= min_spread * pitch``. In monospaced receipt type a narrow glyph (``1 . : l``)
sits in a full cell, so the blank next to it is wide while the glyph centres stay one pitch
apart: the spread test keeps ``7.70`` whole, and still finds ``SDN BHD``, whose glyph
centres are two pitches apart. In proportional type the gap test carries.

Wide runs stand for several spaces (two or more mean a column break to the field mapper, as
between detected segments), counted from the spread: one pitch per cell skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from extractors.ocr_read import REC_HEIGHT, REC_STEP, Reading


@dataclass(frozen=True)
class SpaceRule:
    """Thresholds of the space test, in units of the line's pitch (see the module doc)."""

    min_gap: float = 0.35
    wide_gap: float = 0.9
    min_spread: float = 1.4
    outlier_spread: float = 1.2
    outlier_gap: float = 3.0


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


def respace(reading: Reading, crop: npt.NDArray[np.uint8], rule: SpaceRule) -> str:
    """The reading's text with the spaces its crop shows and the recogniser left out."""
    chars = list(reading.chars)
    if len(chars) < 2:
        return reading.text
    columns, band_height = _ink_columns(crop)
    glyphs = _runs(columns)
    if len(glyphs) < 2 or band_height < 4:
        return reading.text
    pitch = (glyphs[-1][1] - glyphs[0][0]) / len(chars)
    if pitch <= 0:
        return reading.text
    # Where each character was read, in crop pixels (a time step covers REC_STEP pixels of
    # the crop scaled to REC_HEIGHT).
    to_crop = crop.shape[0] / REC_HEIGHT
    positions = [(step + 0.5) * REC_STEP * to_crop for step in reading.steps]
    inserts: dict[int, int] = {}
    gaps = [b[0] - a[1] for a, b in zip(glyphs, glyphs[1:], strict=False)]
    letter_gap = max(1.0, float(np.median(gaps)))
    for (left_start, left_end), (right_start, right_end) in zip(glyphs, glyphs[1:], strict=False):
        gap = right_start - left_end
        if gap < rule.min_gap * pitch:
            continue
        spread = min(left_end - left_start, pitch) / 2 + gap + min(right_end - right_start, pitch) / 2
        outlier = gap >= rule.outlier_gap * letter_gap and spread >= rule.outlier_spread * pitch
        if gap < rule.wide_gap * pitch and spread < rule.min_spread * pitch and not outlier:
            continue
        # A character read inside the run means the run is not blank: faint or thin print
        # (a hyphen, a faded digit) that the ink test missed.
        margin = 0.2 * pitch
        inside = np.searchsorted(positions, right_start - margin) - np.searchsorted(
            positions, left_end + margin
        )
        if inside > 0:
            continue
        middle = (left_end + right_start) / 2
        at = int(np.searchsorted(positions, middle))
        if 0 < at < len(chars) and chars[at - 1] != " " and chars[at] != " ":
            inserts[at] = max(inserts.get(at, 0), max(1, round(spread / pitch - 1)))
    if not inserts:
        return reading.text
    out = []
    for index, char in enumerate(chars):
        out.append(" " * inserts.get(index, 0))
        out.append(char)
    return "".join(out)
