"""Document numbers on scans and photos: the kinds of failure OCR causes (a code glued to its
title, a value OCR put in the next row, a title in a box of its own, an address column right
of the label, a number sign that introduces another number), and places that are no number
(a postcode and its town level with the label)."""

from __future__ import annotations

import pytest

from extractors.fieldmap.identifiers import identifier_in, is_place
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
    # (a word glued to an Eircode, "GalwayH91E2K3", is a place and gives no number at all)
    word = invoice([line("ACME TOOLS LTD", 0.05), line("Invoice No: Harbour12B", 0.2)]).fields[
        "invoice_number"
    ]
    code = invoice([line("ACME TOOLS LTD", 0.05), line("Invoice No: HB-12B", 0.2)]).fields["invoice_number"]
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


def _label_with_a_place_right_of_it(place: str) -> dict[str, object]:
    # A meta column (label, its value under it) with the seller's address column level with
    # the label: the layout of Xero-like invoices.
    found = invoice(
        [
            line("Pinecrag Engineering Ltd", 0.068, x0=0.6, x1=0.98),
            line("Invoice Number", 0.109, x0=0.52, x1=0.63),
            line(place, 0.109, x0=0.74, x1=0.85),
            line("INV-7077", 0.124, x0=0.51, x1=0.57),
        ]
    ).fields["invoice_number"]
    return {"value": found.value, "method": found.method}


@pytest.mark.parametrize(
    "place",
    [
        "Cork T12 K8AF",  # Irish town and Eircode
        "CORK T12 K8AF",
        "Cork T12",  # the Eircode's second half in a cell of its own
        "CorkT12K8AF",  # OCR glued the town to its code
        "Dublin 2, D02 X285",
        "D02 X285",
        "London SW1A 1AA",  # UK postcode
        "Leeds LS1 4DY",
        "1012 AB Amsterdam",  # Dutch postcode and town
        "75008 Paris",  # a postcode and its town only
        "D-10115 Berlin",
        "CH-8001 Zürich",
    ],
)
def test_a_place_right_of_the_label_is_no_number(place: str) -> None:
    assert _label_with_a_place_right_of_it(place) == {"value": "INV-7077", "method": "id:label-below"}


def test_a_number_right_of_the_label_still_wins_over_the_cell_under_it() -> None:
    assert _label_with_a_place_right_of_it("RE-2024-0173") == {
        "value": "RE-2024-0173",
        "method": "id:label-right",
    }


@pytest.mark.parametrize(
    "text",
    [
        "Cork T12 K8AF",
        "GalwayH91E2K3",
        "Manchester M1 1AE",
        "3511 LN Utrecht",
        "69003 Lyon",
        "1010 Wien",
        "20121 Milano",
    ],
)
def test_places(text: str) -> None:
    assert is_place(text)
    assert identifier_in(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("INV-3207", "INV-3207"),
        ("CR 1805/0201", "CR 1805/0201"),  # a series prefix in capitals stays
        ("RE-2024-0173", "RE-2024-0173"),
        ("F2024-00981", "F2024-00981"),
        ("2024/117", "2024/117"),
        ("FR24-12345-678", "FR24-12345-678"),
        ("INV/2023/03/0008", "INV/2023/03/0008"),
        ("A784311E-0033", "A784311E-0033"),
        ("H91-E2K3", "H91-E2K3"),  # dashed: printed as a number, not as a postcode
        ("12345", "12345"),
        ("10452 ", "10452"),
        ("9020900649", "9020900649"),
    ],
)
def test_numbers_are_no_places(text: str, number: str) -> None:
    assert not is_place(text)
    assert identifier_in(text) == number


def test_a_title_case_word_before_a_code_is_no_series_prefix() -> None:
    assert identifier_in("Cork T12") is None
    assert identifier_in("CR 1805/0201") == "CR 1805/0201"


def test_a_label_ocr_read_with_one_letter_wrong_still_labels_the_number_but_weaker() -> None:
    def number(label: str):
        return invoice(
            [line("Montclairon Conseil SAS", 0.05), line(f"{label}      245408615", 0.12, x1=0.9)]
        ).fields.get("invoice_number")

    clean, misread = number("N° de facture"), number("N' do facture")
    assert clean is not None and misread is not None
    assert clean.value == misread.value == "245408615"
    assert any("one letter wrong" in e for e in misread.evidence)
    assert misread.confidence < clean.confidence


@pytest.mark.parametrize(
    "printed",
    [
        "Invoice In 245408615",  # another last letter: another word, not "Invoice Id"
        "Fncture number 245408615",  # the first letter misread too: nothing says it is a label
        "Invoice numbor2 245408615",  # a letter or digit straight after: a longer word
    ],
)
def test_a_misread_label_needs_its_first_and_last_letters_and_an_end(printed: str) -> None:
    found = invoice([line("Montclairon Conseil SAS", 0.05), line(printed, 0.12, x1=0.9)]).fields.get(
        "invoice_number"
    )
    assert found is None or not any("one letter wrong" in e for e in found.evidence)


def test_the_courtesy_copy_of_an_italian_e_invoice_numbers_it_under_numero_documento() -> None:
    found = invoice(
        [
            line("Rivabella Consulting S.r.l.", 0.05),
            line("Tipologia documento", 0.19, x0=0.05, x1=0.15),
            line("Numero documento", 0.19, x0=0.34, x1=0.43),
            line("Data documento", 0.19, x0=0.54, x1=0.62),
            line("TD01 fattura", 0.205, x0=0.05, x1=0.13),
            line("280", 0.205, x0=0.34, x1=0.36),
            line("02/10/2023", 0.205, x0=0.54, x1=0.61),
        ]
    ).fields["invoice_number"]
    assert found.value == "280"


@pytest.mark.parametrize(
    ("printed", "number"),
    [
        ("INV/2024/11 /0522", "INV/2024/11/0522"),
        ("INV/2024/ 11/0522", "INV/2024/11/0522"),
        ("RE-2024 -0226 vom 12.01.2024", "RE-2024-0226"),
        ("2024-001 - Leistungen", "2024-001"),  # a dash before a word: the number ends
        ("12345 /abc", "12345"),
    ],
)
def test_a_number_ocr_cut_at_a_separator_is_joined_back(printed: str, number: str) -> None:
    assert identifier_in(printed) == number


def test_a_title_number_ocr_cut_at_a_slash_is_read_whole_and_says_so() -> None:
    result = invoice([line("Invoice INV/2024/11 /0522", 0.25, x0=0.08, x1=0.5, height=0.027)])
    found = result.fields["invoice_number"]
    assert found.value == "INV/2024/11/0522"
    assert "rejoined where OCR set a piece apart at a separator" in found.evidence


def test_two_labels_of_the_number_that_disagree_make_it_unsure() -> None:
    # a photo's details block read one row off: the label takes the customer number's value,
    # while the letter's body names the invoice number again
    def page(body_number: str) -> list:
        return [
            line("RE-2024-0226", 0.196, x0=0.67, x1=0.8),
            line("Rechnungsnummer  58897", 0.203, x0=0.52, x1=0.8),
            line("Kundennummer     08.01.2024", 0.215, x0=0.52, x1=0.8),
            line(f"Rechnung Nr. {body_number}", 0.37, x0=0.14, x1=0.5),
        ]

    contradicted = invoice(page("RE-2024-0226")).fields["invoice_number"]
    agreed = invoice(page("58897")).fields["invoice_number"]
    assert contradicted.value == agreed.value == "58897"
    assert "another label gives 'RE-2024-0226'" in contradicted.evidence
    assert contradicted.confidence < agreed.confidence
