"""Does the weakest character tell a misread merchant name from a right one? Figures on
scanned receipts (or invoices) with truth.

Run: ``.venv/bin/python -m bench.name_confidence [FOLDER] [--limit N] [--schema S --field F]``;
FOLDER defaults to ``../shared/corpora/receipts-sroie`` (``img-N.jpg`` beside ``img-N.json``),
the schema to ``receipt`` and the field to ``merchant_name`` (for invoices: ``--schema invoice
--field vendor_name``). Scanned pages only: images, and PDF pages without a good text layer
(a page routed as text is not read by OCR in the pipeline); page 1 of each file. Pages are prepared
the way ``bench/ocr.py`` prepares them (the pipeline's ``PagePreparer``; the finer gray OCR
image where the preparer made one) and read with ``extractors.ocr_page.read_lines``. The
field mapper (``map_page``) picks the name; the OCR lines it came
from are the lines its box covers. The name is right or wrong as ``folio eval`` judges it
(``models.evaluation.rules.compare``).

Printed, for right and for wrong names: the distribution (min, p10, median, p90, max) of the
lines' mean confidence (``TextLine.confidence``, what the field's raw confidence is made of
today) and of their weakest letter or digit (``TextLine.min_char_confidence``); then,
for each signal, the best separation a single threshold gives: the highest threshold under
which every wrong name falls, and how many right names stay above it, for all wrong names
and for the misspelt ones only; then every wrong name with both figures and its kind, so the
kind of failure can be read off.

A wrong name is ``misspelt`` when it differs from the truth by at most
``SPELLING_CHARACTERS`` characters (letters and digits, case and spacing ignored): a letter
misread, dropped or added, as an OCR slip makes it. Every other wrong name is ``other`` (a
wrong line, a word dropped or a line not joined), which no character probability can show.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.ocr import DEFAULT_FOLDER, _prepare
from extractors.fieldmap.mapper import map_page
from extractors.ocr_page import read_lines
from models.evaluation.rules import compare
from models.evaluation.truth import TruthValueError, compact_text
from models.page import PageRoute, TextLine
from models.schemas import BUILTIN_SCHEMAS, FieldKind

SPELLING_CHARACTERS = 2


@dataclass(frozen=True)
class NameReading:
    """One page's name as mapped, whether it is right, and its lines' signals."""

    file: str
    truth: str
    value: str | None
    right: bool
    mean: float | None  # least mean confidence of the name's lines
    weakest: float | None  # least min_char_confidence of the name's lines

    @property
    def kind(self) -> str:
        """'right', 'misspelt' or 'other' (see the module doc)."""
        if self.right:
            return "right"
        return (
            "misspelt" if characters_apart(self.truth, self.value or "") <= SPELLING_CHARACTERS else "other"
        )


def characters_apart(truth: str, value: str) -> int:
    """How many letters and digits differ between two texts (case and spacing ignored)."""
    a, b = compact_text(truth), compact_text(value)
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in opcodes if tag != "equal")


def name_lines(lines: list[TextLine], bbox: tuple[float, float, float, float]) -> list[TextLine]:
    """The lines a field's box was made of: centre inside its rows, overlapping its columns."""
    x0, y0, x1, y1 = bbox
    slack = 1e-6
    chosen = []
    for line in lines:
        lx0, ly0, lx1, ly1 = line.bbox
        centre = (ly0 + ly1) / 2
        if y0 - slack <= centre <= y1 + slack and min(x1, lx1) > max(x0, lx0):
            chosen.append(line)
    return chosen


def read_name(path: Path, image: tuple[bytes, int, int], schema: str, field: str) -> NameReading | None:
    """The name ``field`` of one page image, judged against its truth file."""
    truth_file = path.with_suffix(".json")
    if not truth_file.exists():
        return None
    truth = json.loads(truth_file.read_text()).get(field)
    if not truth:
        return None
    lines = read_lines(*image)
    page = map_page(lines, BUILTIN_SCHEMAS[schema], page_number=1, date_order="dmy")
    found = page.fields.get(field)
    value = found.value if found is not None else None
    try:
        right = compare(FieldKind.TEXT, field, truth, value).correct
    except TruthValueError:
        return None
    used = name_lines(lines, found.bbox) if found is not None and found.bbox is not None else []
    weakest = [line.min_char_confidence for line in used if line.min_char_confidence is not None]
    return NameReading(
        file=path.name,
        truth=str(truth),
        value=None if value is None else str(value),
        right=right,
        mean=min((line.confidence for line in used), default=None),
        weakest=min(weakest, default=None),
    )


def _spread(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    deciles = statistics.quantiles(ordered, n=10, method="inclusive") if len(ordered) > 1 else ordered * 9
    return (
        f"min {ordered[0]:.4f}  p10 {deciles[0]:.4f}  median {statistics.median(ordered):.4f}"
        f"  p90 {deciles[-1]:.4f}  max {ordered[-1]:.4f}"
    )


def separation(right: list[float], wrong: list[float]) -> str:
    """The best single threshold: just above the highest wrong value, and the right values
    at or above it."""
    if not wrong:
        return "no wrong names"
    bar = max(wrong)
    above = sum(v > bar for v in right)
    return f"every wrong name <= {bar:.4f}; right names above it: {above}/{len(right)}"


def report(readings: list[NameReading]) -> list[str]:
    """The printed lines (see the module doc)."""
    right = [r for r in readings if r.right and r.value is not None]
    wrong = [r for r in readings if not r.right and r.value is not None]
    missing = sum(r.value is None for r in readings)
    out = [f"pages {len(readings)}: name right {len(right)}, wrong {len(wrong)}, missing {missing}"]
    for signal in ("mean", "weakest"):
        good = [v for r in right if (v := getattr(r, signal)) is not None]
        bad = [v for r in wrong if (v := getattr(r, signal)) is not None]
        label = "mean line confidence" if signal == "mean" else "min char confidence"
        out.append(f"{label:<21} right: {_spread(good)}")
        out.append(f"{label:<21} wrong: {_spread(bad)}")
        misspelt = [v for r in wrong if r.kind == "misspelt" and (v := getattr(r, signal)) is not None]
        out.append(f"{label:<21} best threshold, all wrong: {separation(good, bad)}")
        out.append(f"{label:<21} best threshold, misspelt ({len(misspelt)}): {separation(good, misspelt)}")
        for bar in (0.5, 0.6, 0.7, 0.8, 0.9):
            out.append(
                f"{label:<21} >= {bar:.1f}: right {sum(v >= bar for v in good)}/{len(good)}"
                f", wrong {sum(v >= bar for v in bad)}/{len(bad)}"
            )
    for r in sorted(wrong, key=lambda r: r.file):
        mean = "-" if r.mean is None else f"{r.mean:.4f}"
        weakest = "-" if r.weakest is None else f"{r.weakest:.4f}"
        out.append(
            f"wrong {r.file} ({r.kind}): mean {mean} min_char {weakest}  value {r.value!r}  truth {r.truth!r}"
        )
    return out


async def _main(folder: Path, limit: int | None, schema: str, field: str) -> None:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".pdf"})
    pages = await _prepare(files[:limit])
    readings = []
    for item in pages:
        # The page's finer gray OCR image where the preparer made one, as the engine reads it.
        image = getattr(item.page, "ocr_image", None) or item.page.image
        assert image is not None
        if item.page.route == PageRoute.TEXT or item.page.page_number != 1:
            continue
        reading = read_name(item.path, (image.jpeg, image.width, image.height), schema, field)
        if reading is not None:
            readings.append(reading)
    for line in report(readings):
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT_FOLDER)
    parser.add_argument("--limit", type=int, default=None, help="first N files only")
    parser.add_argument("--schema", default="receipt", choices=sorted(BUILTIN_SCHEMAS))
    parser.add_argument("--field", default="merchant_name", help="a name field of the schema")
    args = parser.parse_args()
    asyncio.run(_main(args.folder, args.limit, args.schema, args.field))


if __name__ == "__main__":
    main()
