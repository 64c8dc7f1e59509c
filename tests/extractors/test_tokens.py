"""Tile-grid fitting and token estimates: properties checked against brute force."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.tokens import estimate_text_tokens, fit_tile_grid, image_tokens, llama4_image_tokens
from models.page import TileGrid

sizes = st.floats(min_value=1.0, max_value=60_000.0, allow_nan=False, allow_infinity=False)
tile_sizes = st.sampled_from([112, 224, 336, 448])
tile_limits = st.integers(min_value=1, max_value=20)


def _scale_allowed(cols: int, rows: int, width: int, height: int, tile: int) -> float:
    return min(cols * tile / width, rows * tile / height, 1.0)


@settings(max_examples=300, deadline=None)
@given(width=sizes, height=sizes, tile=tile_sizes, max_tiles=tile_limits)
def test_grid_and_target_respect_every_constraint(
    width: float, height: float, tile: int, max_tiles: int
) -> None:
    grid, target_w, target_h = fit_tile_grid(width, height, tile_size=tile, max_tiles=max_tiles)
    natural_w, natural_h = max(1, math.floor(width + 1e-6)), max(1, math.floor(height + 1e-6))

    assert grid.tiles <= max_tiles
    # the target fits the grid's canvas, and the grid is the smallest that holds it
    assert target_w <= grid.cols * tile and target_h <= grid.rows * tile
    assert (grid.cols - 1) * tile < target_w and (grid.rows - 1) * tile < target_h
    # never upscaled
    assert target_w <= natural_w and target_h <= natural_h
    # aspect ratio kept: the cross-multiplied error is under one pixel of the long side
    assert abs(target_w * natural_h - target_h * natural_w) < max(natural_w, natural_h)

    natural_cols, natural_rows = math.ceil(natural_w / tile), math.ceil(natural_h / tile)
    if natural_cols * natural_rows <= max_tiles:
        assert (target_w, target_h) == (natural_w, natural_h)
        assert (grid.cols, grid.rows) == (natural_cols, natural_rows)
    else:
        # no grid within the tile budget allows a larger picture (brute force over all)
        best = max(
            _scale_allowed(c, r, natural_w, natural_h, tile)
            for c in range(1, max_tiles + 1)
            for r in range(1, max_tiles // c + 1)
        )
        assert target_w == max(1, math.floor(natural_w * best + 1e-6))
        assert target_h == max(1, math.floor(natural_h * best + 1e-6))


def test_letter_page_at_144_dpi_uses_the_grid_with_the_largest_scale() -> None:
    width, height = 8.5 * 144, 11 * 144  # 1224 x 1584 px: 4 x 5 tiles, more than 16
    grid, target_w, target_h = fit_tile_grid(width, height)
    candidates = {
        (c, r): _scale_allowed(c, r, 1224, 1584, 336) for c in range(1, 17) for r in range(1, 16 // c + 1)
    }
    best_scale = max(candidates.values())
    assert target_w == math.floor(1224 * best_scale)
    assert grid.tiles <= 16
    assert grid.tiles > 1 and image_tokens(grid) == grid.tiles * 145 + 147


def test_small_image_keeps_its_size_and_one_tile() -> None:
    grid, target_w, target_h = fit_tile_grid(300.0, 200.0)
    assert (grid.cols, grid.rows, target_w, target_h) == (1, 1, 300, 200)


def test_invalid_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        fit_tile_grid(0, 100)


def _processor_placeholder(rows: int, cols: int) -> list[str]:
    """The tokens transformers' ``Llama4Processor._prompt_split_image`` writes for an image
    of ``rows`` x ``cols`` tiles (vLLM's ``mllama4.py`` uses the same string as the image's
    prompt replacement). Patches per tile: (image_size 336 // patch_size 14) ** 2 //
    downsample ratio round(1 / pixel_shuffle_ratio 0.5 ** 2) = 576 // 4 = 144."""
    patches = (336 // 14) ** 2 // round(1 / 0.5**2)
    tokens = ["<|image_start|>"]
    if rows * cols > 1:
        for _ in range(rows):
            for x in range(cols):
                tokens += ["<|patch|>"] * patches
                if x < cols - 1:
                    tokens.append("<|tile_x_separator|>")
            tokens.append("<|tile_y_separator|>")
    tokens += ["<|image|>", *["<|patch|>"] * patches, "<|image_end|>"]
    return tokens


@pytest.mark.parametrize("cols", range(1, 17))
def test_image_tokens_match_the_llama4_processor_for_every_grid(cols: int) -> None:
    for rows in range(1, 16 // cols + 1):
        expected = len(_processor_placeholder(rows, cols))
        assert image_tokens(TileGrid(cols=cols, rows=rows)) == expected, (cols, rows)
        assert llama4_image_tokens(cols * rows) == expected


def test_image_tokens_for_one_tile_and_the_largest_grid() -> None:
    # One tile: no split, no thumbnail: 147, not 145 + 147.
    assert image_tokens(TileGrid(cols=1, rows=1)) == 147
    assert image_tokens(TileGrid(cols=2, rows=1)) == 2 * 145 + 147 == 437
    assert image_tokens(TileGrid(cols=4, rows=4)) == 2467
    with pytest.raises(ValueError):
        llama4_image_tokens(0)


@given(text=st.text(alphabet=st.characters(codec="latin-1"), max_size=400))
def test_latin_text_costs_a_token_per_four_characters(text: str) -> None:
    # runs of whitespace count as one character
    assert estimate_text_tokens(text) == math.ceil(len(re.sub(r"\s+", " ", text)) / 4)


def test_other_scripts_cost_more_tokens_per_character() -> None:
    latin = "invoice total amount"  # 20 characters
    cyrillic = "счёт итоговая сумма!"  # 20 characters
    chinese = "发票总金额发票总金额发票总金额发票总金额"  # 20 characters
    assert len(latin) == len(cyrillic) == len(chinese) == 20
    assert estimate_text_tokens(latin) < estimate_text_tokens(cyrillic) < estimate_text_tokens(chinese)
    assert estimate_text_tokens(chinese) == 20
    assert estimate_text_tokens("") == 0
