"""The tile budget: the text-height measure, the grid chooser, the engine's smaller image."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.llama.tile_budget import budget_image
from extractors.text_height import glyph_height_px, jpeg_glyph_height_px
from extractors.tokens import budget_tile_grid, fit_tile_grid, image_tokens, tile_budget_rule
from models.page import PageImage, PageRoute, PreparedPage, TextQuality
from tests.extractors.llama.conftest import extract, llm_settings
from tests.fakes.vllm_server import FakeVllmServer

WORDS = "Invoice 2024-0042 Total 1,234.56 EUR Harbourview Architects Ltd due 30 days"


def page(width: int, height: int, font_px: int) -> Image.Image:
    """A white page filled with lines of text ``font_px`` high (the font size)."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_px)
    y = font_px
    while y < height - 2 * font_px:
        draw.text((font_px, y), WORDS, fill=0, font=font)
        y += int(font_px * 1.6)
    return image


def page_image(width: int, height: int, font_px: int) -> PageImage:
    """``page`` fitted into its largest tile grid, as the preparer does."""
    grid, w, h = fit_tile_grid(width, height)
    picture = page(width, height, font_px).resize((w, h), Image.Resampling.LANCZOS)
    return encode_page_image(picture.convert("RGB"), grid, 85)


def test_the_text_height_follows_the_font_size() -> None:
    small = glyph_height_px(np.asarray(page(1000, 1400, 14)))
    big = glyph_height_px(np.asarray(page(1000, 1400, 42)))
    assert small is not None and big is not None
    assert 6 <= small <= 14 and 2.5 <= big / small <= 3.5


def test_no_text_height_for_a_blank_or_broken_page() -> None:
    assert glyph_height_px(np.full((800, 600), 255, dtype=np.uint8)) is None
    assert jpeg_glyph_height_px(b"not a jpeg") is None


def test_big_text_gets_a_small_grid_small_text_keeps_the_full_one() -> None:
    full, _w, _h = fit_tile_grid(1008, 1425)
    big, bw, bh = budget_tile_grid(1008, 1425, text_height_px=40, floor_px=8)
    small = budget_tile_grid(1008, 1425, text_height_px=8, floor_px=8)
    assert big.tiles < full.tiles and 40 * bw / 1008 >= 8
    assert small == (full, 1008, 1425)


def test_more_text_height_never_more_tiles_and_never_above_max_tiles() -> None:
    tiles = [
        budget_tile_grid(1344, 1900, text_height_px=h, floor_px=9, max_tiles=12)[0].tiles
        for h in range(4, 60)
    ]
    assert tiles == sorted(tiles, reverse=True) and max(tiles) <= 12 and min(tiles) >= 1


def test_the_budget_keeps_the_aspect_ratio_and_the_floor() -> None:
    for width, height, text in ((1008, 1425, 14), (1344, 672, 20), (300, 1344, 30), (5000, 400, 25)):
        natural_w = fit_tile_grid(width, height)[1]
        natural_h = fit_tile_grid(width, height)[2]
        grid, w, h = budget_tile_grid(natural_w, natural_h, text_height_px=text, floor_px=9)
        assert abs(h - natural_h * w / natural_w) <= 1  # the aspect ratio, to the pixel
        assert w <= grid.cols * 336 and h <= grid.rows * 336
        assert text * w / natural_w >= 9 or (w, h) == (natural_w, natural_h)


def test_unknown_text_height_or_floor_zero_is_the_full_grid() -> None:
    full = fit_tile_grid(1008, 1425)
    assert budget_tile_grid(1008, 1425, text_height_px=None, floor_px=9) == full
    assert budget_tile_grid(1008, 1425, text_height_px=40, floor_px=0) == full


def test_budget_image_shrinks_large_print_and_keeps_small_print() -> None:
    settings = Settings(_env_file=None)
    large = page_image(1240, 1754, 48)
    smaller = budget_image(large, settings)
    assert smaller.grid.tiles < large.grid.tiles
    assert smaller.estimated_tokens == image_tokens(smaller.grid) < large.estimated_tokens
    with Image.open(io.BytesIO(smaller.jpeg)) as decoded:
        assert decoded.size == (smaller.width, smaller.height)
    fine = page_image(1240, 1754, 13)
    assert budget_image(fine, settings) is fine
    off = settings.replace(pages={"tile_text_floor_px": 0})
    assert budget_image(large, off) is large


def test_the_rule_names_its_version_and_floor() -> None:
    assert tile_budget_rule(9) == "tile-budget-v1 floor=9px"
    assert tile_budget_rule(0) == "tile-budget-v1 off"


@pytest.mark.parametrize("floor", [9.0, 0.0])
def test_a_scan_request_carries_the_budget_image(tmp_path: Path, floor: float) -> None:
    prepared = page_image(1240, 1754, 48)
    scan = PreparedPage(
        page_number=1,
        width_pt=prepared.width,
        height_pt=prepared.height,
        text_quality=TextQuality.EMPTY,
        route=PageRoute.IMAGE,
        image=prepared,
    )
    with FakeVllmServer() as fake:
        settings = llm_settings(tmp_path, fake.base_url, pages={"tile_text_floor_px": floor})
        result = extract(settings, [scan])
    (call,) = result.calls
    parts = fake.requests[0]["messages"][1]["content"]
    (url,) = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    expected = budget_image(prepared, settings)
    # The fake logs image URLs by their length; it counts image tokens from the decoded size.
    data_url = "data:image/jpeg;base64," + base64.b64encode(expected.jpeg).decode("ascii")
    assert url == f"<image data URL, {len(data_url)} chars>"
    assert call.estimated_image_tokens == expected.estimated_tokens == call.image_tokens
    if floor:
        assert expected.grid.tiles < prepared.grid.tiles
    else:
        assert expected is prepared
    assert scan.image is prepared  # the page keeps its prepared image for the witness


def test_the_fingerprint_records_the_rule_for_the_llama_engine() -> None:
    from types import SimpleNamespace

    from flows.pipeline import _fingerprint
    from models.schemas import get_schema

    settings = Settings(_env_file=None).replace(pages={"tile_text_floor_px": 7.5})

    def render(engine: str) -> object:
        stub = SimpleNamespace(settings=settings, engine=SimpleNamespace(name=engine, model="m"))
        return _fingerprint(stub, get_schema("invoice"))["render"]  # type: ignore[arg-type,index]

    assert render("llama")["tile_budget"] == "tile-budget-v1 floor=7.5px"  # type: ignore[index]
    assert render("local")["tile_budget"] is None  # type: ignore[index]
