"""The local engine on prepared pages: text layer, OCR (the real page reader), failures as data."""

from __future__ import annotations

import asyncio
import io
import time
from decimal import Decimal

import pytest
from PIL import Image

from core.errors import InternalError
from core.settings import Settings
from extractors.engines.base import Engine
from extractors.engines.local import READ_TURNED, LocalEngine
from extractors.ocr import OCR_MODEL
from extractors.reading_frame import to_reading, to_shown
from models.page import OcrReading, PageImage, PageRoute, PreparedPage, TextLine, TextQuality, TileGrid, Turn
from models.schemas import get_schema
from tests.extractors.fieldmap.test_mapper import pdf_pages
from tests.support.documents import invoice_pdf, receipt_scan
from tests.support.truth import make_invoice_truth, make_receipt_truth


def text_page(lines: list[TextLine], number: int = 1) -> PreparedPage:
    return PreparedPage(
        page_number=number,
        width_pt=595,
        height_pt=842,
        text="\n".join(line.text for line in lines),
        lines=lines,
        text_quality=TextQuality.GOOD,
        route=PageRoute.TEXT,
    )


def image_page(
    image_bytes: bytes,
    number: int = 1,
    *,
    route: PageRoute = PageRoute.IMAGE,
    lines: list[TextLine] | None = None,
) -> PreparedPage:
    """A page the way preparation hands over a scan: the image re-encoded as JPEG."""
    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return PreparedPage(
        page_number=number,
        width_pt=image.width,
        height_pt=image.height,
        route=route,
        lines=lines or [],
        text_quality=TextQuality.EMPTY,
        image=PageImage(
            jpeg=out.getvalue(),
            width=image.width,
            height=image.height,
            grid=TileGrid(cols=2, rows=3),
            estimated_tokens=6 * 145 + 147,
        ),
    )


def run(engine: LocalEngine, page: PreparedPage, schema: str = "invoice"):  # noqa: ANN201
    return asyncio.run(engine.extract([page], get_schema(schema)))


def test_local_engine_keeps_the_engine_protocol(settings: Settings) -> None:
    engine = LocalEngine(settings)
    assert isinstance(engine, Engine)
    assert (engine.name, engine.max_pages_per_call) == ("local", 1)
    assert engine.model is not None and engine.model.startswith(OCR_MODEL + "+")
    asyncio.run(engine.aclose())


@pytest.mark.parametrize("seed", [2, 5, 9])
def test_text_route_reads_the_text_layer(settings: Settings, seed: int) -> None:
    truth = make_invoice_truth(seed)
    (lines,) = pdf_pages(invoice_pdf(truth))

    def no_ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        raise AssertionError("a text page must not be OCR'd")

    result = run(LocalEngine(settings, ocr=no_ocr), text_page(lines))
    expected = truth.schema_values()
    assert result.failure is None
    assert {name: f.value for name, f in result.fields.items()} == {
        k: v for k, v in expected.items() if k != "line_items"
    }
    assert [{k: c.value for k, c in row.items()} for row in result.tables["line_items"]] == (
        expected["line_items"]
    )
    (call,) = result.calls
    assert (call.engine, call.model, call.page_numbers) == ("local", LocalEngine.model, [1])
    assert call.finish_reason == "stop" and call.error_code is None
    assert call.cost_usd == Decimal("0") and call.latency_ms > 0


def test_page_that_failed_to_prepare_is_a_failure_without_ocr(settings: Settings) -> None:
    calls = []

    def counting_ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        calls.append(1)
        return []

    page = PreparedPage(page_number=3, error_code="page_timeout", error="render took too long")
    result = run(LocalEngine(settings, ocr=counting_ocr), page)
    assert result.failure is not None
    assert (result.failure.page_number, result.failure.code) == (3, "page_timeout")
    assert result.calls[0].error_code == "page_timeout" and result.calls[0].finish_reason is None
    assert calls == []


def test_ocr_timeout_is_a_page_failure(tmp_path) -> None:  # noqa: ANN001
    settings = Settings(_env_file=None, storage={"data_dir": tmp_path}, extraction={"ocr_timeout_s": 0.05})

    def hung_ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        time.sleep(0.5)
        return []

    page = image_page(receipt_scan(make_receipt_truth(1)), number=2)
    result = run(LocalEngine(settings, ocr=hung_ocr), page, "receipt")
    assert result.failure is not None and result.failure.code == "page_timeout"
    assert "0.05" in result.failure.message
    assert result.calls[0].error_code == "page_timeout"


def test_ocr_crash_is_a_page_failure(settings: Settings) -> None:
    def broken_ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        raise RuntimeError("onnxruntime exploded")

    result = run(
        LocalEngine(settings, ocr=broken_ocr), image_page(receipt_scan(make_receipt_truth(1))), "receipt"
    )
    assert result.failure is not None and result.failure.code == "ocr_failed"
    assert "onnxruntime exploded" in result.failure.message


def test_unreadable_image_bytes_with_real_ocr(settings: Settings) -> None:
    page = image_page(receipt_scan(make_receipt_truth(1)))
    broken = page.model_copy(
        update={
            "image": page.image.model_copy(  # type: ignore[union-attr]
                update={"jpeg": b"\xff\xd8\xff not really a jpeg"}
            )
        }
    )
    result = run(LocalEngine(settings), broken, "receipt")
    assert result.failure is not None and result.failure.code == "ocr_unreadable"


def test_more_than_one_page_per_call_is_our_bug(settings: Settings) -> None:
    page = text_page([TextLine(text="Total 1.00", bbox=(0, 0, 1, 0.1))])
    with pytest.raises(InternalError):
        asyncio.run(LocalEngine(settings).extract([page, page], get_schema("invoice")))


def test_both_route_adds_ocr_lines_outside_the_text_layer(settings: Settings) -> None:
    truth = make_receipt_truth(4)
    text_layer = [TextLine(text=truth.merchant_name, bbox=(0.2, 0.05, 0.8, 0.09))]
    printed_total = f"TOTAL   {truth.currency} {truth.total_amount}"

    def ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        return [
            TextLine(text="M3RCHANT", bbox=(0.2, 0.05, 0.8, 0.09), confidence=0.5),
            TextLine(text=printed_total, bbox=(0.1, 0.7, 0.9, 0.74), confidence=0.9),
        ]

    page = image_page(receipt_scan(truth), route=PageRoute.BOTH, lines=text_layer)
    result = run(LocalEngine(settings, ocr=ocr), page, "receipt")
    assert result.fields["merchant_name"].value == truth.merchant_name  # text layer wins
    merchant = result.fields["merchant_name"]
    # the only line, with no legal form or business word: found by a weak rule, and says so
    assert merchant.method == "party:top-line" and merchant.confidence < 0.8
    total = result.fields["total_amount"]
    assert total.value == float(truth.total_amount)  # from OCR
    # a lone plain "TOTAL" that nothing on the page can check: OCR x next cell x 0.85
    assert total.method == "total:keyword"
    assert total.confidence == pytest.approx(0.9 * 0.97 * 0.85, abs=1e-4)


@pytest.mark.slow
def test_scanned_receipts_through_real_ocr(settings: Settings) -> None:
    seeds = [1, 4, 6]
    engine = LocalEngine(settings)
    hits = {"total_amount": 0, "date": 0, "merchant_name": 0}
    for seed in seeds:
        truth = make_receipt_truth(seed)
        result = run(engine, image_page(receipt_scan(truth)), "receipt")
        assert result.failure is None
        expected = truth.schema_values()
        for name in hits:
            found = result.fields.get(name)
            hits[name] += found is not None and found.value == expected[name]
        assert result.calls[0].latency_ms > 0
        print(f"seed {seed}: OCR + mapping {result.calls[0].latency_ms:.0f} ms")
    print("OCR hit rate:", {k: f"{v}/{len(seeds)}" for k, v in hits.items()})
    assert all(v >= len(seeds) - 1 for v in hits.values()), hits


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_receipt_scan_fed_in_turned_is_read_through_real_ocr_as_the_upright_one(
    settings: Settings, turn: Turn
) -> None:
    truth = make_receipt_truth(4)
    # PIL turns counter-clockwise: -turn lays the scan ``turn`` degrees clockwise.
    turned = Image.open(io.BytesIO(receipt_scan(truth))).rotate(-turn, expand=True)
    out = io.BytesIO()
    turned.save(out, "PNG")

    result = run(LocalEngine(settings), image_page(out.getvalue()), "receipt")

    assert result.failure is None
    expected = truth.schema_values()
    for name in ("merchant_name", "date", "total_amount"):
        found = result.fields[name]
        assert found.value == expected[name], name
        assert (f"{READ_TURNED} {turn}" in " ".join(found.evidence)) == (turn != 0), found.evidence
    # Boxes are on the image as given: turned back, the merchant heads the receipt and the
    # total sits below it.
    assert result.fields["merchant_name"].bbox is not None and result.fields["total_amount"].bbox is not None
    merchant = to_reading(result.fields["merchant_name"].bbox, turn)
    total = to_reading(result.fields["total_amount"].bbox, turn)
    assert merchant[1] < 0.25 and merchant[3] < total[1]


def _receipt_lines_as_shown(turn: Turn) -> list[TextLine]:
    """A receipt's lines as OCR gives them for an image lying ``turn`` degrees clockwise."""
    rows = [
        ("ACME CORNER SHOP", (0.25, 0.05, 0.75, 0.09)),
        ("Date: 2024-03-05", (0.1, 0.2, 0.5, 0.24)),
        ("Thank you for your visit!", (0.2, 0.9, 0.8, 0.94)),
        ("TOTAL              12.50", (0.1, 0.7, 0.9, 0.74)),
    ]
    return [TextLine(text=text, bbox=to_shown(box, turn), confidence=0.95) for text, box in rows]


@pytest.mark.parametrize("route", [PageRoute.IMAGE, PageRoute.BOTH])
def test_ocr_lines_are_mapped_in_the_turn_the_reader_found(settings: Settings, route: PageRoute) -> None:
    # The reader found the image lying 180 degrees: read as shown, the thanks line would head
    # the page and be taken for the merchant. A BOTH page without text-layer lines is OCR's.
    def ocr(jpeg: bytes, width: int, height: int) -> OcrReading:
        return OcrReading(lines=_receipt_lines_as_shown(180), turn=180)

    page = image_page(receipt_scan(make_receipt_truth(4)), route=route)
    result = run(LocalEngine(settings, ocr=ocr), page, "receipt")

    merchant = result.fields["merchant_name"]
    assert merchant.value == "ACME CORNER SHOP"
    assert merchant.bbox == pytest.approx(to_shown((0.25, 0.05, 0.75, 0.09), 180))
    assert f"{READ_TURNED} 180" in " ".join(merchant.evidence)


def test_a_both_page_is_mapped_in_its_text_layers_turn(settings: Settings) -> None:
    # The text layer reads 180 degrees turned (a PDF page under /Rotate); OCR took the image
    # for upright, as a reader of garbled print may: the exact text layer's frame wins (in
    # OCR's, the thanks line would head the page and be taken for the merchant).
    layer = _receipt_lines_as_shown(180)[:1]

    def ocr(jpeg: bytes, width: int, height: int) -> OcrReading:
        return OcrReading(lines=_receipt_lines_as_shown(180)[1:], turn=0)

    page = image_page(receipt_scan(make_receipt_truth(4)), route=PageRoute.BOTH, lines=layer)
    page = page.model_copy(update={"reading_turn": 180})
    result = run(LocalEngine(settings, ocr=ocr), page, "receipt")

    assert result.fields["merchant_name"].value == "ACME CORNER SHOP"
    assert result.fields["total_amount"].value == 12.5


@pytest.mark.parametrize(
    ("order", "iso", "flags"), [("auto", "2023-05-04", ["ambiguous_date"]), ("mdy", "2023-04-05", [])]
)
def test_the_deployment_date_order_reaches_the_mapper(
    tmp_path, monkeypatch: pytest.MonkeyPatch, order: str, iso: str, flags: list[str]
) -> None:  # noqa: ANN001
    monkeypatch.setenv("FOLIO_DATE_ORDER", order)
    settings = Settings(_env_file=None, storage={"data_dir": tmp_path})
    rows = ["ACME LTD", "Invoice No: 1001", "Date: 04/05/2023", "Total 10.00"]
    lines = [
        TextLine(text=text, bbox=(0.1, 0.1 + i * 0.03, 0.9, 0.12 + i * 0.03), confidence=0.95)
        for i, text in enumerate(rows)
    ]
    found = run(LocalEngine(settings), text_page(lines)).fields["invoice_date"]
    assert (found.value, found.flags) == (iso, flags)
