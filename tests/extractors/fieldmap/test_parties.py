"""Seller, buyer and document number on hard layouts, as line lists the way OCR or a text
layer gives them (boxes normalised 0..1)."""

from __future__ import annotations

import pytest

from extractors.fieldmap.mapper import map_page
from extractors.fieldmap.spacing import repair_confusions, respace
from models.extraction import PageExtraction
from models.page import TextLine
from models.schemas import get_schema


def line(
    text: str, y: float, *, x0: float = 0.1, x1: float = 0.6, height: float = 0.015, confidence: float = 1.0
) -> TextLine:
    return TextLine(text=text, bbox=(x0, y, x1, y + height), confidence=confidence)


def receipt(lines: list[TextLine]) -> PageExtraction:
    return map_page(lines, get_schema("receipt"), page_number=1)


def invoice(lines: list[TextLine]) -> PageExtraction:
    return map_page(lines, get_schema("invoice"), page_number=1)


def value(result: PageExtraction, name: str) -> object:
    found = result.fields.get(name)
    return found.value if found is not None else None


def test_title_above_the_seller_is_not_the_seller() -> None:
    result = invoice(
        [
            line("FACTUUR", 0.05, x0=0.4, x1=0.6, height=0.03),
            line("Bakkerij de Molen B.V.", 0.1, height=0.02),
            line("Dorpsstraat 14", 0.13),
            line("1234 AB Utrecht", 0.15),
            line("Factuurnummer: F-2024-0193", 0.25),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "Bakkerij de Molen B.V."
    assert vendor.method == "party:legal-form-top"
    assert value(result, "vendor_address") == "Dorpsstraat 14, 1234 AB Utrecht"
    assert value(result, "invoice_number") == "F-2024-0193"


def test_bill_to_block_is_the_buyer_not_the_seller() -> None:
    # the buyer's block comes first and has a legal form too: it is still the buyer
    result = invoice(
        [
            line("Bill To:", 0.05, x0=0.05, x1=0.3),
            line("Kestrel Logistics BV", 0.07, x0=0.05, x1=0.35),
            line("Keizersgracht 221", 0.09, x0=0.05, x1=0.35),
            line("Granite Peak Supplies Inc.", 0.05, x0=0.6, x1=0.95),
            line("77 Industrial Way", 0.07, x0=0.6, x1=0.95),
            line("Denver, CO 80216", 0.09, x0=0.6, x1=0.95),
        ]
    )
    assert value(result, "vendor_name") == "Granite Peak Supplies Inc."
    assert value(result, "customer_name") == "Kestrel Logistics BV"
    assert result.fields["customer_name"].method == "party:buyer-label"
    assert value(result, "vendor_address") == "77 Industrial Way, Denver, CO 80216"


def test_registration_line_is_neither_name_nor_address() -> None:
    result = receipt(
        [
            line("(0005583085-K)", 0.05, x0=0.3, x1=0.5),
            line("KEDAI PAPAN YEW CHUAN", 0.07, x0=0.2, x1=0.6),
            line("(0005583085-K)", 0.09, x0=0.3, x1=0.5),
            line("LOT276JALANBANTING", 0.11, x0=0.25, x1=0.55),
            line("43800DENGKIL,SELANGOR", 0.13, x0=0.25, x1=0.55),
            line("TEL:03-87686092", 0.15, x0=0.3, x1=0.5),
            line("TAX INVOICE", 0.17, x0=0.3, x1=0.5),
        ]
    )
    assert value(result, "merchant_name") == "KEDAI PAPAN YEW CHUAN"
    address = result.fields["merchant_address"]
    assert address.value == "LOT 276 JALAN BANTING, 43800 DENGKIL,SELANGOR"
    assert address.method == "party:address-below"
    assert any(note.startswith("respaced 'LOT276JALANBANTING'") for note in address.evidence)


def test_registration_number_printed_after_the_name_is_dropped() -> None:
    result = receipt(
        [line("Dion Realties Sdn Bhd (Co. No:20154-T)", 0.05), line("27, Jalan Sultan Ismail", 0.07)]
    )
    merchant = result.fields["merchant_name"]
    assert merchant.value == "Dion Realties Sdn Bhd"
    assert any("registration dropped" in note for note in merchant.evidence)


def test_person_name_and_labels_above_the_company_are_not_the_seller() -> None:
    result = invoice(
        [
            line("Anna Schmidt", 0.04, confidence=0.6),  # a handwritten note, read weakly
            line("Table 5", 0.06),
            line("Doc No.: CS00012013", 0.08),
            line("Nordlicht Software GmbH", 0.1),
            line("Hafenstrasse 12", 0.12),
            line("20457 Hamburg", 0.14),
        ]
    )
    assert value(result, "vendor_name") == "Nordlicht Software GmbH"
    assert value(result, "vendor_address") == "Hafenstrasse 12, 20457 Hamburg"


def test_a_name_without_legal_form_is_found_weakly() -> None:
    strong = receipt([line("GREEN LEAF TRADING", 0.05), line("12 High Street", 0.07)]).fields["merchant_name"]
    weak = receipt([line("GREEN LEAF", 0.05), line("12 High Street", 0.07)]).fields["merchant_name"]
    assert weak.value == "GREEN LEAF" and weak.method == "party:top-line"
    assert strong.method == "party:legal-form-top"
    assert weak.confidence < strong.confidence


def test_company_line_in_the_footer_when_the_top_has_only_a_logo_word() -> None:
    result = invoice(
        [
            line("INVOICE", 0.05, x0=0.7, x1=0.9, height=0.03),
            line("Invoice number: 2024-117", 0.2),
            line("Total 120.00", 0.6),
            line(
                "Atelier Moreau SARL · 18 Rue des Lilas · 69003 Lyon · SIRET 123 456 789 00012", 0.95, x1=0.9
            ),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "Atelier Moreau SARL"
    assert vendor.method == "party:footer"
    assert value(result, "vendor_address") == "18 Rue des Lilas, 69003 Lyon"


@pytest.mark.parametrize(
    ("label", "number"),
    [
        ("Rechnungsnummer:", "RE-2024-0042"),
        ("Rechnung Nr.", "4711"),
        ("N° de facture :", "FA-2024-118"),
        ("Facture n°", "2024/118"),
        ("Número de factura:", "A-2024/77"),
        ("Factuurnummer", "2024.0193"),
        ("Fattura n.", "118/2024"),
        ("Invoice #", "INV/2023/03/0008"),
        ("DocNo :", "CS00012013"),
        ("Receipt No:", "OR18061202170371"),
        ("Bill No", "POS/53796"),
    ],
)
def test_invoice_number_labels_in_many_languages(label: str, number: str) -> None:
    result = invoice([line("ACME TOOLS LTD", 0.05), line(f"{label}  {number}", 0.2, x1=0.9)])
    found = result.fields["invoice_number"]
    assert found.value == number  # as printed: slashes, dots and dashes kept
    assert found.method in ("id:label-same", "id:label-right")


def test_glued_label_is_matched_and_marked_inexact() -> None:
    result = invoice([line("ACME TOOLS LTD", 0.05), line("DocNo :CS00012013", 0.2, confidence=0.9)])
    found = result.fields["invoice_number"]
    assert found.value == "CS00012013"
    assert "label matched without its spaces (OCR glue)" in found.evidence
    clean = invoice([line("ACME TOOLS LTD", 0.05), line("Doc No: CS00012013", 0.2, confidence=0.9)])
    assert found.confidence < clean.fields["invoice_number"].confidence


def test_number_under_its_label_in_a_header_row_of_boxes() -> None:
    header = [("Invoice No", 0.05), ("Date", 0.35), ("Customer No", 0.65)]
    values = [("INV-88231", 0.05), ("03.04.2026", 0.35), ("C-1007", 0.65)]
    lines = [line("Nordlicht Software GmbH", 0.03)]
    lines += [line(text, 0.2, x0=x, x1=x + 0.2) for text, x in header]
    lines += [line(text, 0.23, x0=x, x1=x + 0.2) for text, x in values]
    result = invoice(lines)
    found = result.fields["invoice_number"]
    assert found.value == "INV-88231"
    assert found.method == "id:label-below"
    assert value(result, "customer_name") is None  # "Customer No" is a number, not a buyer


def test_customer_and_order_numbers_are_not_the_invoice_number() -> None:
    result = invoice(
        [
            line("Nordlicht Software GmbH", 0.03),
            line("Kundennummer: 100234", 0.2),
            line("Bestellnummer: PO-5521", 0.22),
            line("Rechnungsnummer: RE-2024-0042", 0.24),
        ]
    )
    assert value(result, "invoice_number") == "RE-2024-0042"


@pytest.mark.parametrize("printed", ["Date: 03.04.2026", "Tel: 03-8768 6092", "Total: 1,234.50"])
def test_invoice_number_shape_check(printed: str) -> None:
    label, rest = printed.split(": ")
    result = invoice([line("ACME TOOLS LTD", 0.05), line(f"Invoice No: {rest}", 0.2)])
    assert "invoice_number" not in result.fields, label


def test_buyer_after_foreign_labels() -> None:
    for label in ("Rechnungsempfänger", "Facturé à", "Klant", "Cliente"):
        result = invoice(
            [line("Nordlicht Software GmbH", 0.03), line(label, 0.2), line("Vega Robotics SA", 0.22)]
        )
        assert value(result, "customer_name") == "Vega Robotics SA", label
        assert value(result, "vendor_name") == "Nordlicht Software GmbH", label


def test_respacing_only_where_the_split_is_sure() -> None:
    assert respace("BANDARBARUPERMASJAYA.") == "BANDAR BARU PERMAS JAYA."
    assert respace("81200JohorBahru,Johor") == "81200 Johor Bahru,Johor"
    assert respace("UNIHAKKAINTERNATIONALSDN BHD") == "UNIHAKKA INTERNATIONAL SDN BHD"
    assert respace("TAXINVOICE") == "TAX INVOICE"
    for whole in ("3RD", "PJU6A", "McDonald's", "MAHKOTA", "SS21/39"):
        assert respace(whole) == whole
    assert repair_confusions("L0T 1851, Ja1an Leve1 433O0") == "LOT 1851, Jalan Level 43300"


def test_recipient_window_under_a_sender_line_is_the_buyer() -> None:
    result = invoice(
        [
            line("S T E I N B R Ü C K", 0.05, x0=0.65, x1=0.9, height=0.03),
            line("Steinbrück Gebäudeservice GmbH", 0.08, x0=0.7, x1=0.9),
            line(
                "Steinbrück Gebäudeservice GmbH · Im Wiesengrund 79 · 04109 Leipzig", 0.16, x0=0.12, x1=0.47
            ),
            line("Firma", 0.18, x0=0.12, x1=0.16),
            line("Wettering Software GmbH", 0.2, x0=0.12, x1=0.32),
            line("Hafenstraße 57", 0.22, x0=0.12, x1=0.23),
            line("60311 Frankfurt am Main", 0.24, x0=0.12, x1=0.31),
        ]
    )
    assert value(result, "vendor_name") == "Steinbrück Gebäudeservice GmbH"  # accents kept
    assert value(result, "vendor_address") == "Im Wiesengrund 79, 04109 Leipzig"
    buyer = result.fields["customer_name"]
    assert buyer.value == "Wettering Software GmbH" and buyer.method == "party:buyer-window"
    assert buyer.confidence < 0.85  # no label said so: weaker than a labelled buyer


def test_logo_word_and_web_domain_name_the_issuer_not_the_addressee() -> None:
    result = invoice(
        [
            line("oakhollow", 0.02, x0=0.07, x1=0.3, height=0.036),
            line("Kestrel Consulting Ltd", 0.13, x0=0.07, x1=0.24),
            line("176 Mill Lane", 0.145, x0=0.07, x1=0.16),
            line("Leeds", 0.16, x0=0.07, x1=0.11),
            line("Total to pay   £994.58", 0.5),
            line("Oakhollow Telecom Ltd · 27 Mill Lane · Leeds · LS1 4DY", 0.946, x0=0.08, x1=0.37),
            line("VAT No. GB 821 3350 92 · www.oakhollow.co.uk", 0.957, x0=0.08, x1=0.33),
        ]
    )
    vendor = result.fields["vendor_name"]
    assert vendor.value == "Oakhollow Telecom Ltd"
    assert any("heading word" in note for note in vendor.evidence)
    assert value(result, "vendor_address") == "27 Mill Lane, Leeds, LS1 4DY"
    assert value(result, "customer_name") == "Kestrel Consulting Ltd"


@pytest.mark.parametrize(
    ("printed", "code", "method"),
    [
        (["Währung: CHF", "Total 120.00"], "CHF", "currency:label"),
        (["Total EUR 120.00", "VAT EUR 20.00"], "EUR", "currency:code"),
        (["Total £120.00"], "GBP", "currency:symbol"),
        (["Total $120.00"], "USD", "currency:dollar"),
        (["Gesamtbetrag 22.732,95", "IBAN DE37 8623 6940 8491 3270 46"], "EUR", "currency:country"),
        (["Subtotal 4,419.48", "TOTALEUR 5,435.96"], "EUR", "currency:code"),  # OCR glued the code
        (["VATat5%on98.69", "Total 103.62", "VATNoGB354273636"], "GBP", "currency:country"),
    ],
)
def test_currency_evidence_and_its_strength(printed: list[str], code: str, method: str) -> None:
    lines = [line("Nordlicht Software GmbH", 0.03)] + [line(t, 0.3 + 0.03 * i) for i, t in enumerate(printed)]
    found = invoice(lines).fields["currency"]
    assert (found.value, found.method) == (code, method)


def test_currency_from_the_country_is_weaker_than_a_printed_code() -> None:
    printed = invoice([line("Total EUR 120.00", 0.3), line("VAT EUR 20.00", 0.33)]).fields["currency"]
    inferred = invoice([line("Total 120,00", 0.3), line("IBAN DE37 8623 6940 8491 3270 46", 0.9)]).fields[
        "currency"
    ]
    assert inferred.confidence < printed.confidence


def test_number_sign_under_the_title() -> None:
    result = invoice(
        [line("FACTURE", 0.05, x0=0.7, x1=0.85), line("N° FAC/2024/00014", 0.08, x0=0.68, x1=0.84)]
    )
    found = result.fields["invoice_number"]
    assert (found.value, found.method) == ("FAC/2024/00014", "id:number-sign")
