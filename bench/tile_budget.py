"""The tile budget's legibility floor, measured on real scans, and what it saves.

Run: ``nice .venv/bin/python -m bench.tile_budget [--receipts 6] [--invoices 6]
[--heights 6,7,8,9,10,11] [--floor PX] [--tokens-receipts 40] [--first-receipt 0]
[--invoice-set dev]``. Prints figures; no asserts.

Pages: scanned receipts (``../shared/corpora/receipts-sroie``, real ICDAR 2019 scans) and
the invoice scans and photos of ``var/golden/invoices-dev`` (``python -m
tests.support.invoice_set --split dev --out var/golden/invoices-dev``; ``--invoice-set
heldout`` for ``invoices-heldout``, ``--first-receipt N`` to start at the N-th receipt: pages
the rules were not developed on), each prepared by the
pipeline's own ``PagePreparer``: the image the model got before the budget (the largest grid,
at most 16 tiles), called the old image below.

1. The curve. On each old image the characters' median height ``h0`` is measured
   (``extractors.text_height``, the measure the engine uses), the image is read by the
   project's OCR (``extractors.ocr_page.read_lines``), then shrunk so its characters are ``t``
   pixels high for each ``t`` of ``--heights`` below ``h0`` and read again. Per ``t``: the
   character similarity (``difflib`` ratio, whitespace runs as one space) of the shrunk
   page's OCR text to the old image's, and the share of the truth file's values (names,
   dates, amounts, as printed) found in the OCR text, beside the same share on the old image.
2. The floor: the smallest ``t`` at and above which the mean similarity stays >= ``--target``
   (0.98) and no truth value is lost on average (``--floor`` sets it and skips the curve).
3. The cut alone: each old image cut to its text box (``extractors.text_height.text_box``,
   what the budget cuts to) at its own size, read by OCR; similarity to the uncut page's text.
4. Before/after at that floor (``extractors.tile_budget.budget_image``, exactly what
   the engine sends; the row "no crop" is the same function with ``crop=False``, the rule
   before the cut): image tokens and request prompt tokens per page (the ``receipt`` or
   ``invoice`` request as ``build_request`` estimates it), and $ per million image pages at
   the packaged price list's Scout prices, with the completion the filled answer's tokens
   (``filled_answer``, no margin); OCR similarity of the budget image to the old one. Token
   figures also cover ``--tokens-receipts`` more receipts (no OCR for those). The prompt
   dollars are the figure to compare across floors; the filled answer overstates a real
   completion (it is what the completion budget is sized from, before the margin).

``--tokens-only 8,9,10``: step 4 alone (no OCR) at each floor given.
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
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from core.errors import InternalError
from core.settings import Settings
from extractors.image_pages import encode_page_image
from extractors.llama.requests import build_request, filled_answer
from extractors.ocr_page import read_lines
from extractors.prepare import PagePreparer
from extractors.sniff import sniff_kind
from extractors.text_height import glyph_height_px, jpeg_glyph_height_px, text_box
from extractors.tile_budget import budget_image
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
    return "\n".join(line.text for line in read_lines(image.jpeg, image.width, image.height))


def _shrunk(image: PageImage, scale: float, quality: int) -> PageImage:
    width = max(1, math.floor(image.width * scale))
    height = max(1, math.floor(image.height * scale))
    grid, _w, _h = fit_tile_grid(width, height)
    with Image.open(io.BytesIO(image.jpeg)) as decoded:
        small = decoded.convert("RGB").resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return encode_page_image(small, grid, quality)


def _files(
    receipts: int, invoices: int, *, first: int = 0, invoice_set: Path = INVOICES
) -> list[tuple[Path, str]]:
    chosen = [(p, "receipt") for p in sorted(RECEIPTS.glob("img-*.jpg"))[first : first + receipts]]
    if invoice_set.is_dir():
        by_kind = [sorted(invoice_set.glob(f"*-{kind}.*")) for kind in _INVOICE_KINDS]
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


def _cut(image: PageImage, quality: int) -> PageImage | None:
    """``image`` cut to its text box at its own size; None when there is no box or it is
    the whole page."""
    with Image.open(io.BytesIO(image.jpeg)) as decoded:
        picture = decoded.convert("RGB")
    gray = np.asarray(picture.convert("L"), dtype=np.uint8)
    height = glyph_height_px(gray)
    box = text_box(gray, height) if height is not None else None
    if box is None or box == (0, 0, image.width, image.height):
        return None
    cut = picture.crop(box)
    return encode_page_image(cut, fit_tile_grid(*cut.size)[0], quality)


def _cut_alone(pages: list[_Page], quality: int) -> None:
    sims, found, found_old = [], [], []
    for item in pages:
        assert item.page.image is not None
        cut = _cut(item.page.image, quality)
        if cut is not None:
            text = _ocr(cut)
            sims.append(_similarity(text, item.old_text))
            found.append(_hit_share(text, item.truth))
            found_old.append(item.hits[0])
            print(
                f"  {item.name}: cut to {cut.width} x {cut.height} of {item.page.image.width} x "
                f"{item.page.image.height}; OCR similarity to the uncut page {sims[-1]:.3f}, truth "
                f"found {found[-1]:.3f} (uncut {found_old[-1]:.3f})",
                flush=True,
            )
    if sims:
        print(
            f"cut alone (text box at full size, {len(sims)} of {len(pages)} pages cut): OCR similarity "
            f"to the uncut page mean {statistics.fmean(sims):.3f} min {min(sims):.3f}; truth found "
            f"{statistics.fmean(found):.3f} (uncut {statistics.fmean(found_old):.3f})"
        )
    else:
        print(f"cut alone: none of {len(pages)} pages cut")


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
    labels = ("before", "no crop", "after")
    rows: dict[str, list[tuple[int, int, int, float | None]]] = {label: [] for label in labels}
    costs: dict[str, list[Decimal]] = {label: [] for label in labels}
    inputs: dict[str, list[Decimal]] = {label: [] for label in labels}
    found: dict[str, list[float]] = {label: [] for label in labels}
    for item in [*pages, *extra]:
        old = item.page.image
        assert old is not None
        sent = {
            "before": old,
            "no crop": budget_image(old, budget, crop=False),
            "after": budget_image(old, budget),
        }
        schema = get_schema(item.schema)
        answer = estimate_answer_tokens(json.dumps(filled_answer(schema, [item.page])))
        for label, image in sent.items():
            similarity = None
            if ocr and label != "before" and any(item is p for p in pages):
                text = item.old_text if image is old else _ocr(image)
                similarity = _similarity(text, item.old_text)
                found[label].append(_hit_share(text, item.truth))
                if label == "no crop":
                    found["before"].append(item.hits[0])
            request = build_request(
                [item.page], schema, settings=settings, sent_images={item.page.page_number: image}
            )
            rows[label].append(
                (image.grid.tiles, image.estimated_tokens, request.estimated_prompt_tokens, similarity)
            )
            costs[label].append(price.cost(request.estimated_prompt_tokens, answer) * 1_000_000)
            inputs[label].append(price.cost(request.estimated_prompt_tokens, 0) * 1_000_000)
    print(f"before/after ({len(pages) + len(extra)} image pages, {tile_budget_rule(floor)}):")
    for label in labels:
        tiles = statistics.fmean(r[0] for r in rows[label])
        image_tokens = statistics.fmean(r[1] for r in rows[label])
        prompt = statistics.fmean(r[2] for r in rows[label])
        dollars = sum(costs[label]) / len(costs[label])
        prompt_dollars = sum(inputs[label]) / len(inputs[label])
        line = (
            f"  {label:<7} {tiles:5.1f} tiles, {image_tokens:6.0f} image tokens, {prompt:6.0f} prompt tokens "
            f"a page; per million image pages ${prompt_dollars:.0f} prompt, ${dollars:.0f} with the "
            f"filled answer's completion (Scout, price list {load_price_list().version})"
        )
        if label != "before" and ocr:
            sims = [r[3] for r in rows[label] if r[3] is not None]
            hits, hits_old = statistics.fmean(found[label]), statistics.fmean(found["before"])
            line += (
                f"; OCR similarity to the old image mean {statistics.fmean(sims):.3f} min {min(sims):.3f}, "
                f"truth found {hits:.3f} (old image {hits_old:.3f})"
            )
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
        "--first-receipt", type=int, default=0, help="skip this many receipts (sorted by name)"
    )
    parser.add_argument("--invoice-set", default="dev", help="var/golden/invoices-SET: dev or heldout")
    parser.add_argument(
        "--tokens-only",
        default=None,
        help="no OCR: tokens and dollars before/after at these floors (e.g. 8,9,10)",
    )
    args = parser.parse_args()
    settings = Settings()
    heights = [int(h) for h in args.heights.split(",")]
    if args.invoice_set not in ("dev", "heldout"):
        sys.exit("--invoice-set is dev or heldout (the unseen sets are not read file by file)")
    invoice_set = ROOT / "var" / "golden" / f"invoices-{args.invoice_set}"
    first = args.first_receipt
    pages = asyncio.run(
        _prepare(_files(args.receipts, args.invoices, first=first, invoice_set=invoice_set), settings)
    )
    start = first + args.receipts
    extra_files = [
        (p, "receipt") for p in sorted(RECEIPTS.glob("img-*.jpg"))[start : start + args.tokens_receipts]
    ]
    extra = asyncio.run(_prepare(extra_files, settings)) if extra_files else []
    if args.tokens_only:
        for floor_px in (float(f) for f in args.tokens_only.split(",")):
            _before_after(pages, extra, floor_px, settings, ocr=False)
        return
    print(f"{len(pages)} pages read by OCR ({len(extra)} more for tokens only); curve per page:", flush=True)
    _curve(pages, [] if args.floor is not None else heights, settings.pages.jpeg_quality)
    floor = None
    if args.floor is None:
        floor = _floor(pages, heights, args.target)
        print(f"measured floor: {floor} px (target similarity {args.target})")
    _cut_alone(pages, settings.pages.jpeg_quality)
    chosen = args.floor if args.floor is not None else floor
    if chosen is None:
        print("no floor keeps OCR unchanged at these heights: the budget stays off")
        return
    _before_after(pages, extra, chosen, settings)


if __name__ == "__main__":
    main()
