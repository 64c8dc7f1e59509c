"""Token arithmetic for Llama 4: the tile grid an image is fitted into, and text estimates.

Llama 4 cuts an image into square tiles (336 px, at most 16 a picture). An image of one
tile costs 147 prompt tokens; an image split into N > 1 tiles costs 145 a tile plus 147
for the global thumbnail, so one page costs at most 16 * 145 + 147 = 2,467 tokens (see
``image_tokens``). Pure arithmetic: no I/O, no imaging library.
"""

from __future__ import annotations

import math
import re
import unicodedata

from models.page import TileGrid

# Llama 4's image placeholder, as the processor writes it (transformers
# ``Llama4Processor._prompt_split_image``, which vLLM's ``mllama4.py`` reuses for its prompt
# replacement and counts in ``usage.prompt_tokens``): a tile is 24 x 24 patches of 14 px
# (336 / 14), pixel-shuffled 2 x 2 (ratio 0.5) into 144 ``<|patch|>`` tokens.
# - one tile (aspect ratio 1 x 1): ``<|image_start|>`` ``<|image|>`` + 144 patches
#   ``<|image_end|>`` = 147 tokens, nothing else;
# - h x w tiles (h * w > 1): every tile's 144 patches, a ``<|tile_x_separator|>`` after each
#   tile but the last of its row and a ``<|tile_y_separator|>`` after each row (so 145 a
#   tile), then the global thumbnail tile framed as above: 145 * h * w + 147.
PATCH_TOKENS_PER_TILE = (336 // 14) ** 2 // 4  # 144
TOKENS_PER_TILE = PATCH_TOKENS_PER_TILE + 1  # 145: patches plus one separator
TOKENS_PER_IMAGE = PATCH_TOKENS_PER_TILE + 3  # 147: image_start, image, patches, image_end

# Pixels are counted whole: a natural size of 1223.9999999 (float noise) is 1224 px.
_EPSILON = 1e-6


def _whole_pixels(value: float) -> int:
    return max(1, math.floor(value + _EPSILON))


def _grid_holding(width: int, height: int, tile_size: int) -> tuple[int, int]:
    return math.ceil(width / tile_size), math.ceil(height / tile_size)


def fit_tile_grid(
    width: float, height: float, *, tile_size: int = 336, max_tiles: int = 16
) -> tuple[TileGrid, int, int]:
    """Fit an image of natural size ``width`` x ``height`` into a Llama 4 tile grid.

    Returns ``(grid, target_width, target_height)``: the pixel size to resize the image to,
    and the smallest grid whose canvas (``cols * tile_size`` by ``rows * tile_size``) holds it.

    - If the natural size fits a grid of at most ``max_tiles`` tiles, that smallest grid is
      used and the image keeps its natural size.
    - Otherwise the grid (``cols * rows <= max_tiles``) that allows the largest scale wins
      (ties: fewer tiles), and the image is scaled down to fit its canvas.
    - Never scales up; keeps the aspect ratio (each side rounded down to whole pixels,
      at least 1 px).
    """
    if not (width > 0 and height > 0):
        raise ValueError(f"image size must be positive, got {width} x {height}")
    if tile_size < 1 or max_tiles < 1:
        raise ValueError("tile_size and max_tiles must be at least 1")
    natural_w, natural_h = _whole_pixels(width), _whole_pixels(height)
    cols, rows = _grid_holding(natural_w, natural_h, tile_size)
    if cols * rows <= max_tiles:
        return TileGrid(cols=cols, rows=rows), natural_w, natural_h

    best_scale = 0.0
    for grid_cols in range(1, max_tiles + 1):
        # With a fixed column count more rows never lower the scale, so only the tallest
        # grid per column count can win.
        grid_rows = max_tiles // grid_cols
        scale = min(grid_cols * tile_size / natural_w, grid_rows * tile_size / natural_h, 1.0)
        best_scale = max(best_scale, scale)
    target_w = _whole_pixels(natural_w * best_scale)
    target_h = _whole_pixels(natural_h * best_scale)
    # Every grid that allows the best scale holds the target, so the smallest grid holding
    # the target is the tie-break winner (fewest tiles) and what the model is charged for.
    cols, rows = _grid_holding(target_w, target_h, tile_size)
    return TileGrid(cols=cols, rows=rows), target_w, target_h


# The rule that picks a page image's grid from its text height; recorded in the fingerprint.
# v2: the page is cut to the box of its text first when that takes fewer tiles ("crop").
TILE_BUDGET_RULE = "tile-budget-v2"


def tile_budget_rule(floor_px: float) -> str:
    """The grid-choice rule and its floor as the fingerprint records them ("off" at 0)."""
    if floor_px <= 0:
        return f"{TILE_BUDGET_RULE} off"
    return f"{TILE_BUDGET_RULE} floor={floor_px:g}px crop"


def budget_tile_grid(
    width: float,
    height: float,
    *,
    text_height_px: float | None,
    floor_px: float,
    tile_size: int = 336,
    max_tiles: int = 16,
) -> tuple[TileGrid, int, int]:
    """The smallest Llama 4 tile grid at which text stays legible (the tile budget).

    ``text_height_px`` is the text's height measured on the image at ``width`` x ``height``
    (``extractors.text_height``). Of the fits ``fit_tile_grid`` makes with 1, 2, ...
    ``max_tiles`` tiles (each keeps the aspect ratio, never scales up), the first whose
    scale keeps the text at least ``floor_px`` high wins; none, an unknown text height or a
    floor of 0: the full fit (``fit_tile_grid`` with ``max_tiles``). Returns
    ``(grid, target_width, target_height)`` like ``fit_tile_grid``.
    """
    full = fit_tile_grid(width, height, tile_size=tile_size, max_tiles=max_tiles)
    if text_height_px is None or not (text_height_px > 0 and floor_px > 0):
        return full
    natural_w = _whole_pixels(width)
    for tiles in range(1, max_tiles):
        fit = fit_tile_grid(width, height, tile_size=tile_size, max_tiles=tiles)
        if fit[0].tiles >= full[0].tiles:
            break
        if text_height_px * fit[1] / natural_w >= floor_px:
            return fit
    return full


def image_tokens(grid: TileGrid) -> int:
    """Llama 4 prompt tokens for one image on ``grid``: 147 for a single tile; for a grid of
    several tiles 145 a tile plus 147 for the global thumbnail (at most 2,467 for 16)."""
    return llama4_image_tokens(grid.tiles)


def llama4_image_tokens(tiles: int) -> int:
    """Llama 4 prompt tokens for one image cut into ``tiles`` tiles (see the comment on
    ``TOKENS_PER_TILE`` for where the numbers come from)."""
    if tiles < 1:
        raise ValueError(f"an image has at least one tile, got {tiles}")
    if tiles == 1:
        return TOKENS_PER_IMAGE  # no split: the image itself is the only tile
    return tiles * TOKENS_PER_TILE + TOKENS_PER_IMAGE


# Characters per token, by script. Byte-pair vocabularies trained mostly on Latin text
# spend about one token per 4 Latin characters; Cyrillic, Greek, Arabic, Hebrew, Indic
# scripts get about one per 2 characters, and CJK ideographs/kana/hangul about one each.
_CHARS_PER_TOKEN_LATIN = 4.0
_CHARS_PER_TOKEN_OTHER = 2.0
_CHARS_PER_TOKEN_CJK = 1.0


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x2FFFF  # supplementary ideographs
    )


def estimate_text_tokens(text: str) -> int:
    """Estimate the prompt tokens ``text`` costs (a heuristic; the server's count is truth).

    About 4 characters a token for Latin script (ASCII and accented letters, digits,
    punctuation, spaces), 2 for other alphabets (Cyrillic, Greek, Arabic, ...), and 1 for
    CJK characters. Runs of whitespace count as one character. Empty text costs 0.
    """
    latin = other = cjk = 0
    previous_space = False
    for char in text:
        if char.isspace():
            if not previous_space:
                latin += 1
            previous_space = True
            continue
        previous_space = False
        if ord(char) < 0x250:  # ASCII, Latin-1 and Latin Extended-A/B
            latin += 1
        elif _is_cjk(char):
            cjk += 1
        elif unicodedata.category(char).startswith(("L", "M")):
            other += 1
        else:
            latin += 1  # symbols and punctuation outside Latin-1 behave like Latin text
    total = latin / _CHARS_PER_TOKEN_LATIN + other / _CHARS_PER_TOKEN_OTHER + cjk / _CHARS_PER_TOKEN_CJK
    return math.ceil(total)


# Pieces of a JSON answer as a byte-pair tokenizer splits them at the least: whitespace
# runs, letter runs, digit runs, and every other character on its own.
_ANSWER_PIECE = re.compile(r"\s+|[^\W\d_]+|\d+|[\W_]", re.UNICODE)
_DIGITS_PER_TOKEN = 3  # Llama 3/4 pre-tokenizers split numbers into groups of at most 3


def estimate_answer_tokens(text: str) -> int:
    """Completion tokens a JSON answer ``text`` costs, counted high on purpose.

    The completion budget is sized from this count, and a budget that is too small costs a
    truncated answer, so every piece is counted at its most expensive: each punctuation
    mark, quote and underscore a token (real vocabularies merge ``":"``), letter runs at 4
    Latin letters a token (2 for other alphabets, 1 for CJK), digits in groups of 3, a
    whitespace run one token.
    """
    total = 0
    for match in _ANSWER_PIECE.finditer(text):
        piece = match.group(0)
        first = piece[0]
        if first.isspace():
            total += 1
        elif first.isdigit():
            total += math.ceil(len(piece) / _DIGITS_PER_TOKEN)
        elif first.isalpha():
            total += estimate_text_tokens(piece)
        else:
            total += 1
    return total
