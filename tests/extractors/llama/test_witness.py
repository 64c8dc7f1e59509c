"""The second witness: how loosely a value must match the page's own text, and what the
llama engine does with the witness per ``llm_witness`` (text layer, OCR, off)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from extractors.llama import LlamaEngine
from extractors.reading_frame import to_shown
from extractors.witness import WitnessReader, agree, states
from models.extraction import ExtractedField
from models.page import OcrReading, PreparedPage, TextLine
from models.schemas import FieldKind, get_schema
from tests.extractors.llama.conftest import extract, image_page, llm_settings, scan_lines
from tests.fakes.scans import describe_page_image
from tests.fakes.vllm_server import FakeVllmServer
from tests.support.truth import InvoiceTruth

Invoice = tuple[InvoiceTruth, list[PreparedPage]]
ESSENTIAL = ("vendor_name", "invoice_number", "invoice_date", "total_amount")


@pytest.mark.parametrize(
    ("text", "value", "kind", "ocr"),
    [
        ("Total due: EUR 1.234,50", 1234.5, FieldKind.MONEY, False),
        ("TOTAL $1,234.50", 1234.5, FieldKind.MONEY, False),
        ("Rechnungsdatum: 23.03.2025", "2025-03-23", FieldKind.DATE, False),
        ("Date: March 23, 2025", "2025-03-23", FieldKind.DATE, False),
        ("Invoice No. INV 2025/0042", "INV-2025-0042", FieldKind.TEXT, False),
        ("Invoice No. lNV-2O25-0042", "INV-2025-0042", FieldKind.TEXT, True),  # OCR's l and O
        ("ACME TRADING LTD.", "Acme Trading Ltd", FieldKind.TEXT, False),
        ("AtelierMoreauSARL   INVOICE", "Atelier Moreau SARL", FieldKind.TEXT, True),  # glued by OCR
    ],
)
def test_the_witness_states_a_value_in_any_printed_form(
    text: str, value: str | float, kind: FieldKind, ocr: bool
) -> None:
    assert states(text, value, kind, ocr=ocr, fuzzy=True)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Total due: EUR 1.284,50", 1234.5, FieldKind.MONEY),
        ("Rechnungsdatum: 24.03.2025", "2025-03-23", FieldKind.DATE),
        ("Invoice No. INV-2025-00421", "INV-2025-0042", FieldKind.TEXT),  # a longer number
        ("Invoice No. INV-2025-0043", "INV-2025-0042", FieldKind.TEXT),
        ("Globex Corporation", "Acme Trading Ltd", FieldKind.TEXT),
    ],
)
def test_the_witness_does_not_state_another_value(text: str, value: str | float, kind: FieldKind) -> None:
    assert not states(text, value, kind, ocr=True, fuzzy=True)


def test_readings_agree_per_kind() -> None:
    assert agree(102.0, "102.00", FieldKind.MONEY) and not agree(120.0, 102.0, FieldKind.MONEY)
    assert agree("2025-03-23", "2025-03-23", FieldKind.DATE)
    assert not agree("2025-03-23", "2025-03-24", FieldKind.DATE)
    assert agree("INV 2025/0042", "inv-2025-0042", FieldKind.TEXT)
    assert agree("Müller & Söhne GmbH", "MÜLLER & SÖHNE GMBH", FieldKind.TEXT)


def test_a_scan_is_witnessed_by_ocr_only_for_its_essential_values(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, _ = invoice
    page = image_page(1, scan_lines(truth))
    assert page.image is not None
    settings = llm_settings(tmp_path, fake.base_url)
    describe_page_image(fake, settings, page.image, "\n".join(scan_lines(truth)))
    result = extract(settings, [page])
    for name in ("invoice_number", "invoice_date", "total_amount"):
        found = result.fields[name]
        assert "witness:agrees" in found.evidence, (name, found.evidence)
        assert found.source_text is not None and found.bbox is not None  # the OCR line
        assert not found.flags
    others = [f for name, f in result.fields.items() if name not in ESSENTIAL]
    assert all(not any(e.startswith("witness") for e in f.evidence) for f in others)


def test_a_failed_ocr_leaves_no_verdict_and_says_why(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, _ = invoice
    page = image_page(1, scan_lines(truth))
    assert page.image is not None
    settings = llm_settings(tmp_path, fake.base_url)
    describe_page_image(fake, settings, page.image, "\n".join(scan_lines(truth)))

    def broken_ocr(jpeg: bytes, width: int, height: int) -> list[TextLine]:
        raise RuntimeError("onnxruntime went away")

    async def go() -> dict[str, ExtractedField]:
        engine = LlamaEngine(settings)
        engine.witness = WitnessReader(settings, ocr=broken_ocr)
        try:
            return (await engine.extract([page], get_schema("invoice"))).fields
        finally:
            await engine.aclose()

    fields = asyncio.run(go())
    total = fields["total_amount"]
    assert total.value == float(truth.total_amount)  # the page itself did not fail
    assert "witness:agrees" not in total.evidence and not total.flags
    assert any(e.startswith("witness: none (OCR: ocr_failed") for e in total.evidence)


def test_a_scan_ocr_found_turned_is_witnessed_in_the_turn_it_found(tmp_path: Path) -> None:
    # The scan lies upside down (the page itself says nothing of it): read as shown, the
    # thanks line at the top of the image would be the merchant.
    rows = [("ACME CORNER SHOP", (0.25, 0.05, 0.75, 0.09)), ("Thank you!", (0.3, 0.9, 0.7, 0.94))]
    shown = [TextLine(text=text, bbox=to_shown(box, 180), confidence=0.95) for text, box in rows]

    def ocr(jpeg: bytes, width: int, height: int) -> OcrReading:
        return OcrReading(lines=shown, turn=180)

    reader = WitnessReader(llm_settings(tmp_path, "http://127.0.0.1:9"), ocr=ocr)
    witness = asyncio.run(reader.read(image_page(1, ["ACME CORNER SHOP"])))

    assert witness is not None and witness.turn == 180
    merchant = witness.reading(get_schema("receipt")).fields["merchant_name"]
    assert merchant.value == "ACME CORNER SHOP"
    assert merchant.bbox == pytest.approx(shown[0].bbox)


@pytest.mark.parametrize("mode", ["text", "off"])
def test_witness_modes_that_leave_scans_unwitnessed(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path, mode: str
) -> None:
    truth, _ = invoice
    scan = image_page(2, scan_lines(truth))
    assert scan.image is not None
    settings = llm_settings(tmp_path, fake.base_url, llm={"witness": mode})
    describe_page_image(fake, settings, scan.image, "\n".join(scan_lines(truth)))
    fake.faults.wrong = {truth.invoice_number: ["total_amount"]}
    on_scan = extract(settings, [scan])
    assert all(not f.evidence and not f.flags for f in on_scan.fields.values())
    text_page = PreparedPage(
        page_number=1, text="\n".join(scan_lines(truth)), route="text", text_quality="good"
    )
    on_text = extract(settings, [text_page]).fields["total_amount"]
    assert on_text.value != float(truth.total_amount)
    if mode == "text":  # the text layer still witnesses text pages
        assert on_text.flags == ["disagreement"]
    else:  # no witness at all: the wrong total stands alone (the done rule must not trust it)
        assert not on_text.flags and not on_text.evidence
