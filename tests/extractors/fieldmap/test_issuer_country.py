"""The currency of a page that prints none, from the country its parties give away: IBAN,
VAT ids (labelled, or by their shape), phone calling codes, country names, country domains."""

from __future__ import annotations

import pytest

from extractors.fieldmap.issuer_country import country_currency
from extractors.fieldmap.layout import build_rows
from tests.extractors.fieldmap.lines import invoice, line


def rows_of(*texts: str) -> list:
    return build_rows([line(t, 0.1 + 0.03 * i) for i, t in enumerate(texts)])


@pytest.mark.parametrize(
    ("printed", "currency", "what"),
    [
        ("IBANDE155540866267500059", "EUR", "IBAN"),
        ("1BAN AT92 3659 8773 9071 0988", "EUR", "IBAN"),  # OCR read the I as a 1
        ("USt-ldNr.DE932303535", "EUR", "VAT id"),  # and the Id as "ld"
        ("NL792398412B01", "EUR", "VAT id"),
        ("+35312442294info@pinecrag.ie", "EUR", "phone prefix"),
        ("Tel. +44 113 496 0000", "GBP", "phone prefix"),
        ("+31201711786", "EUR", "phone prefix"),
        ("+41 44 668 18 00", "CHF", "phone prefix"),
        ("UnitedKingdom", "GBP", "country name"),
        ("75002 Paris, France", "EUR", "country name"),
        ("invoices@oakhollow.co.uk", "GBP", "web or e-mail domain"),
        ("KEDAI RUNCIT SRI MAJU SDN. BHD.", "MYR", "legal form"),
        ("99 SPEED MART S/B", "MYR", "legal form"),
        ("Harbourfront Logistics Pte Ltd", "SGD", "legal form"),
        ("43200 Cheras, Selangor", "MYR", "state name"),
        ("43800 DENGKIL. SELANGOR DARUL EHSAN", "MYR", "state name"),
    ],
)
def test_country_evidence(printed: str, currency: str, what: str) -> None:
    found = country_currency(rows_of("Total 120.00", printed))
    assert found is not None and (found.currency, found.what) == (currency, what)


def test_a_state_on_its_own_line_under_the_postcode_names_the_country() -> None:
    found = country_currency(rows_of("NO 33, JALAN TEMENGGUNG 3/9", "43200 CHERAS", "SELANGOR"))
    assert found is not None and (found.currency, found.what) == ("MYR", "state name")


def test_a_state_name_without_a_postcode_is_no_address() -> None:
    assert country_currency(rows_of("Perak Road Fish Market", "Sabah")) is None


@pytest.mark.parametrize("printed", ["Bäckerei Sonne GmbH", "Oakhollow Ltd", "Tannwald S.A."])
def test_no_country_from_a_legal_form_several_countries_share(printed: str) -> None:
    assert country_currency(rows_of(printed)) is None


def test_a_legal_form_is_the_weakest_country_evidence() -> None:
    found = country_currency(rows_of("Straits Supplies Sdn Bhd", "Tel. +44 113 496 0000"))
    assert found is not None and (found.currency, found.what) == ("GBP", "phone prefix")
    assert found.disagreeing == ("MYR",)


@pytest.mark.parametrize(
    "printed", ["+359 2 987 6543", "Tel +7 495 123 45 67", "Paris Hilton", "www.example.com"]
)
def test_no_country_from_codes_and_names_outside_the_tables(printed: str) -> None:
    # calling codes are a prefix code: "+359" is not "+35" or "+3" of a known country
    assert country_currency(rows_of(printed)) is None


def test_an_account_outranks_a_domain_and_disagreement_weakens_the_currency() -> None:
    agree = invoice([line("Total 120,00", 0.3), line("IBAN DE37 8623 6940 8491 3270 46", 0.9)]).fields[
        "currency"
    ]
    disagree = invoice(
        [
            line("Total 120,00", 0.3),
            line("IBAN DE37 8623 6940 8491 3270 46", 0.9),
            line("www.acme.co.uk", 0.93),
        ]
    ).fields["currency"]
    assert agree.value == disagree.value == "EUR"
    assert agree.method == disagree.method == "currency:country"
    assert disagree.confidence < agree.confidence
    assert any("other country evidence says GBP" in note for note in disagree.evidence)


def test_a_country_name_is_weaker_than_a_phone_number() -> None:
    named = invoice([line("Total 120.00", 0.3), line("United Kingdom", 0.9)]).fields["currency"]
    called = invoice([line("Total 120.00", 0.3), line("+44 113 496 0000", 0.9)]).fields["currency"]
    assert named.value == called.value == "GBP"
    assert named.confidence < called.confidence
