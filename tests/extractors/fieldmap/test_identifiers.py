"""Document numbers on scans and photos: the kinds of failure OCR causes (a code glued to its
title, a value OCR put in the next row, a title in a box of its own, an address column right
of the label, a number sign that introduces another number)."""

from __future__ import annotations

from tests.extractors.fieldmap.lines import invoice, line


def test_a_code_glued_to_the_title_is_the_number() -> None:
    for title in ("InvoiceINV/2023/02/0695", "FactuurINV/2023/02/0695"):
        found = invoice([line("Pinecrag Facilities DAC", 0.03), line(title, 0.25, height=0.03)]).fields[
            "invoice_number"
        ]
        assert (found.value, found.method) == ("INV/2023/02/0695", "id:title-inline"), title


def test_a_value_level_with_a_label_that_ends_its_row_is_read_from_the_next_row() -> None:
    # a slanted photo: OCR put the value on a row of its own, at the label's height
    found = invoice(
        [
            line("Kranzbühl Software UG", 0.05),
            line("Quellenhof & Weidenau e.K.", 0.164, x0=0.12, x1=0.38, height=0.02),
            line("Rechnungsnr.", 0.164, x0=0.53, x1=0.62, height=0.02),
            line("Schillerstraße 101", 0.163, x0=0.12, x1=0.26, height=0.034),
            line("9020900649", 0.163, x0=0.76, x1=0.84, height=0.034),
        ]
    ).fields["invoice_number"]
    assert (found.value, found.method) == ("9020900649", "id:label-right")


def test_a_title_in_a_box_of_its_own_then_the_number() -> None:
    found = invoice(
        [line("Ferravalle Distribuzione S.r.l.", 0.05), line("Fattura    526/2025    24/02/2025", 0.177)]
    ).fields["invoice_number"]
    assert (found.value, found.method) == ("526/2025", "id:title-right")
    assert found.confidence < 0.7  # no label named it


def test_a_code_under_the_label_beats_a_place_with_a_postcode_right_of_it() -> None:
    found = invoice(
        [
            line("Pinecrag Engineering Ltd", 0.068, x0=0.6, x1=0.98),
            line("InvoiceNumber", 0.109, x0=0.52, x1=0.63),
            line("GalwayH91E2K3", 0.109, x0=0.74, x1=0.85),  # the seller's address column
            line("INV-7077", 0.124, x0=0.51, x1=0.57),
        ]
    ).fields["invoice_number"]
    assert (found.value, found.method) == ("INV-7077", "id:label-below")


def test_a_number_that_holds_a_word_is_weak() -> None:
    word = invoice([line("ACME TOOLS LTD", 0.05), line("Invoice No: GalwayH91E2K3", 0.2)]).fields[
        "invoice_number"
    ]
    code = invoice([line("ACME TOOLS LTD", 0.05), line("Invoice No: H91-E2K3", 0.2)]).fields["invoice_number"]
    assert "holds a word" in word.evidence
    assert word.confidence < code.confidence


def test_a_number_sign_before_a_label_introduces_another_number() -> None:
    result = invoice([line("Lavergnol SAS", 0.05), line("N°decompte:381563782", 0.165)])
    assert "invoice_number" not in result.fields  # an account number is no invoice number


def test_dutch_utility_bills_number_their_nota() -> None:
    found = invoice(
        [line("Brouwersgracht Energie N.V.", 0.05), line("Notanummer:629430853256", 0.084)]
    ).fields["invoice_number"]
    assert found.value == "629430853256"
