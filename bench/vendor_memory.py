"""Repeat-vendor benchmark: field errors of the local engine on a vendor's later documents,
before and after it learned from the reviewer's approved first document.

    .venv/bin/python -m bench.vendor_memory [--vendors 34] [--docs 4] [--scans] [--show]

Vendors: every layout of the generated invoice set (``tests/support/invoice_set``: ERP
exports, national letters, marketplace, SaaS, bills, folios, ...) in up to two of its
locales, each one vendor: one seller (name, address, ids, IBAN), one drawing style, four
documents with their own numbers, dates, items and amounts. The layouts were written to
imitate real invoices before vendor memory existed; none was made for this benchmark, and
vendors the engine already reads right are kept (memory must not break them).

For each vendor: documents 2..N are read by the real local engine (the page preparer, then
``LocalEngine.extract`` page by page, then merge) with no memory; document 1 is read and its
values replaced by the truth (what a reviewer approves), and a profile is taught from it
exactly as the approval hook does (``teach_profile`` on the engine's own page lines); then
documents 2..N are read again with the tenant's memory set. A field error is a scalar field
of the ``invoice`` schema whose value is wrong, missing, or present where the truth is null
(``models.evaluation`` rules). Digital PDFs by default; ``--scans`` renders every document
as a grey scan first (OCR, minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import tempfile
from collections import Counter
from pathlib import Path

from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.engines.vendor_context import VendorMemory, vendor_memory
from extractors.fieldmap.vendor_profiles import teach_profile
from extractors.merge import merge_pages
from extractors.prepare import PagePreparer
from models.document import FileKind
from models.evaluation.rules import compare
from models.evaluation.truth import TruthValueError
from models.extraction import DocumentExtraction, FieldScalar, PageExtraction
from models.schemas import FieldKind, get_schema
from tests.support.invoice_set import degrade
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.layouts import REGISTRY
from tests.support.invoice_set.layouts.base import Ctx
from tests.support.invoice_set.layouts.blocks import ACCENTS
from tests.support.invoice_set.money import LOCALES
from tests.support.invoice_set.render import Canvas

SCHEMA = get_schema("invoice")
SEED = "vendor-memory-1"


@dataclasses.dataclass
class Document:
    vendor: str
    path: Path
    truth: dict[str, object]


def vendors(limit: int) -> list[tuple[str, str]]:
    """(layout, locale) pairs: every layout's first locale, then its second."""
    firsts = [(name, layout.locales[0]) for name, layout in REGISTRY.items()]
    seconds = [(name, layout.locales[1]) for name, layout in REGISTRY.items() if len(layout.locales) > 1]
    return (firsts + seconds)[:limit]


def draw_vendor(
    layout_name: str, locale: str, docs: int, out: Path, names: Names, scans: bool
) -> list[Document]:
    """``docs`` invoices of one vendor: the seller and drawing style fixed, the rest drawn."""
    layout, loc = REGISTRY[layout_name], LOCALES[locale]
    seller = None
    made: list[Document] = []
    for k in range(docs):
        rng = random.Random(f"{SEED}/{layout_name}/{locale}/{k}")
        facts = layout.build(rng, loc, names, (1, 8))
        seller = seller or facts.vendor
        facts = dataclasses.replace(facts, vendor=seller)
        canvas = Canvas(size=layout.page)
        style = random.Random(f"{SEED}/{layout_name}/{locale}/style")  # one vendor, one template
        layout.draw(Ctx(canvas, facts, loc, style, accent=ACCENTS[hash(layout_name) % len(ACCENTS)]))
        pdf = canvas.finish(f"{facts.vendor.name} {facts.number}", facts.issue_date)
        stem = f"{layout_name}-{locale}-{k + 1}"
        if scans:
            pages = degrade.render(pdf, 150, gray=True)
            path = out / f"{stem}.jpg"
            path.write_bytes(degrade.jpeg(degrade.scan(pages[0], rng), 80, dpi=150))
        else:
            path = out / f"{stem}.pdf"
            path.write_bytes(pdf)
        made.append(Document(f"{layout_name}:{locale}", path, facts.truth()))
    return made


async def read(
    engine: LocalEngine, preparer: PagePreparer, doc: Document
) -> tuple[DocumentExtraction, list[list], list[PageExtraction]]:
    """The engine's reading of ``doc``: merged result, each page's lines, each page's result."""
    kind = FileKind.JPEG if doc.path.suffix == ".jpg" else FileKind.PDF
    results, lines = [], []
    async for page in preparer.prepare(doc.path, kind, render="when_needed"):
        lines.append(await engine.read_lines(page))
        results.append(await engine.extract([page], SCHEMA))
    merged = merge_pages(results, schema=SCHEMA, engine="local", model=engine.model, prepare_failures=[])
    return merged, lines, results


def errors(extraction: DocumentExtraction, truth: dict[str, object]) -> list[str]:
    """The scalar fields read wrong, missing, or invented where the truth is null."""
    wrong = []
    for spec in SCHEMA.fields:
        if spec.kind is FieldKind.TABLE:
            continue
        found = extraction.fields.get(spec.name)
        value = found.value if found else None
        expected = truth.get(spec.name)
        if expected is None:
            if value is not None:
                wrong.append(spec.name)
            continue
        try:
            if not compare(spec.kind, spec.name, expected, value).correct:
                wrong.append(spec.name)
        except TruthValueError:
            continue
    return wrong


@dataclasses.dataclass
class Tally:
    """Field errors before and after memory, by field, and which changed."""

    before: Counter[str] = dataclasses.field(default_factory=Counter)
    after: Counter[str] = dataclasses.field(default_factory=Counter)
    fixed: Counter[str] = dataclasses.field(default_factory=Counter)
    broken: Counter[str] = dataclasses.field(default_factory=Counter)
    per_vendor: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)


async def measure_vendor(
    engine: LocalEngine, preparer: PagePreparer, docs: list[Document], tally: Tally, *, show: bool
) -> None:
    """Teach a profile from the approved first document; count errors on the others."""
    first = docs[0]
    _, lines, mapped = await read(engine, preparer, first)
    approved: dict[str, FieldScalar] = {
        k: v for k, v in first.truth.items() if isinstance(v, str | int | float | bool) or v is None
    }
    profile = teach_profile(lines, approved, SCHEMA, document_id=first.path.stem, mapped=mapped)
    memory = VendorMemory((profile.model_copy(update={"id": "v1"}),))
    b = a = 0
    for doc in docs[1:]:
        plain, _, _ = await read(engine, preparer, doc)
        with vendor_memory(memory):
            taught, _, _ = await read(engine, preparer, doc)
        e0, e1 = set(errors(plain, doc.truth)), set(errors(taught, doc.truth))
        tally.before.update(e0)
        tally.after.update(e1)
        tally.fixed.update(e0 - e1)
        tally.broken.update(e1 - e0)
        b, a = b + len(e0), a + len(e1)
        for name in sorted(e0 ^ e1) if show else []:
            old, new = plain.fields.get(name), taught.fields.get(name)
            print(
                f"  {doc.path.stem} {name}: truth {doc.truth.get(name)!r} | "
                f"before {old.value if old else None!r} | after {new.value if new else None!r}"
            )
    tally.per_vendor.append((docs[0].vendor, b, a))


async def run(args: argparse.Namespace) -> None:
    settings = Settings(_env_file=None)
    engine = LocalEngine(settings)
    names = Names("heldout")
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        async with PagePreparer(settings) as preparer:
            for layout_name, locale in vendors(args.vendors):
                docs = draw_vendor(layout_name, locale, args.docs, Path(tmp), names, args.scans)
                await measure_vendor(engine, preparer, docs, tally, show=args.show)
    _report(args, tally)


def _report(args: argparse.Namespace, tally: Tally) -> None:
    per_vendor, before, after, fixed, broken = (
        tally.per_vendor,
        tally.before,
        tally.after,
        tally.fixed,
        tally.broken,
    )
    profile_count = len(per_vendor)
    docs = profile_count * (args.docs - 1)
    fields = sum(1 for s in SCHEMA.fields if s.kind is not FieldKind.TABLE)
    print(f"vendor memory, local engine, {'scans' if args.scans else 'digital PDFs'}")
    print(f"vendors {profile_count}, documents per vendor {args.docs} (1 approved, {args.docs - 1} measured)")
    print(f"documents measured {docs}, scalar fields {docs * fields}")
    for vendor, b, a in per_vendor:
        if b or a:
            print(f"  {vendor:<28} errors before {b:>2}  after {a:>2}")
    total_before, total_after = sum(before.values()), sum(after.values())
    print("field errors by field (before -> after, fixed, newly wrong):")
    for name in sorted(set(before) | set(after)):
        print(
            f"  {name:<16} {before[name]:>3} -> {after[name]:>3}   "
            f"fixed {fixed[name]:>3}   newly wrong {broken[name]:>3}"
        )
    print(f"field errors before: {total_before}")
    print(f"field errors after:  {total_after}")
    vendors_with_errors = sum(1 for _, b, _ in per_vendor if b)
    print(f"vendors with errors before: {vendors_with_errors}; after: {sum(1 for *_, a in per_vendor if a)}")
    if total_before:
        print(f"cut: {100 * (total_before - total_after) / total_before:.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, default=34, help="how many vendors (layout x locale)")
    parser.add_argument("--docs", type=int, default=4, help="documents per vendor (the first is approved)")
    parser.add_argument("--scans", action="store_true", help="scanned JPEGs instead of digital PDFs (OCR)")
    parser.add_argument("--show", action="store_true", help="print every field that changed")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
