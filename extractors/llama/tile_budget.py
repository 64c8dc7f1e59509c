"""The tile budget: a page image goes to the model cut to its text and on the smallest tile
grid that keeps that text legible, not whole on the largest grid the page allows.

The preparer fits every page into at most ``max_tiles`` tiles (16: 2,467 prompt tokens). A
scan whose characters are large stays just as legible on fewer tiles, and a small receipt
scanned on a large white bed needs only the tiles its own text covers. So before a request
the engine measures the characters' height on that image (``extractors.text_height``), finds
the box that holds all its text (``text_box``: every region of ink that weighs as much as
text, two character heights of margin around it; dust and the paper's edges left out), and
picks the smallest grid at which the characters stay at least ``pages.tile_text_floor_px``
pixels high (``extractors.tokens.budget_tile_grid``), for the box when that takes fewer
tiles than the whole page, else for the whole page. The floor was measured by how well OCR
still reads scanned pages at each height (``bench/tile_budget.py``). A page whose text
height cannot be measured (a photo, a blank page) keeps its image, uncut.

Only the model's copy is cut and shrunk: the witness and the local engine read the prepared
image, and the model reports values, never positions, so no coordinate has to be mapped
back from the cut image to the page. The rule and its floor are part of the extraction
fingerprint (``tile_budget_rule``); the quote, made before rendering, stays the full grid's
upper bound.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.text_height import PixelBox, glyph_height_px, text_height_and_box
from extractors.tokens import budget_tile_grid
from models.page import PageImage, TileGrid


def budget_image(image: PageImage, settings: Settings, *, crop: bool = True) -> PageImage:
    """``image`` cut to its text box and on the smallest grid that keeps its text at least
    the floor high (the same image when that is its own grid and size). ``crop=False``: the
    whole page, only shrunk (the rule before the crop, for comparison). CPU work (decode,
    measure, resize, encode): call it in a thread."""
    floor = settings.pages.tile_text_floor_px
    if floor <= 0:
        return image
    try:
        with Image.open(io.BytesIO(image.jpeg)) as decoded:
            picture = decoded.convert(decoded.mode if decoded.mode in ("L", "RGB") else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return image
    gray = np.asarray(picture.convert("L"), dtype=np.uint8)
    text_height, box = text_height_and_box(gray) if crop else (glyph_height_px(gray), None)
    pages = settings.pages
    grid, width, height = budget_tile_grid(
        image.width,
        image.height,
        text_height_px=text_height,
        floor_px=floor,
        tile_size=pages.tile_size,
        max_tiles=pages.max_tiles,
    )
    if box is not None and text_height is not None:
        box, grid, width, height = _cut_when_cheaper(box, text_height, floor, settings, (grid, width, height))
    if box is None and (grid.tiles >= image.grid.tiles or (width, height) == (image.width, image.height)):
        return image
    if box is not None and box != (0, 0, image.width, image.height):
        picture = picture.crop(box)
    smaller = picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return encode_page_image(smaller, grid, pages.jpeg_quality)


def _cut_when_cheaper(
    box: PixelBox,
    text_height: float,
    floor: float,
    settings: Settings,
    whole: tuple[TileGrid, int, int],
) -> tuple[PixelBox | None, TileGrid, int, int]:
    """The text box and its budget grid when the box takes fewer tiles than the whole page;
    else no box and the whole page's grid."""
    left, top, right, bottom = box
    cut = budget_tile_grid(
        right - left,
        bottom - top,
        text_height_px=text_height,
        floor_px=floor,
        tile_size=settings.pages.tile_size,
        max_tiles=settings.pages.max_tiles,
    )
    if cut[0].tiles >= whole[0].tiles:
        return None, *whole
    return box, *cut
