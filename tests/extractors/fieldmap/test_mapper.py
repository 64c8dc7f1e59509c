"""Schema-guided mapping on real generated PDFs (text layer read with PyMuPDF) and on lines."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pymupdf
import pytest
from pydantic import BaseModel, Field

from extractors.fieldmap.mapper import map_page
from extractors.textlayer import read_text_layer
from models.extraction import PageExtraction
from models.page import TextLine
from models.schemas import ExtractionSchema, get_schema
from tests.support.documents import invoice_pdf
from tests.support.truth import format_amount, format_date, make_invoice_truth

SEEDS = range(12)


def text_lines(page: pymupdf.Page) -> list[TextLine]:
    """The page's lines as the real text-layer reader gives them to the engine."""
    return read_text_layer(page).lines


def pdf_pages(data: bytes) -> list[list[TextLine]]:
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        return [text_lines(page) for page in doc]


def document_values(results: list[PageExtraction]) -> dict[str, Any]:
    """Pages merged the simple way: first page with a field wins, line items concatenated."""
    values: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    for result in results:
        for name, found in result.fields.items():
            values.setdefault(name, found.value)
        rows = result.tables.get("line_items", [])
        items += [{k: f.value for k, f in row.items()} for row in rows]
    values["line_items"] = items
    return values


def extract_invoice(seed: int, pages: int) -> tuple[dict[str, Any], list[PageExtraction]]:
    truth = make_invoice_truth(seed)
    results = [
        map_page(lines, get_schema("invoice"), page_number=n)
        for n, lines in enumerate(pdf_pages(invoice_pdf(truth, pages=pages)), start=1)
    ]
    return document_values(results), results


def test_digital_invoices_match_the_truth_exactly() -> None:
    hits: Counter[str] = Counter()
    misses = []
    for seed in SEEDS:
        expected = make_invoice_truth(seed).schema_values()
        got, _ = extract_invoice(seed, pages=1)
        for name, value in expected.items():
            if got.get(name) == value:
                hits[name] += 1
            else:
                misses.append((seed, name, got.get(name), value))
    print(
        "hit rate per field over",
        len(SEEDS),
        "seeds:",
        {name: f"{hits[name]}/{len(SEEDS)}" for name in make_invoice_truth(0).schema_values()},
    )
    assert misses == []


@pytest.mark.parametrize("seed", [s for s in SEEDS if len(make_invoice_truth(s).line_items) >= 2])
def test_two_page_invoice_line_items_and_totals(seed: int) -> None:
    truth = make_invoice_truth(seed)
    got, results = extract_invoice(seed, pages=2)
    assert got == truth.schema_values()
    assert "total_amount" in results[-1].fields and "total_amount" not in results[0].fields
    assert all(r.tables.get("line_items") for r in results)


def test_fields_carry_evidence() -> None:
    truth = make_invoice_truth(4)
    _, (result,) = extract_invoice(4, pages=1)
    total = result.fields["total_amount"]
    assert total.page == 1
    assert total.source_text is not None
    assert format_amount(truth.total_amount, truth.amount_style) in total.source_text
    assert truth.total_label in total.source_text
    assert total.bbox is not None and all(0 <= v <= 1 for v in total.bbox)
    assert total.confidence == pytest.approx(0.97)  # text layer x value in the next cell
    vendor = result.fields["vendor_name"]  # from layout alone: a legal form on the first line
    assert vendor.method == "party:legal-form-top"
    assert vendor.confidence == pytest.approx(0.9)
    assert any("legal form" in note for note in vendor.evidence)
    date_field = result.fields["invoice_date"]
    assert format_date(truth.invoice_date, truth.date_format) in (date_field.source_text or "")
    for row in result.tables["line_items"]:
        assert all(cell.bbox is not None and cell.page == 1 for cell in row.values())


def line(text: str, y: float, *, x0: float = 0.05, x1: float = 0.95, confidence: float = 1.0) -> TextLine:
    return TextLine(text=text, bbox=(x0, y, x1, y + 0.015), confidence=confidence)


def test_ocr_noise_in_labels_and_most_specific_alias() -> None:
    lines = [
        line("ACME TOOLS", 0.05, x1=0.4),
        line("InvoiceNumber:A-77", 0.12, confidence=0.9),
        line("Date 03/04/2026", 0.15),
        line("Due  28/04/2026", 0.18),
        line("Subtotal      100.00", 0.50),
        line("VAT 20%       20.00", 0.53),
        line("Total         999.00", 0.56),
        line("Total due     120.00", 0.59),
    ]
    result = map_page(lines, get_schema("invoice"), page_number=1)
    values = {name: f.value for name, f in result.fields.items()}
    assert values["invoice_number"] == "A-77"
    assert values["invoice_date"] == "2026-04-03"  # 28/04 proves the page is day-first
    assert values["due_date"] == "2026-04-28"
    assert values["subtotal"] == 100.0
    assert values["tax_amount"] == 20.0
    assert values["total_amount"] == 120.0  # "total due" beats "total"
    assert values["vendor_name"] == "ACME TOOLS"
    # glued label from OCR: OCR confidence x same-cell x 0.95 for the inexact spelling
    assert result.fields["invoice_number"].confidence == pytest.approx(0.9 * 0.95)


def test_subtotal_alone_is_not_the_total() -> None:
    result = map_page([line("Subtotal   100.00", 0.5)], get_schema("invoice"), page_number=1)
    assert result.fields["subtotal"].value == 100.0
    assert "total_amount" not in result.fields


class PurchaseOrder(BaseModel):
    """A custom schema with no aliases at all: labels come from the field names."""

    order_number: str | None = None
    delivery_date: Any = Field(None, json_schema_extra={"kind": "date"})
    shipping_cost: Any = Field(None, json_schema_extra={"kind": "money"})


def test_custom_schema_uses_field_names_as_labels() -> None:
    schema = ExtractionSchema(name="po", version="1", description="PO", model=PurchaseOrder)
    lines = [
        line("Order No.: PO-5521", 0.1),
        line("Delivery Date", 0.2, x1=0.3),
        line("17 June 2026", 0.22, x1=0.3),
        line("Shipping Cost:   CHF 1'250.00", 0.3),
    ]
    values = {n: f.value for n, f in map_page(lines, schema, page_number=1).fields.items()}
    assert values == {"order_number": "PO-5521", "delivery_date": "2026-06-17", "shipping_cost": 1250.0}


def test_generic_schema_pairs_and_tables_from_an_invoice() -> None:
    truth = make_invoice_truth(9)  # inline layout: "Label: value" pairs
    (lines,) = pdf_pages(invoice_pdf(truth))
    result = map_page(lines, get_schema("generic"), page_number=1)
    fields = {name: f.value for name, f in result.fields.items()}
    label_key = truth.number_label.lower().replace(".", "").replace(" #", "").replace(" ", "_")
    assert fields[label_key] == truth.invoice_number
    assert fields["invoice_date"] == truth.invoice_date.isoformat()
    assert fields["due_date"] == truth.due_date.isoformat()
    assert fields["subtotal"] == float(truth.subtotal)
    (table,) = result.tables.values()
    assert [row["description"].value for row in table] == [i.description for i in truth.line_items]
    assert [row["amount"].value for row in table] == [float(i.amount) for i in truth.line_items]
    assert [row["qty"].value for row in table] == [
        float(i.quantity) if i.quantity % 1 else int(i.quantity) for i in truth.line_items
    ]


def test_generic_schema_stacked_labels() -> None:
    truth = make_invoice_truth(0)  # stacked layout: values under their labels
    assert truth.layout == "stacked"
    (lines,) = pdf_pages(invoice_pdf(truth))
    fields = {n: f.value for n, f in map_page(lines, get_schema("generic"), page_number=1).fields.items()}
    assert fields["invoice_date"] == truth.invoice_date.isoformat()
    assert fields["due_date"] == truth.due_date.isoformat()
