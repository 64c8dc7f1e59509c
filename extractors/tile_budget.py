"""The tile budget: a page image goes to the model cut to its text and on the smallest tile
grid that keeps that text legible, not whole on the largest grid the page allows.

The preparer fits every page into at most ``max_tiles`` tiles (16: 2,467 prompt tokens). A
scan whose characters are large stays just as legible on fewer tiles, and a small receipt
scanned on a large white bed needs only the tiles its own text covers. So for each page sent
as an image the tile budget measures the characters' height on that image (``extractors.text_height``), finds
the box that holds all its text (``text_box``: every region of ink that weighs as much as
text, two character heights of margin around it; dust and the paper's edges left out), and
picks the smallest grid at which the characters stay at least ``pages.tile_text_floor_px``
pixels high (``extractors.tokens.budget_tile_grid``), for the box when that takes fewer
tiles than the whole page, else for the whole page. The floor was measured by how well OCR
still reads scanned pages at each height (``bench/tile_budget.py``). A page whose text
height cannot be measured (a photo, a blank page) keeps its image, uncut.

That work (decode, measure, cut, resize, encode: about 34 ms of CPU a page) is done in the
render worker that prepared the page (``model_image``, for a run whose engine sends images:
``PagePreparer(model_images=True)``), so it never competes with the event loop and the HTTP
client for the GIL; the llama engine makes the copy itself, in a thread, only for a page that
arrives without one.

Only the model's copy is cut and shrunk: the witness and the local engine read the prepared
image, and the model reports values, never positions, so no coordinate has to be mapped
back from the cut image to the page. The rule and its floor are part of the extraction
fingerprint (``tile_budget_rule``); the quote, made before rendering, stays the full grid's
upper bound.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.page_jobs import RenderSpec
from extractors.text_height import PixelBox, glyph_height_px, text_height_and_box
from extractors.tokens import budget_tile_grid
from models.page import PageImage, PreparedPage, TileGrid


def budget_image(image: PageImage, settings: Settings, *, crop: bool = True) -> PageImage:
    """``image`` cut to its text box and on the smallest grid that keeps its text at least
    the floor high (the same image when that is its own grid and size). ``crop=False``: the
    whole page, only shrunk (the rule before the crop, for comparison). CPU work (decode,
    measure, resize, encode): call it in a thread or a worker process."""
    pages = settings.pages
    budget = _Budget(pages.tile_text_floor_px, pages.tile_size, pages.max_tiles, pages.jpeg_quality)
    return _budgeted(image, budget, crop=crop)


def model_image(page: PreparedPage, spec: RenderSpec) -> PageImage | None:
    """The image ``page`` is sent to the model with, made where the page was prepared: its
    ``image`` budgeted (``image`` itself when the budget keeps it); None when ``spec`` asks for
    none (an engine that sends no images, or the budget off) or the page is not sent as an
    image."""
    if spec.model_image_floor_px <= 0 or page.image is None or not page.sends_image:
        return None
    budget = _Budget(spec.model_image_floor_px, spec.tile_size, spec.max_tiles, spec.jpeg_quality)
    return _budgeted(page.image, budget, crop=True)


@dataclass(frozen=True)
class _Budget:
    floor_px: float
    tile_size: int
    max_tiles: int
    jpeg_quality: int


def _budgeted(image: PageImage, budget: _Budget, *, crop: bool) -> PageImage:
    floor = budget.floor_px
    if floor <= 0:
        return image
    try:
        with Image.open(io.BytesIO(image.jpeg)) as decoded:
            picture = decoded.convert(decoded.mode if decoded.mode in ("L", "RGB") else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return image
    gray = np.asarray(picture.convert("L"), dtype=np.uint8)
    text_height, box = text_height_and_box(gray) if crop else (glyph_height_px(gray), None)
    grid, width, height = budget_tile_grid(
        image.width,
        image.height,
        text_height_px=text_height,
        floor_px=floor,
        tile_size=budget.tile_size,
        max_tiles=budget.max_tiles,
    )
    if box is not None and text_height is not None:
        box, grid, width, height = _cut_when_cheaper(box, text_height, budget, (grid, width, height))
    if box is None and (grid.tiles >= image.grid.tiles or (width, height) == (image.width, image.height)):
        return image
    if box is not None and box != (0, 0, image.width, image.height):
        picture = picture.crop(box)
    smaller = picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return encode_page_image(smaller, grid, budget.jpeg_quality)


def _cut_when_cheaper(
    box: PixelBox,
    text_height: float,
    budget: _Budget,
    whole: tuple[TileGrid, int, int],
) -> tuple[PixelBox | None, TileGrid, int, int]:
    """The text box and its budget grid when the box takes fewer tiles than the whole page;
    else no box and the whole page's grid."""
    left, top, right, bottom = box
    cut = budget_tile_grid(
        right - left,
        bottom - top,
        text_height_px=text_height,
        floor_px=budget.floor_px,
        tile_size=budget.tile_size,
        max_tiles=budget.max_tiles,
    )
    if cut[0].tiles >= whole[0].tiles:
        return None, *whole
    return box, *cut
