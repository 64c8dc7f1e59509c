"""The tile budget: the text-height measure, the grid chooser, the model's smaller image (made by
the render workers, sent by the engine)."""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.prepare import PagePreparer
from extractors.text_height import glyph_height_px, jpeg_glyph_height_px, text_box
from extractors.tile_budget import budget_image
from extractors.tokens import budget_tile_grid, fit_tile_grid, image_tokens, tile_budget_rule
from models.document import FileKind
from models.page import PageImage, PageRoute, PreparedPage, TextQuality
from tests.extractors.llama.conftest import extract, llm_settings
from tests.fakes.vllm_server import FakeVllmServer
from tests.support import hardcases

WORDS = "Invoice 2024-0042 Total 1,234.56 EUR Harbourview Architects Ltd due 30 days"


def page(width: int, height: int, font_px: int) -> Image.Image:
    """A white page filled with lines of text ``font_px`` high (the font size), from one
    character in from the left to past the right edge."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_px)
    line = " ".join([WORDS] * (1 + width // max(1, int(draw.textlength(WORDS, font=font)))))
    y = font_px
    while y < height - 2 * font_px:
        draw.text((font_px, y), line, fill=0, font=font)
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
    assert tile_budget_rule(9) == "tile-budget-v2 floor=9px crop"
    assert tile_budget_rule(0) == "tile-budget-v2 off"


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

    assert render("llama")["tile_budget"] == "tile-budget-v2 floor=7.5px crop"  # type: ignore[index]
    assert render("local")["tile_budget"] is None  # type: ignore[index]


def receipt_on_a_bed(width: int = 1008, height: int = 1425) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A small receipt (lines of 14 px text) in the middle of a large white scanner bed, with
    dust specks and the bed's edge (a thin gray line) far from it; and the box of its text."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    left, top, boxes = 330, 420, []
    for row in range(24):
        text = WORDS[: 20 + (row * 7) % 30]
        origin = (left, top + row * 22)
        draw.text(origin, text, fill=0, font=font)
        boxes.append(draw.textbbox(origin, text, font=font))
    for x, y in ((60, 80), (900, 150), (120, 1300), (950, 1200), (700, 1350), (40, 700)):
        draw.rectangle((x, y, x + 2, y + 2), fill=90)  # dust
    draw.line((width - 6, 40, width - 6, height - 40), fill=200, width=1)  # the bed's edge
    text = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return image, text


def as_page_image(picture: Image.Image) -> PageImage:
    grid, w, h = fit_tile_grid(*picture.size)
    return encode_page_image(picture.resize((w, h), Image.Resampling.LANCZOS).convert("RGB"), grid, 85)


def test_the_text_box_holds_every_line_and_leaves_out_dust_and_the_bed() -> None:
    picture, (left, top, right, bottom) = receipt_on_a_bed()
    gray = np.asarray(picture)
    height = glyph_height_px(gray)
    assert height is not None
    box = text_box(gray, height)
    assert box is not None
    assert box[0] <= left and box[1] <= top and box[2] >= right and box[3] >= bottom
    # the dust (at most 60 px in from the page's sides) and the bed's edge are outside it
    assert box[0] > 60 and box[1] > 150 and box[2] < 900 and box[3] < 1200


def test_a_receipt_on_a_bed_is_cut_to_its_text_and_gets_fewer_tiles() -> None:
    settings = Settings(_env_file=None)
    picture, text = receipt_on_a_bed()
    prepared = as_page_image(picture)
    whole = budget_image(prepared, settings, crop=False)
    cut = budget_image(prepared, settings)
    assert cut.grid.tiles < whole.grid.tiles <= prepared.grid.tiles
    assert cut.estimated_tokens == image_tokens(cut.grid)
    # The cut page keeps its text at the floor: the same character height, on fewer tiles.
    with Image.open(io.BytesIO(cut.jpeg)) as decoded:
        assert decoded.size == (cut.width, cut.height)
        cut_height = glyph_height_px(np.asarray(decoded.convert("L")))
    assert cut_height is not None and cut_height >= settings.pages.tile_text_floor_px
    # Every line of the receipt is in the cut: its ink is all there (dark pixels, scaled by area).
    with Image.open(io.BytesIO(prepared.jpeg)) as decoded:
        full = np.asarray(decoded.convert("L"))
    scale = prepared.width / picture.width
    left, top, right, bottom = (round(v * scale) for v in text)
    ink_before = int((full[top:bottom, left:right] < 128).sum())
    with Image.open(io.BytesIO(cut.jpeg)) as decoded:
        small = np.asarray(decoded.convert("L"))
    shrink = (cut.width / prepared.width) ** 2 if cut.width < prepared.width else 1.0
    assert int((small < 128).sum()) >= 0.6 * ink_before * shrink


def test_a_page_with_text_to_its_edges_is_not_cut() -> None:
    settings = Settings(_env_file=None)
    prepared = page_image(1240, 1754, 13)  # lines from one character in, to the right edge
    gray = np.asarray(Image.open(io.BytesIO(prepared.jpeg)).convert("L"))
    height = glyph_height_px(gray)
    assert height is not None
    box = text_box(gray, height)
    assert box is not None
    assert box[0] == 0 and box[1] == 0 and box[3] >= prepared.height - 3 * height
    assert budget_image(prepared, settings) is prepared
    large = page_image(1240, 1754, 48)
    assert budget_image(large, settings).jpeg == budget_image(large, settings, crop=False).jpeg


def test_a_blank_page_keeps_its_grid_and_is_not_cut() -> None:
    settings = Settings(_env_file=None)
    blank = as_page_image(Image.new("L", (1008, 1425), 255))
    assert budget_image(blank, settings) is blank
    assert text_box(np.full((400, 300), 255, dtype=np.uint8), 12.0) is None
    specks = np.full((400, 300), 255, dtype=np.uint8)
    specks[100:103, 100:103] = 80  # dust alone is not text
    assert text_box(specks, 12.0) is None


def _prepare(settings: Settings, path: Path, kind: FileKind, *, model_images: bool) -> list[PreparedPage]:
    async def go() -> list[PreparedPage]:
        async with PagePreparer(settings, model_images=model_images) as preparer:
            return [p async for p in preparer.prepare(path, kind, render="always")]

    return asyncio.run(go())


def test_render_workers_make_the_model_image_for_a_run_that_sends_images(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, storage={"data_dir": tmp_path / "var"}, pages={"render_workers": 1})
    large, fine, mixed = tmp_path / "large.png", tmp_path / "fine.png", tmp_path / "mixed.pdf"
    page(1240, 1754, 48).save(large)
    page(1240, 1754, 13).save(fine)
    mixed.write_bytes(hardcases.mixed_pdf())

    (scan,) = _prepare(settings, large, FileKind.PNG, model_images=True)
    assert scan.image is not None and scan.model_image is not None
    expected = budget_image(scan.image, settings)  # what the engine would make from the page
    assert scan.model_image.grid.tiles < scan.image.grid.tiles
    assert (scan.model_image.jpeg, scan.model_image.grid) == (expected.jpeg, expected.grid)
    # A page the budget keeps whole is sent as prepared.
    (kept,) = _prepare(settings, fine, FileKind.PNG, model_images=True)
    assert kept.model_image is not None and kept.model_image == kept.image
    # Rendered for the witness but sent as text: no copy for the model.
    digital, *scans = _prepare(settings, mixed, FileKind.PDF, model_images=True)
    assert digital.route is PageRoute.TEXT and digital.image is not None and digital.model_image is None
    assert scans and all(p.sends_image and p.model_image is not None for p in scans)

    # A run whose engine sends no images (local), or with the budget off, pays for none.
    (plain,) = _prepare(settings, large, FileKind.PNG, model_images=False)
    assert plain.image == scan.image and plain.model_image is None
    off = settings.replace(pages={"tile_text_floor_px": 0})
    (whole,) = _prepare(off, large, FileKind.PNG, model_images=True)
    assert whole.image is not None and whole.model_image is None


@pytest.mark.parametrize(("engine", "makes"), [("llama", True), ("local", False)])
def test_the_pipeline_asks_for_model_images_only_for_an_engine_that_sends_them(
    tmp_path: Path, engine: str, makes: bool
) -> None:
    from flows.pipeline import open_pipeline

    async def go() -> bool:
        settings = llm_settings(tmp_path, "http://127.0.0.1:9/v1", pages={"render_workers": 1})
        async with open_pipeline(settings, engine_name=engine) as pipeline:
            return pipeline.preparer.model_images

    assert asyncio.run(go()) is makes


@pytest.mark.parametrize("floor", [9.0, 0.0])
def test_the_request_is_built_from_the_model_image(tmp_path: Path, floor: float) -> None:
    prepared = page_image(1240, 1754, 48)
    made = page_image(700, 500, 30)  # what a render worker made: the engine must not remake it
    assert made.grid != budget_image(prepared, Settings(_env_file=None)).grid
    scan = PreparedPage(
        page_number=1,
        width_pt=prepared.width,
        height_pt=prepared.height,
        route=PageRoute.IMAGE,
        image=prepared,
        model_image=made,
    )
    with FakeVllmServer() as fake:
        settings = llm_settings(tmp_path, fake.base_url, pages={"tile_text_floor_px": floor})
        (call,) = extract(settings, [scan]).calls
    parts = fake.requests[0]["messages"][1]["content"]
    (url,) = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    sent = made if floor else prepared  # the budget off sends the prepared image, whatever was made
    data_url = "data:image/jpeg;base64," + base64.b64encode(sent.jpeg).decode("ascii")
    assert url == f"<image data URL, {len(data_url)} chars>"
    assert call.estimated_image_tokens == sent.estimated_tokens == call.image_tokens
