"""Every comparison rule: what it accepts, and that a different value is scored wrong."""

from __future__ import annotations

import pytest

from models.evaluation import DateOrder, Rule, TruthValueError, compare, rule_for
from models.schemas import FieldKind, get_schema


def test_rules_follow_the_schema_kinds() -> None:
    kinds = {spec.name: spec.kind for spec in get_schema("invoice").fields}
    assert rule_for(kinds["total_amount"], "total_amount") is Rule.AMOUNT
    assert rule_for(kinds["invoice_date"], "invoice_date") is Rule.DATE
    assert rule_for(kinds["invoice_number"], "invoice_number") is Rule.IDENTIFIER
    assert rule_for(kinds["currency"], "currency") is Rule.IDENTIFIER
    assert rule_for(kinds["vendor_name"], "vendor_name") is Rule.NAME
    assert rule_for(kinds["vendor_address"], "vendor_address") is Rule.ADDRESS
    assert rule_for(FieldKind.TEXT, "po_no") is Rule.IDENTIFIER
    assert rule_for(FieldKind.INTEGER, "pages") is Rule.INTEGER


@pytest.mark.parametrize(
    ("truth", "value", "correct"),
    [
        ("RM7.70", 7.7, True),
        ("1.234,56", 1234.56, True),
        ("1 234,56", 1234.56, True),
        (16258.6, 16258.60, True),
        ("7.70", 7.704, True),  # to the cent: 7.704 rounds to 7.70
        ("7.70", 7.705, False),  # half up: 7.705 is 7.71
        ("7.70", 7.71, False),
        ("7.70", 77.0, False),
        ("RM7.70", "seven", False),
    ],
)
def test_amounts_to_the_cent(truth: object, value: object, correct: bool) -> None:
    assert compare(FieldKind.MONEY, "total_amount", truth, value).correct is correct


def test_dates_as_dates_in_the_sets_order() -> None:
    assert compare(FieldKind.DATE, "date", "09/05/2018", "2018-05-09", DateOrder.DMY).correct
    assert compare(FieldKind.DATE, "date", "12 JUN 2018", "2018-06-12").correct
    assert compare(FieldKind.DATE, "date", "09-05-18", "2018-05-09", DateOrder.DMY).correct
    # The same printed truth in a month-first set is another day.
    assert not compare(FieldKind.DATE, "date", "09/05/2018", "2018-05-09", DateOrder.MDY).correct
    assert not compare(FieldKind.DATE, "date", "2018-06-12", "2018-06-13").correct


def test_identifiers_ignore_case_spaces_and_punctuation_only() -> None:
    assert compare(FieldKind.TEXT, "invoice_number", "inv 2025/4936", "INV-2025-4936").correct
    assert not compare(FieldKind.TEXT, "invoice_number", "INV-2025-4936", "INV-2025-4963").correct
    assert not compare(FieldKind.TEXT, "invoice_number", "INV-0042", "INV-42").correct
    assert compare(FieldKind.CURRENCY, "currency", "eur", "EUR").correct
    assert compare(FieldKind.CURRENCY, "currency", "€", "EUR").correct
    with pytest.raises(TruthValueError):  # "$" names no one currency: a truth to fix
        compare(FieldKind.CURRENCY, "currency", "$", "USD")


def test_names_ignore_case_accents_and_punctuation() -> None:
    assert compare(FieldKind.TEXT, "vendor_name", "Café Müller GmbH", "CAFE MULLER GMBH").correct
    assert compare(FieldKind.TEXT, "merchant_name", "SHH MOTOR SDN BHD", "S.H.H. Motor Sdn. Bhd.").correct


def test_a_shortened_truth_is_accepted_but_not_a_fragment() -> None:
    full = "LEMON TREE RESTAURANT JTJ FOODS SDN BHD"
    shortened = compare(FieldKind.TEXT, "merchant_name", "LEMON TREE RESTAURANT", full)
    assert shortened.correct and shortened.note
    assert not compare(FieldKind.TEXT, "merchant_name", "SDN BHD", full).correct
    # A value that ran on into the next line is not the name.
    assert not compare(
        FieldKind.TEXT, "merchant_name", "KEDAI RUNCIT", "KEDAI RUNCIT ZBH NO 17 JALAN PERMAS 1 7 BANDAR BARU"
    ).correct


@pytest.mark.parametrize(
    "value",
    [
        "PASARAYA CINWA SDN BHD",  # another business
        "UNIHAKKA INTERNATIONAL SDN BHO",  # one letter off is another name, not a match
        "UNIHAKKA",  # the value shortened: the truth is not part of it
    ],
)
def test_a_different_name_is_wrong(value: str) -> None:
    assert not compare(FieldKind.TEXT, "merchant_name", "UNIHAKKA INTERNATIONAL SDN BHD", value).correct


ADDRESS = "12, JALAN TAMPOI 7/4,KAWASAN PERINDUSTRIAN TAMPOI,81200 JOHOR BAHRU,JOHOR"


def test_addresses_by_word_overlap_with_every_number() -> None:
    printed = "12 Jalan Tampoi 7/4, Kawasan Perindustrian Tampoi, 81200 Johor Bahru, Johor."
    assert compare(FieldKind.ADDRESS, "merchant_address", ADDRESS, printed).correct
    # One misread word in the truth (TAMPOL) still matches the address.
    assert compare(
        FieldKind.ADDRESS, "merchant_address", ADDRESS.replace("TAMPOI 7", "TAMPOL 7"), printed
    ).correct
    # A truth that left out the state still matches.
    assert compare(FieldKind.ADDRESS, "merchant_address", ADDRESS.removesuffix(",JOHOR"), printed).correct


def test_ocr_text_without_spaces_is_compared_by_its_letters() -> None:
    # OCR often runs words together; the letters and digits are what is compared.
    assert compare(
        FieldKind.ADDRESS,
        "merchant_address",
        ADDRESS,
        "12,JALANTAMPOI7/4,KAWASANPERINDUSTRIAN TAMPOI,81200JOHORBAHRU,JOHOR",
    ).correct
    assert not compare(
        FieldKind.ADDRESS,
        "merchant_address",
        ADDRESS,
        "12,JALANTAMPOI7/4,KAWASANPERINDUSTRIAN TAMPOI,81300JOHORBAHRU,JOHOR",
    ).correct
    # A registration number printed after the name: the truth is the name, whole words of it.
    assert compare(
        FieldKind.TEXT, "merchant_name", "GOLDEN OAK F&B SDN BHD", "GOLDEN:OAKF&BSDNBHD(123456-T)"
    ).correct
    # A truth that starts or ends inside a word of the value is not a shortened name.
    assert not compare(FieldKind.TEXT, "vendor_name", "MART", "WALMART").correct
    assert not compare(FieldKind.TEXT, "vendor_name", "OAK TRADING", "GOLDENOAK TRADING").correct


@pytest.mark.parametrize(
    "value",
    [
        "14 Jalan Tampoi 7/4, Kawasan Perindustrian Tampoi, 81200 Johor Bahru, Johor",  # house number
        "12 Jalan Tampoi 7/4, Kawasan Perindustrian Tampoi, 81300 Johor Bahru, Johor",  # postcode
        "NO 3, JALAN PERMAS 10/8, BANDAR BARU PERMAS JAYA, 81750 MASAI, JOHOR",  # another address
        "12 Jalan Tampoi 7/4",  # half of it
    ],
)
def test_a_different_address_is_wrong(value: str) -> None:
    assert not compare(FieldKind.ADDRESS, "merchant_address", ADDRESS, value).correct


def test_a_wrong_truth_value_is_scored_wrong() -> None:
    # The extraction is what the document says; the truth file is wrong. The score says so.
    assert not compare(FieldKind.MONEY, "total_amount", "99.99", 16258.6).correct
    assert not compare(FieldKind.DATE, "invoice_date", "2025-03-24", "2025-03-23").correct
    assert not compare(FieldKind.TEXT, "invoice_number", "INV-2025-4937", "INV-2025-4936").correct
    assert not compare(
        FieldKind.TEXT, "vendor_name", "Nordlicht Software GmbH", "Atelier Moreau SARL"
    ).correct


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_value_is_checked_and_wrong(value: object) -> None:
    verdict = compare(FieldKind.MONEY, "total_amount", "RM7.70", value)
    assert not verdict.correct and verdict.value is None and verdict.note == "missing"


def test_an_unreadable_value_is_wrong_and_an_unreadable_truth_is_an_error() -> None:
    assert not compare(FieldKind.DATE, "date", "12 JUN 2018", "sometime in June").correct
    with pytest.raises(TruthValueError):
        compare(FieldKind.DATE, "date", "sometime in June", "2018-06-12")
    with pytest.raises(TruthValueError):
        compare(FieldKind.TEXT, "merchant_name", "...", "ANYTHING")


def test_numbers_integers_and_booleans() -> None:
    assert compare(FieldKind.NUMBER, "quantity", "2,5", 2.5).correct
    assert not compare(FieldKind.NUMBER, "quantity", "2.5", 2.6).correct
    assert compare(FieldKind.INTEGER, "pages", "3", 3).correct
    assert not compare(FieldKind.INTEGER, "pages", 3, 4).correct
    assert compare(FieldKind.TEXT, "paid", True, True).correct
    assert not compare(FieldKind.TEXT, "paid", True, False).correct
