"""Amount labels as OCR reads them: currency signs misread as letters and glued words."""

from __future__ import annotations

import pytest

from extractors.fieldmap.amount_labels import MoneyRole, read_label


@pytest.mark.parametrize(
    ("label", "keyword"),
    [
        ("InvoiceTotalE", "invoicetotal"),  # "Invoice Total £": the £ read as E, spaces lost
        ("Invoice Total E", "invoicetotal"),
        ("Invoice Total £", "invoicetotal"),
        ("GrandTotalE", "grandtotal"),
        ("Grand TotaiRM", "grandtotal"),  # the l of small receipt print read as an i
        ("Baiance Due", "balancedue"),
        ("Grand Total RM", "grandtotal"),
        ("Amount DueS", "amountdue"),  # "$" read as S
        ("Balance DueEUR", "balancedue"),
        ("TOTAL PAYABLE GBP", "totalpayable"),
    ],
)
def test_a_misread_currency_sign_after_the_label_keeps_the_amount_to_pay(label: str, keyword: str) -> None:
    reading = read_label(label)
    assert (reading.role, reading.keyword, reading.final) == (MoneyRole.TOTAL, keyword, True)


@pytest.mark.parametrize(
    "label",
    [
        "TOTALS",
        "Total£",
        "TotalE",
        "Totalf",
        "TotalL",
        "TotalS",
        "TOTALRM",
        "TOTALGBP",
        "Total EUR",
        "Totale",
    ],
)
def test_a_total_with_a_glued_or_misread_currency_is_a_total(label: str) -> None:
    assert read_label(label).role is MoneyRole.TOTAL


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Subtotal", MoneyRole.SUBTOTAL),
        ("SubtotalE", MoneyRole.SUBTOTAL),
        ("SubTotal£", MoneyRole.SUBTOTAL),
        ("Total excl. VAT", MoneyRole.SUBTOTAL),
        ("Total excl. VAT E", MoneyRole.SUBTOTAL),
        ("Net total", MoneyRole.NET),
        ("NetTotalE", MoneyRole.NET),  # not the "totale" OCR made of "Total £"
        ("Net Total £", MoneyRole.NET),
        ("Total NetAmount", MoneyRole.NET),
        ("Total VATAmount", MoneyRole.TAX),
        ("VATE", MoneyRole.TAX),
    ],
)
def test_a_misread_currency_makes_no_subtotal_net_or_tax_a_total(label: str, role: MoneyRole) -> None:
    assert read_label(label).role is role


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("VATAmount", MoneyRole.TAX),  # capitals show where OCR glued two words
        ("TotalGSTPayable", MoneyRole.TAX),
        ("Network", MoneyRole.OTHER),  # "net" inside a word is no keyword
        ("Sales", MoneyRole.OTHER),
        ("Total Qty", MoneyRole.COUNT),
        ("Items", MoneyRole.COUNT),
    ],
)
def test_glued_words_split_at_their_capitals(label: str, role: MoneyRole) -> None:
    assert read_label(label).role is role
