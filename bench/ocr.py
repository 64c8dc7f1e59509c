"""OCR speed and accuracy on scanned receipts with truth, one summary line per configuration.

Run: ``.venv/bin/python -m bench.ocr [FOLDER] [--limit N] [--config NAME ...]``; FOLDER
defaults to ``../shared/corpora/receipts-sroie`` (``img-N.jpg`` beside ``img-N.json``). Every
page is prepared first by the pipeline's own ``PagePreparer``, then read one at a time by the
configuration's OCR, so the timings are OCR alone:

- wall and CPU seconds per page (median and p90); CPU is the whole process's, so it counts
  every onnxruntime thread; the 1-minute load average before and after (timings taken while
  other work runs are slower: compare CPU seconds then);
- ``prepare``: the median time a render worker spent preparing a page (its finer gray OCR
  image included, ``extractors.ocr_prep``, made where its scan is much finer than the model
  image), and on how many pages the preparer made that OCR image.

Accuracy is measured on the OCR text itself, independent of the field mapper. Text is
compared upper-cased, with runs of spaces as one:

- ``total_found``: the total as printed (its digits with the decimal point, ``7.70`` from
  ``RM7.70``) appears as a whole number, not inside a longer one;
- ``date_found``: the date string as printed (``12 JUN 2018``, ``09/05/2018``) appears;
- ``name_words`` / ``addr_words``: the share of the merchant name's / address's words
  (letters, digits, ``&``) found as whole words: a word glued to its neighbour or split in
  two is not found, so lost and false spaces both count;
- ``name_sim``: the character similarity (``difflib`` ratio) of the best line to the name.

Configurations (``--config``, repeatable; default ``default``): see ``CONFIGS``. ``rapidocr``
is the pipeline's OCR before the page reader, kept here for reference: RapidOCR's own pipeline
with its default settings on the model-sized page image, its segments joined into lines as
the reader joins them. The others are ``extractors.ocr_page``'s reader (the pipeline's OCR)
with the options named.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import functools
import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from extractors.ocr import ocr_threads
from extractors.ocr_page import OcrOptions, lines_from_segments, read_lines
from extractors.ocr_spaces import SpaceRule
from extractors.prepare import PagePreparer
from extractors.sniff import sniff_kind
from models.page import PreparedPage, TextLine

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "receipts-sroie"

OcrFunction = Callable[[bytes, int, int], list[TextLine]]


@dataclass(frozen=True)
class Config:
    """One way of reading pages: the OCR options (None: RapidOCR's own pipeline) and whether
    the page's finer OCR image is used when it has one."""

    options: OcrOptions | None
    ocr_image: bool = True


CONFIGS: dict[str, Config] = {
    "rapidocr": Config(None, ocr_image=False),
    "default": Config(OcrOptions()),
    "no-ocr-image": Config(OcrOptions(), ocr_image=False),
    "no-respace": Config(OcrOptions(respace=None)),
    "angle-always": Config(OcrOptions(angle="always")),
    "angle-never": Config(OcrOptions(angle="never")),
    "pad-320": Config(OcrOptions(rec_min_width=320)),
    "batch-12": Config(OcrOptions(rec_batch=12)),
    "batch-3": Config(OcrOptions(rec_batch=3)),
    "det-1m": Config(OcrOptions(det_pixels=1_000_000)),
    "det-2m": Config(OcrOptions(det_pixels=2_000_000)),
    "threads-1": Config(OcrOptions(threads=1)),
    "grid-0.7": Config(OcrOptions(respace=SpaceRule(grid_fit=0.7))),
}


@functools.cache
def _rapidocr() -> Any:
    from rapidocr_onnxruntime import RapidOCR  # the reference only: imported when asked for

    return RapidOCR(intra_op_num_threads=ocr_threads(), inter_op_num_threads=1)


def _rapidocr_lines(jpeg: bytes, width: int, height: int) -> list[TextLine]:
    """RapidOCR's own pipeline with its default settings (the reference configuration)."""
    raw, _ = _rapidocr()(jpeg)
    return lines_from_segments(list(raw or []), width, height)


def _ocr_function(config: Config) -> OcrFunction:
    if config.options is None:
        return _rapidocr_lines
    return functools.partial(read_lines, options=config.options)


# --- accuracy ------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.upper()).strip()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9A-Z&]+", text.upper()) if w]


def _amount(printed: str) -> str:
    found = re.search(r"\d[\d,]*\.\d\d", printed)
    return found.group(0) if found else printed.strip()


def score(truth: dict[str, str], lines: list[str]) -> dict[str, float]:
    """The accuracy figures of one page's OCR lines against the receipt's truth."""
    text = "\n".join(_norm(line) for line in lines)
    tokens = set(_words(text))
    amount = _amount(truth.get("total_amount", ""))
    name_words = _words(truth.get("merchant_name", ""))
    address_words = _words(truth.get("merchant_address", ""))
    name = _norm(truth.get("merchant_name", ""))
    return {
        "total_found": float(bool(re.search(rf"(?<![\d.]){re.escape(amount)}(?!\d)", text))),
        "date_found": float(_norm(truth.get("date", "")) in text),
        "name_words": sum(w in tokens for w in name_words) / max(1, len(name_words)),
        "addr_words": sum(w in tokens for w in address_words) / max(1, len(address_words)),
        "name_sim": max((difflib.SequenceMatcher(None, name, _norm(s)).ratio() for s in lines), default=0.0),
    }


# --- running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    path: Path
    page: PreparedPage


async def _prepare(files: list[Path]) -> list[_Page]:
    settings = Settings()
    pages = []
    async with PagePreparer(settings) as preparer:
        for path in files:
            kind = sniff_kind(path.read_bytes()[:8192], name=path.name)
            async for page in preparer.prepare(path, kind, render="when_needed"):
                if not page.failed and page.image is not None:
                    pages.append(_Page(path, page))
    return pages


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def _measure(name: str, config: Config, pages: list[_Page]) -> str:
    read = _ocr_function(config)

    def image_of(item: _Page) -> tuple[bytes, int, int]:
        image = (config.ocr_image and item.page.ocr_image) or item.page.image
        assert image is not None
        return image.jpeg, image.width, image.height

    read(*image_of(pages[0]))  # loads the models: not timed
    load_before = _load()
    walls, cpus, scores = [], [], []
    for item in pages:
        wall, cpu = time.perf_counter(), time.process_time()
        lines = read(*image_of(item))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        truth_path = item.path.with_suffix(".json")
        if truth_path.exists():
            scores.append(score(json.loads(truth_path.read_text()), [line.text for line in lines]))
    accuracy = ", ".join(
        f"{key} {statistics.fmean(s[key] for s in scores):.3f}" for key in (scores[0] if scores else {})
    )
    prepare = statistics.median(item.page.prepare_ms for item in pages)
    copies = sum(item.page.ocr_image is not None for item in pages)
    return (
        f"ocr[{name}]: {len(pages)} pages, median {statistics.median(walls):.2f} s wall "
        f"({statistics.median(cpus):.2f} s CPU), p90 {_p90(walls):.2f} s wall ({_p90(cpus):.2f} s CPU); "
        f"{accuracy}; prepare median {prepare:.0f} ms, ocr image on {copies} pages; "
        f"load {load_before:.1f} -> {_load():.1f}"
    )


async def _main(folder: Path, limit: int | None, names: list[str]) -> None:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".pdf"})
    pages = await _prepare(files[:limit])
    if not pages:
        raise SystemExit(f"no pages prepared from {folder}")
    for name in names:
        print(_measure(name, CONFIGS[name], pages), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT_FOLDER)
    parser.add_argument("--limit", type=int, default=None, help="first N files only")
    parser.add_argument(
        "--config", action="append", choices=sorted(CONFIGS), help="repeatable; default: default"
    )
    args = parser.parse_args()
    asyncio.run(_main(args.folder, args.limit, args.config or ["default"]))


if __name__ == "__main__":
    main()
