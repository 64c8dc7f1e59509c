"""The tile budget: a page image goes to the model on the smallest tile grid that keeps its
text legible, not on the largest the page allows.

The preparer fits every page into at most ``max_tiles`` tiles (16: 2,467 prompt tokens). A
scan whose characters are large stays just as legible on fewer tiles, so before a request
the engine measures the characters' height on that image (``extractors.text_height``) and
picks the smallest grid at which they stay at least ``pages.tile_text_floor_px`` pixels high
(``extractors.tokens.budget_tile_grid``); the floor was measured by how well OCR still reads
scanned pages at each height (``bench/tile_budget.py``). A page whose text height cannot be
measured keeps its image. Only the model's copy shrinks: the witness and the local engine
read the prepared image. The rule and its floor are part of the extraction fingerprint
(``tile_budget_rule``); the quote, made before rendering, stays the full grid's upper bound.
"""

from __future__ import annotations

import io

from PIL import Image

from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.text_height import jpeg_glyph_height_px
from extractors.tokens import budget_tile_grid
from models.page import PageImage


def budget_image(image: PageImage, settings: Settings) -> PageImage:
    """``image`` on the smallest grid that keeps its text at least the floor high (the same
    image when that is its own grid). CPU work (decode, measure, resize, encode): call it in
    a thread."""
    floor = settings.pages.tile_text_floor_px
    if floor <= 0:
        return image
    text_height = jpeg_glyph_height_px(image.jpeg)
    grid, width, height = budget_tile_grid(
        image.width,
        image.height,
        text_height_px=text_height,
        floor_px=floor,
        tile_size=settings.pages.tile_size,
        max_tiles=settings.pages.max_tiles,
    )
    if grid.tiles >= image.grid.tiles or (width, height) == (image.width, image.height):
        return image
    with Image.open(io.BytesIO(image.jpeg)) as decoded:
        decoded.draft(None, (width, height))  # libjpeg's reduced decode when it still covers
        smaller = decoded.convert(decoded.mode if decoded.mode in ("L", "RGB") else "RGB")
        smaller = smaller.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return encode_page_image(smaller, grid, settings.pages.jpeg_quality)
