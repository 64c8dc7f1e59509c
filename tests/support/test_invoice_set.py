"""The invoice golden-set generator: consistent truth, real text layers, image-only scans,
determinism, and the coverage the set promises (layouts, languages, variants, splits)."""

from __future__ import annotations

import io
import json
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from tests.support.invoice_set import vocab
from tests.support.invoice_set.build import Planned, draw, files, manifest_entry, plan
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.layouts import REGISTRY
from tests.support.invoice_set.money import LOCALES, number

CENT = Decimal("0.01")


def _pick(split: str) -> list[Planned]:
    """One planned document of each variant, a long one, and the ones with fixed wording checked below."""
    items = plan(split)
    chosen: dict[str, Planned] = {}
    for item in items:
        chosen.setdefault(item.variant, item)
        if item.long and item.variant == "digital":
            chosen.setdefault("long", item)
        if item.variant == "digital":
            chosen.setdefault(f"digital-{item.layout}", item)
    keys = [
        "digital",
        "scan_pdf",
        "scan_jpg",
        "scan_png",
        "photo",
        "long",
        "digital-facture_fr",
        "digital-din5008",
        "digital-hotel_folio",
        "digital-courier",
    ]
    return [chosen[key] for key in keys]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Planned, Path, dict, dict]]:
    """A few documents written the way the CLI writes them: (planned, file, truth, manifest entry)."""
    out = tmp_path_factory.mktemp("invoices")
    result = []
    for item in _pick("dev"):
        drawn = draw("dev", item, Names("dev"))
        for suffix, data in files("dev", drawn).items():
            path = out / f"{item.stem}{suffix}"
            path.write_bytes(data)
            result.append((item, path, drawn.facts.truth(), manifest_entry(drawn, suffix)))
    return result


def _money(text: str | None, *, places: int = 2) -> Decimal:
    """An amount from a truth file, which must be written with a dot and (at least) ``places`` decimals."""
    assert text is not None
    whole, dot, fraction = text.lstrip("-").partition(".")
    assert whole.isdigit() and dot and fraction.isdigit() and len(fraction) >= places, text
    if places == 2:
        assert len(fraction) == 2, text
    return Decimal(text)


@pytest.mark.slow
def test_truth_is_internally_consistent(made: list[tuple[Planned, Path, dict, dict]]) -> None:
    for item, _, truth, entry in made:
        lines = truth["line_items"]
        assert 1 <= len(lines) <= 25, item.stem
        for line in lines:
            unit_price = _money(line["unit_price"], places=0)
            product = (Decimal(str(line["quantity"])) * unit_price).quantize(CENT, ROUND_HALF_UP)
            assert product == _money(line["amount"]), (item.stem, line)
        lines_total = sum((_money(line["amount"]) for line in lines), Decimal(0))
        adjustments = entry["adjustments"]
        pre = sum((Decimal(a["amount"]) for a in adjustments if a["before_subtotal"]), Decimal(0))
        post = sum((Decimal(a["amount"]) for a in adjustments if not a["before_subtotal"]), Decimal(0))
        total = _money(truth["total_amount"])
        tax = _money(truth["tax_amount"]) if truth["tax_amount"] is not None else Decimal(0)
        if entry["prices_include_tax"]:
            # Gross-priced bills: the lines add up to the total; the tax is contained in it.
            assert lines_total + pre + post == total, item.stem
        elif truth["subtotal"] is not None:
            assert _money(truth["subtotal"]) == lines_total + pre, item.stem
            assert _money(truth["subtotal"]) + post + tax == total, item.stem
        else:
            assert lines_total + pre + post + tax == total, item.stem
        if truth["subtotal"] is not None and truth["tax_amount"] is not None and not post:
            assert _money(truth["subtotal"]) + _money(truth["tax_amount"]) == total, item.stem
        for key in ("invoice_date", "due_date"):
            if truth[key] is not None:
                assert len(truth[key]) == 10 and truth[key][4] == "-", truth[key]
        assert len(truth["currency"]) == 3 and truth["currency"].isupper()
        assert truth["vendor_name"] and truth["vendor_name"] != truth["customer_name"]


@pytest.mark.slow
def test_digital_text_layer_holds_number_total_and_accents(
    made: list[tuple[Planned, Path, dict, dict]],
) -> None:
    digital = [(item, path, truth) for item, path, truth, _ in made if item.variant == "digital"]
    assert len(digital) >= 4
    for item, path, truth in digital:
        text = "\n".join(page.get_text() for page in pymupdf.open(path).pages())
        assert truth["invoice_number"] in text, item.stem
        printed_total = number(Decimal(truth["total_amount"]), LOCALES[item.locale])
        assert printed_total in text, (item.stem, printed_total)
        if item.layout == "facture_fr":
            # Accents and the euro sign must survive into the text layer, not only the picture.
            assert "Désignation" in text and "€" in text
        if item.layout == "din5008":
            assert "Mit freundlichen Grüßen" in text
    long = [(path, truth) for item, path, truth, _ in made if item.long and item.variant == "digital"]
    assert long
    for path, truth in long:
        # Every line of a long table is in the text layer, on whichever page it continued.
        assert len(truth["line_items"]) >= 16
        text = " ".join(" ".join(page.get_text().split()) for page in pymupdf.open(path).pages())
        for line in truth["line_items"]:
            assert line["description"] in text, line["description"]


@pytest.mark.slow
def test_scans_and_photos_have_no_text_layer(made: list[tuple[Planned, Path, dict, dict]]) -> None:
    for item, path, _, entry in made:
        assert path.stat().st_size <= 420_000, (path.name, path.stat().st_size)
        if item.variant == "scan_pdf":
            doc = pymupdf.open(path)
            assert len(doc) == entry["pages"]
            for page in doc.pages():
                assert page.get_text().strip() == ""
                assert page.get_images()
        elif item.variant in ("scan_jpg", "scan_png", "photo"):
            image = Image.open(io.BytesIO(path.read_bytes()))
            assert image.format == ("PNG" if item.variant == "scan_png" else "JPEG")
            assert entry["pages"] == 1
            assert min(image.size) >= 1000, image.size
            if item.variant != "photo":
                dpi = round(float(image.info["dpi"][0]))
                assert 150 <= dpi <= 300


def test_same_split_gives_identical_documents_and_truth() -> None:
    items = [item for item in plan("heldout") if item.variant in ("digital", "scan_pdf", "photo")][:3]
    assert plan("heldout") == plan("heldout")
    runs = []
    for _ in range(2):
        run = []
        for item in items:
            drawn = draw("heldout", item, Names("heldout"))
            run.append((json.dumps(drawn.facts.truth(), sort_keys=True), files("heldout", drawn)))
        runs.append(run)
    assert runs[0] == runs[1]


@pytest.mark.parametrize(("split", "least"), [("dev", 60), ("heldout", 40)])
def test_split_coverage_meets_the_minimums(split: str, least: int) -> None:
    items = plan(split)
    assert len(items) >= least
    assert len({item.stem for item in items}) == len(items)
    layouts = Counter(item.layout for item in items)
    assert len(layouts) >= 15
    languages = Counter(LOCALES[item.locale].language for item in items)
    assert set(languages) == set(vocab.LANGUAGES)
    variants = Counter(item.variant for item in items)
    scanned = sum(n for v, n in variants.items() if v.startswith("scan"))
    assert 0.4 <= variants["digital"] / len(items) <= 0.6
    assert 0.2 <= scanned / len(items) <= 0.4
    assert 0.1 <= variants["photo"] / len(items) <= 0.3
    assert {item.mark for item in items} >= {"stamp", "watermark", "scribble"}
    assert sum(item.long for item in items) >= 4


def test_heldout_has_its_own_layouts_and_names() -> None:
    dev = {item.layout for item in plan("dev")}
    heldout = {item.layout for item in plan("heldout")}
    assert len(heldout - dev) >= 3
    assert all(REGISTRY[name].splits == ("heldout",) for name in heldout - dev)
    for table in (vocab.STEMS, vocab.FIRST_NAMES, vocab.LAST_NAMES, vocab.STREETS):
        for words in table.values():
            assert len(set(words)) == len(words)
            assert not set(vocab.split_half(words, "dev")) & set(vocab.split_half(words, "heldout"))
