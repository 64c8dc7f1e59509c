"""Score the field mapper on cached page lines: seconds per run instead of minutes of OCR.

    .venv/bin/python -m bench.page_lines ../shared/corpora/receipts-sroie var/dev/sroie-lines.json
    .venv/bin/python -m bench.mapper_loop var/dev/sroie-lines.json ../shared/corpora/receipts-sroie \
        --schema receipt --date-order dmy [--show total_amount] [--subset 526-585] [--methods]
        [--stems 'scan|photo']

For development only: the figures that count come from ``folio eval`` (the real pipeline).
Comparison uses ``models.evaluation`` when it is importable, else a provisional comparator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import unicodedata
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from extractors.fieldmap.mapper import map_page
from extractors.merge import merge_pages
from models.page import TextLine
from models.schemas import FieldKind, get_schema

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}


def _norm_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _amount(text: Any) -> Decimal | None:
    raw = re.sub(r"[^0-9.,-]", "", str(text))
    if "," in raw and "." in raw:
        dot_decimal = raw.rfind(".") > raw.rfind(",")
        raw = raw.replace(",", "") if dot_decimal else raw.replace(".", "").replace(",", ".")
    elif "," in raw:
        raw = raw.replace(",", ".") if len(raw) - raw.rfind(",") == 3 else raw.replace(",", "")
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _date(text: Any, order: str) -> dt.date | None:
    text = str(text).strip().lower()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    m = re.search(r"(\d{1,2})\s*([a-z]{3})[a-z]*\s*(\d{2,4})", text)
    if m:
        day, month, year = int(m[1]), _MONTHS.get(m[2]), int(m[3])
        if month is None:
            return None
    else:
        m = re.search(r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})", text)
        if not m:
            return None
        a, b, c = (int(g) for g in m.groups())
        day, month, year = {"dmy": (a, b, c), "mdy": (b, a, c), "ymd": (c, b, a)}[order]
    year += 2000 if year < 100 else 0
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _provisional_equal(kind: FieldKind, truth: Any, value: Any, order: str) -> bool:
    if value is None:
        return False
    if kind in (FieldKind.MONEY, FieldKind.NUMBER):
        return _amount(truth) is not None and _amount(truth) == _amount(value)
    if kind is FieldKind.DATE:
        return _date(truth, order) is not None and _date(truth, order) == _date(value, "ymd")
    t, v = _norm_text(truth), _norm_text(value)
    prefix = v.startswith(t) or (t.startswith(v) and len(v) > 0.8 * len(t))
    return bool(t) and (t == v or (len(t) > 3 and prefix))


def _comparator(order: str) -> Any:
    try:  # the real rules, once the evaluation package exists
        from models.evaluation import DateOrder, compare

        date_order = DateOrder(order)
        return lambda spec, truth, value: compare(spec.kind, spec.name, truth, value, date_order).correct
    except ImportError:
        return lambda spec, truth, value: _provisional_equal(spec.kind, truth, value, order)


def _in_subset(stem: str, subset: str | None) -> bool:
    """Whether a document's number (the digits of its name) lies in ``subset`` ("526-585")."""
    if subset is None:
        return True
    low, _, high = subset.partition("-")
    digits = re.findall(r"\d+", stem)
    return bool(digits) and int(low) <= int(digits[-1]) <= int(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description="Score the mapper on cached page lines.")
    parser.add_argument("cache", type=Path)
    parser.add_argument("truth_dir", type=Path)
    parser.add_argument("--schema", default="receipt")
    parser.add_argument("--date-order", default="dmy", choices=["dmy", "mdy", "ymd"])
    parser.add_argument("--show", action="append", default=[], help="print the misses of this field")
    parser.add_argument("--subset", help="only documents numbered in this range, e.g. 526-585")
    parser.add_argument("--stems", help="only documents whose name matches this regex, e.g. 'scan|photo'")
    parser.add_argument("--methods", action="store_true", help="accuracy per field and method")
    args = parser.parse_args()

    schema = get_schema(args.schema)
    specs = {s.name: s for s in schema.fields if s.kind is not FieldKind.TABLE}
    equal = _comparator(args.date_order)
    cache: dict[str, list[list[dict[str, Any]]]] = json.loads(args.cache.read_text())
    right: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    misses: list[str] = []
    by_method: dict[tuple[str, str], list[bool]] = {}
    documents = 0
    for stem, pages in sorted(cache.items()):
        truth_file = args.truth_dir / f"{stem}.json"
        if not truth_file.exists() or not _in_subset(stem, args.subset):
            continue
        if args.stems and not re.search(args.stems, stem):
            continue
        documents += 1
        truth = json.loads(truth_file.read_text())
        results = [
            map_page([TextLine(**line) for line in lines], schema, page_number=n)
            for n, lines in enumerate(pages, 1)
        ]
        merged = merge_pages(results, schema=schema, engine="local", model=None, prepare_failures=[])
        for name, expected in truth.items():
            if name not in specs or expected in (None, ""):
                continue
            found = merged.fields.get(name)
            ok = equal(specs[name], expected, found.value if found else None)
            checked[name] += 1
            right[name] += ok
            method = (found.method or "?") if found else "-"
            by_method.setdefault((name, method), []).append(ok)
            if not ok and name in args.show:
                got = f"{found.value!r} ({found.confidence:.2f}, {found.method})" if found else "-"
                misses.append(f"{stem:>12} {name}: truth {expected!r} got {got}")
    print("\n".join(misses))
    if args.methods:
        for (name, method), oks in sorted(by_method.items()):
            print(f"  {name:>20} {method:<28} {sum(oks):>4}/{len(oks):<4} right")
    total_right, total = sum(right.values()), sum(checked.values())
    per_field = ", ".join(f"{n} {right[n] / checked[n]:.3f}" for n in checked)
    print(f"mapper_loop: {documents} docs, field accuracy {total_right / max(total, 1):.3f} ({per_field})")


if __name__ == "__main__":
    main()
