"""The space rule (``extractors.ocr_spaces.respace``) on line images drawn with Pillow.

Each glyph is drawn as the ink the rule sees of it in the text band: full-width glyphs as
boxes, narrow ones as a stem, a faded one as its pieces. The reading is what the recogniser
gives of such a line: the characters glued, each read at its centre. Measures are those of
monospaced receipt print in SROIE scans (a 15-pixel cell, 2-pixel letter blanks).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from extractors.ocr_read import REC_HEIGHT, REC_STEP, Reading
from extractors.ocr_spaces import SpaceRule, respace

HEIGHT = 36
CELL = 15
# Ink of a glyph in its cell: (offset from the cell's left edge, width) of each run.
FULL = [(1, 13)]
# The stem of an ``l`` whose hook and foot are too thin to count, right of the cell's middle.
L_STEM = [(7, 4)]
# The stem of a ``T`` whose bar is above the text band.
T_STEM = [(6, 3)]

Runs = list[tuple[int, int]]


def drawn(
    glyphs: list[tuple[str, Runs]], width: int, height: int = HEIGHT
) -> tuple[Reading, npt.NDArray[np.uint8]]:
    """A line crop with each character's ink runs ((start, width) in pixels) drawn dark on
    light paper, and the recogniser's reading of it; a character named "" is a speck read as
    nothing."""
    image = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(image)
    step = REC_STEP * height / REC_HEIGHT  # crop pixels per time step of the recogniser
    chars: list[str] = []
    steps: list[int] = []
    for char, runs in glyphs:
        for start, run_width in runs:
            box = (start, height // 5, start + run_width - 1, height - height // 5)
            # A glyph wider than a stem is drawn as its outline, so that the line has the share
            # of ink printed text has (a solid block would read as light print on dark).
            if run_width > 6:
                draw.rectangle(box, outline=40, width=3)
            else:
                draw.rectangle(box, fill=40)
        if char:
            centre = (runs[0][0] + runs[-1][0] + runs[-1][1]) / 2
            chars.append(char)
            steps.append(int(centre / step))
    reading = Reading(tuple(chars), tuple(steps), tuple(0.99 for _ in chars), width * REC_HEIGHT // height)
    return reading, np.asarray(image, dtype=np.uint8)


def monospaced(text: str, ink: dict[str, Runs] | None = None) -> tuple[Reading, npt.NDArray[np.uint8]]:
    """``text`` printed one character a cell (a space is an empty cell), each glyph full-width
    unless ``ink`` says otherwise."""
    glyphs = []
    for index, char in enumerate(text):
        if char != " ":
            left = 4 + index * CELL
            glyphs.append((char, [(left + offset, run) for offset, run in (ink or {}).get(char, FULL)]))
    return drawn(glyphs, 8 + len(text) * CELL)


def test_a_narrow_letter_off_the_middle_of_its_cell_splits_no_word() -> None:
    # "Se|langor": the l's stem leaves 8 blank pixels on its left and 5 on its right, as in
    # the SROIE scans that read "43200 Cheras Se langor"; the empty cells are real spaces.
    reading, crop = monospaced("43200 Cheras Selangor", {"l": L_STEM})

    assert respace(reading, crop, SpaceRule()) == "43200 Cheras Selangor"


def test_a_stem_at_the_start_of_the_crop_splits_no_word() -> None:
    # A T whose bar is faded or above the band is a stem with nothing on its left to compare
    # its blank with ("T ake Away").
    reading, crop = monospaced("Take Away", {"T": T_STEM})

    assert respace(reading, crop, SpaceRule()) == "Take Away"


def test_a_narrow_glyph_with_an_empty_cell_beside_it_keeps_its_space() -> None:
    # The l ending "Hotel" has an empty cell on its right; the one inside "Jalan" has none.
    reading, crop = monospaced("Hotel Jalan Lama", {"l": L_STEM})

    assert respace(reading, crop, SpaceRule()) == "Hotel Jalan Lama"


def test_a_faded_letter_in_pieces_is_one_glyph() -> None:
    # A faded H is two stems with a blank between them as wide as a letter gap is not.
    reading, crop = monospaced("RESTORAN WAN SHENG", {"H": [(1, 3), (11, 3)], "W": [(1, 4), (10, 4)]})

    assert respace(reading, crop, SpaceRule()) == "RESTORAN WAN SHENG"


def test_a_speck_in_an_empty_cell_does_not_hide_the_space() -> None:
    speck = 4 + 7 * CELL + 9  # inside the empty cell between D and M
    reading, crop = drawn(
        [(c, [(4 + i * CELL + 1, 13)]) for i, c in enumerate("99SPEED")]
        + [("", [(speck, 1)])]
        + [(c, [(4 + (8 + i) * CELL + 1, 13)]) for i, c in enumerate("MART")],
        8 + 12 * CELL,
    )

    assert respace(reading, crop, SpaceRule()) == "99SPEED MART"


def test_proportional_capitals_that_fit_a_grid_by_chance_keep_their_space() -> None:
    # "TAX INVOICE" in bold proportional capitals (a SROIE header): its seven full-width
    # glyphs fit a grid, and the space is a blank a little wider than a letter's, beside an I.
    widths = [19, 24, 23, 5, 21, 23, 26, 6, 24, 21]
    gaps = [2, 2, 14, 5, 4, 2, 3, 3, 5]
    glyphs, left = [], 4
    for char, width, gap in zip("TAXINVOICE", widths, [*gaps, 0], strict=True):
        glyphs.append((char, [(left, width)]))
        left += width + gap
    reading, crop = drawn(glyphs, left + 4, height=39)

    assert respace(reading, crop, SpaceRule()) == "TAX INVOICE"
