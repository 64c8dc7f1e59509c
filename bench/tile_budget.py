"""The tile budget's legibility floor, measured on real scans, and what it saves.

Run: ``nice .venv/bin/python -m bench.tile_budget [--receipts 6] [--invoices 6]
[--heights 6,7,8,9,10,11] [--floor PX] [--tokens-receipts 40]``. Prints figures; no asserts.

Pages: scanned receipts (``../shared/corpora/receipts-sroie``, real ICDAR 2019 scans) and
the invoice scans and photos of ``var/golden/invoices-dev`` (``python -m
tests.support.invoice_set --split dev --out var/golden/invoices-dev``), each prepared by the
pipeline's own ``PagePreparer``: the image the model got before the budget (the largest grid,
at most 16 tiles), called the old image below.

1. The curve. On each old image the characters' median height ``h0`` is measured
   (``extractors.text_height``, the measure the engine uses), the image is read by the
   project's OCR (``extractors.ocr.ocr_lines``), then shrunk so its characters are ``t``
   pixels high for each ``t`` of ``--heights`` below ``h0`` and read again. Per ``t``: the
   character similarity (``difflib`` ratio, whitespace runs as one space) of the shrunk
   page's OCR text to the old image's, and the share of the truth file's values (names,
   dates, amounts, as printed) found in the OCR text, beside the same share on the old image.
2. The floor: the smallest ``t`` at and above which the mean similarity stays >= ``--target``
   (0.98) and no truth value is lost on average (``--floor`` overrides it).
3. Before/after at that floor (``extractors.llama.tile_budget.budget_image``, exactly what
   the engine sends): image tokens and request prompt tokens per page (the ``receipt`` or
   ``invoice`` request as ``build_request`` estimates it), and $ per million image pages at
   the packaged price list's Scout prices, with the completion the filled answer's tokens
   (``filled_answer``, no margin); OCR similarity of the budget image to the old one. Token
   figures also cover ``--tokens-receipts`` more receipts (no OCR for those). The prompt
   dollars are the figure to compare across floors; the filled answer overstates a real
   completion (it is what the completion budget is sized from, before the margin).

``--tokens-only 8,9,10``: step 3 alone (no OCR) at each floor given.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import io
import json
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageOps

from core.errors import InternalError
from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.llama.requests import build_request, filled_answer
from extractors.llama.tile_budget import budget_image
from extractors.ocr import ocr_lines
from extractors.prepare import PagePreparer
from extractors.sniff import sniff_kind
from extractors.text_height import jpeg_glyph_height_px
from extractors.tokens import estimate_answer_tokens, fit_tile_grid, tile_budget_rule
from models.page import PageImage, PageRoute, PreparedPage, TextQuality
from models.pricing import load_price_list
from models.schemas import get_schema

ROOT = Path(__file__).resolve().parents[1]
RECEIPTS = ROOT.parent / "shared" / "corpora" / "receipts-sroie"
INVOICES = ROOT / "var" / "golden" / "invoices-dev"
SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
_INVOICE_KINDS = ("scan_pdf", "scan_jpg", "scan_png", "photo")


@dataclass(eq=False)
class _Page:
    name: str
    schema: str
    page: PreparedPage
    truth: list[str]
    glyph_px: float | None = None
    old_text: str = ""
    similarity: dict[int, float] = field(default_factory=dict)  # t -> similarity to old
    hits: dict[int, float] = field(default_factory=dict)  # t -> share of truth values found


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _squeeze(text: str) -> str:
    return re.sub(r"[\s,]", "", text).upper()


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, _norm(a), _norm(b), autojunk=False).ratio()


def _truth_values(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    values = [v for v in data.values() if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return [_squeeze(str(v)) for v in values if len(str(v)) >= 3]


def _hit_share(text: str, truth: list[str]) -> float:
    squeezed = _squeeze(text)
    return sum(1 for value in truth if value in squeezed) / len(truth) if truth else 1.0


def _ocr(image: PageImage) -> str:
    return "\n".join(line.text for line in ocr_lines(image.jpeg, image.width, image.height))


def _shrunk(image: PageImage, scale: float, quality: int) -> PageImage:
    width = max(1, math.floor(image.width * scale))
    height = max(1, math.floor(image.height * scale))
    grid, _w, _h = fit_tile_grid(width, height)
    with Image.open(io.BytesIO(image.jpeg)) as decoded:
        small = decoded.convert("RGB").resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return encode_page_image(small, grid, quality)


def _files(receipts: int, invoices: int) -> list[tuple[Path, str]]:
    chosen = [(p, "receipt") for p in sorted(RECEIPTS.glob("img-*.jpg"))[:receipts]]
    if INVOICES.is_dir():
        by_kind = [sorted(INVOICES.glob(f"*-{kind}.*")) for kind in _INVOICE_KINDS]
        by_kind = [[p for p in paths if p.suffix != ".json"] for paths in by_kind]
        picked: list[Path] = []
        while len(picked) < invoices and any(by_kind):
            for paths in by_kind:
                if paths and len(picked) < invoices:
                    picked.append(paths.pop(0))
        chosen += [(p, "invoice") for p in picked]
    return chosen


async def _prepare(files: Sequence[tuple[Path, str]], settings: Settings) -> list[_Page]:
    pages = []
    async with PagePreparer(settings) as preparer:
        for path, schema in files:
            kind = sniff_kind(path.read_bytes()[:8192], name=path.name)
            truth = _truth_values(path.with_suffix(".json"))
            try:
                async for page in preparer.prepare(path, kind, render="when_needed", page_numbers=[1]):
                    if not page.failed and page.image is not None:
                        pages.append(_Page(path.name, schema, page, truth))
            except InternalError as exc:  # the preparer's image path mid-change in a shared tree
                if path.suffix.lower() == ".pdf":
                    raise
                print(f"  {path.name}: preparer failed ({exc.message}); fitted here as it fits images")
                pages.append(_Page(path.name, schema, _fitted(path, settings), truth))
    return pages


def _fitted(path: Path, settings: Settings) -> PreparedPage:
    """An image file's page fitted to the largest tile grid as ``image_pages`` does it."""
    with Image.open(path) as opened:
        oriented = ImageOps.exif_transpose(opened) or opened
        grid, width, height = fit_tile_grid(
            *oriented.size, tile_size=settings.pages.tile_size, max_tiles=settings.pages.max_tiles
        )
        image = oriented.convert("RGB").resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return PreparedPage(
        page_number=1,
        width_pt=image.width,
        height_pt=image.height,
        text_quality=TextQuality.EMPTY,
        route=PageRoute.IMAGE,
        image=encode_page_image(image, grid, settings.pages.jpeg_quality),
    )


def _curve(pages: list[_Page], heights: list[int], quality: int) -> None:
    for item in pages:
        assert item.page.image is not None
        item.glyph_px = jpeg_glyph_height_px(item.page.image.jpeg)
        item.old_text = _ocr(item.page.image)
        item.hits[0] = _hit_share(item.old_text, item.truth)
        for height in heights:
            if item.glyph_px is None or height >= item.glyph_px:
                continue
            text = _ocr(_shrunk(item.page.image, height / item.glyph_px, quality))
            item.similarity[height] = _similarity(text, item.old_text)
            item.hits[height] = _hit_share(text, item.truth)
        curve = " ".join(f"{t}px:{s:.3f}" for t, s in sorted(item.similarity.items()))
        print(
            f"  {item.name}: h0={item.glyph_px} px on {item.page.image.grid.tiles} tiles; {curve}", flush=True
        )


def _floor(pages: list[_Page], heights: list[int], target: float) -> float | None:
    print("curve (characters t px high; similarity of OCR text to the old image's; truth values found):")
    floor: float | None = None
    for height in sorted(heights, reverse=True):
        measured = [p for p in pages if height in p.similarity]
        if not measured:
            continue
        mean = statistics.fmean(p.similarity[height] for p in measured)
        hits = statistics.fmean(p.hits[height] for p in measured)
        hits_old = statistics.fmean(p.hits[0] for p in measured)
        print(
            f"  t={height:>2} px: {len(measured):>2} pages, similarity mean {mean:.3f} "
            f"min {min(p.similarity[height] for p in measured):.3f}; truth found {hits:.3f} "
            f"(old image {hits_old:.3f})"
        )
        if mean < target or hits < hits_old - 1e-9:
            break  # the floor is the lowest height before the curve first falls
        floor = height
    return floor


def _before_after(
    pages: list[_Page], extra: list[_Page], floor: float, settings: Settings, *, ocr: bool = True
) -> None:
    budget = settings.model_copy(
        update={"pages": settings.pages.model_copy(update={"tile_text_floor_px": floor})}
    )
    price = load_price_list().price_for(SCOUT)
    assert price is not None
    rows: dict[str, list[tuple[int, int, int, float | None]]] = {"before": [], "after": []}
    costs: dict[str, list[Decimal]] = {"before": [], "after": []}
    inputs: dict[str, list[Decimal]] = {"before": [], "after": []}
    for item in [*pages, *extra]:
        old = item.page.image
        assert old is not None
        new = budget_image(old, budget)
        schema = get_schema(item.schema)
        answer = estimate_answer_tokens(json.dumps(filled_answer(schema, [item.page])))
        similarity = None
        if ocr and any(item is p for p in pages):
            similarity = 1.0 if new is old else _similarity(_ocr(new), item.old_text)
        for label, image in (("before", old), ("after", new)):
            request = build_request(
                [item.page], schema, settings=settings, sent_images={item.page.page_number: image}
            )
            rows[label].append(
                (image.grid.tiles, image.estimated_tokens, request.estimated_prompt_tokens, similarity)
            )
            costs[label].append(price.cost(request.estimated_prompt_tokens, answer) * 1_000_000)
            inputs[label].append(price.cost(request.estimated_prompt_tokens, 0) * 1_000_000)
    print(f"before/after ({len(pages) + len(extra)} image pages, {tile_budget_rule(floor)}):")
    for label in ("before", "after"):
        tiles = statistics.fmean(r[0] for r in rows[label])
        image_tokens = statistics.fmean(r[1] for r in rows[label])
        prompt = statistics.fmean(r[2] for r in rows[label])
        dollars = sum(costs[label]) / len(costs[label])
        prompt_dollars = sum(inputs[label]) / len(inputs[label])
        line = (
            f"  {label:<6} {tiles:5.1f} tiles, {image_tokens:6.0f} image tokens, {prompt:6.0f} prompt tokens "
            f"a page; per million image pages ${prompt_dollars:.0f} prompt, ${dollars:.0f} with the "
            f"filled answer's completion (Scout, price list {load_price_list().version})"
        )
        if label == "after" and ocr:
            sims = [r[3] for r in rows[label] if r[3] is not None]
            line += f"; OCR similarity to the old image mean {statistics.fmean(sims):.3f} min {min(sims):.3f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=6)
    parser.add_argument("--invoices", type=int, default=6)
    parser.add_argument("--heights", default="6,7,8,9,10,11")
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--floor", type=float, default=None)
    parser.add_argument("--tokens-receipts", type=int, default=40, help="more receipts, tokens only")
    parser.add_argument(
        "--tokens-only",
        default=None,
        help="no OCR: tokens and dollars before/after at these floors (e.g. 8,9,10)",
    )
    args = parser.parse_args()
    settings = Settings()
    heights = [int(h) for h in args.heights.split(",")]
    pages = asyncio.run(_prepare(_files(args.receipts, args.invoices), settings))
    extra_files = [
        (p, "receipt")
        for p in sorted(RECEIPTS.glob("img-*.jpg"))[args.receipts : args.receipts + args.tokens_receipts]
    ]
    extra = asyncio.run(_prepare(extra_files, settings)) if extra_files else []
    if args.tokens_only:
        for floor_px in (float(f) for f in args.tokens_only.split(",")):
            _before_after(pages, extra, floor_px, settings, ocr=False)
        return
    print(f"{len(pages)} pages read by OCR ({len(extra)} more for tokens only); curve per page:", flush=True)
    _curve(pages, heights, settings.pages.jpeg_quality)
    floor = _floor(pages, heights, args.target)
    print(f"measured floor: {floor} px (target similarity {args.target})")
    chosen = args.floor if args.floor is not None else floor
    if chosen is None:
        print("no floor keeps OCR unchanged at these heights: the budget stays off")
        return
    _before_after(pages, extra, chosen, settings)


if __name__ == "__main__":
    main()
