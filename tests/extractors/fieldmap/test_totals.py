"""Totals, subtotals and taxes chosen by score: the hard cases of real receipts and invoices,
as small synthetic pages (OCR-like lines with boxes and confidences)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, Field

from extractors.fieldmap.amounts import read_amounts
from extractors.fieldmap.mapper import map_page
from models.extraction import ExtractedField, PageExtraction
from models.page import TextLine
from models.schemas import ExtractionSchema, get_schema


def page(
    rows: Sequence[str], *, top: float = 0.1, step: float = 0.03, confidence: float = 0.95
) -> list[TextLine]:
    """Lines stacked down the page, one per row, as OCR gives them (cells split by spaces)."""
    return [
        TextLine(text=text, bbox=(0.1, top + i * step, 0.9, top + i * step + 0.02), confidence=confidence)
        for i, text in enumerate(rows)
    ]


def receipt(rows: Sequence[str]) -> PageExtraction:
    return map_page(page(rows), get_schema("receipt"), page_number=1)


def invoice(rows: Sequence[str]) -> PageExtraction:
    return map_page(page(rows), get_schema("invoice"), page_number=1)


def field(result: PageExtraction, name: str) -> ExtractedField:
    assert name in result.fields, f"{name} not found; got {sorted(result.fields)}"
    return result.fields[name]


RECEIPT_HEAD = ["KEDAI MAJU SDN BHD", "NO 12 JALAN BESAR", "TAX INVOICE"]


def test_cash_change_and_rounding_are_not_the_total() -> None:
    result = receipt(
        [
            *RECEIPT_HEAD,
            "Nasi Lemak          1   6.69",
            "Teh Tarik           1   1.03",
            "Total Amount:       RM7.72",
            "GST@0%:             RM0.00",
            "Rounding:           -RM0.02",
            "Nett Total:         RM7.70",
            "CASH                RM10.00",
            "Change              RM2.30",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 7.70
    assert total.method == "total:keyword+rounding"
    assert any("7.72 - 0.02 = 7.70" in e for e in total.evidence)
    assert any(e.startswith("check passed: cash - change") for e in total.evidence)
    assert total.source_text is not None and "7.70" in total.source_text


def test_a_big_amount_on_a_rounding_line_is_the_rounded_total() -> None:
    result = receipt(
        [
            *RECEIPT_HEAD,
            "Total Sales (Inclusive GST) RM  22.91",
            "Rounding Adjustment RM   -,01",
            "Rounding RM  22.90",
            "CASH RM  50.00",
            "CHANGE RM  27.10",
        ]
    )
    assert field(result, "total_amount").value == 22.90


def test_lost_decimal_point_is_repaired_when_the_items_confirm_it() -> None:
    result = receipt(
        [
            *RECEIPT_HEAD,
            "Chicken rice        12.50",
            "Iced lemon tea       3.20",
            "Fried noodles       48.43",
            "TOTAL               6413",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 64.13
    assert total.method == "total:repaired"
    assert "repaired 6413 -> 64.13 (decimal point lost)" in total.evidence
    assert any("items sum to 64.13" in e for e in total.evidence)
    # repaired digits make a weaker value than the same line printed right
    clean = receipt(
        [*RECEIPT_HEAD, "Chicken rice 12.50", "Iced lemon tea  3.20", "Fried noodles  48.43", "TOTAL  64.13"]
    )
    assert total.confidence < field(clean, "total_amount").confidence


def test_quantities_counts_and_years_are_not_amounts() -> None:
    result = receipt(
        [
            *RECEIPT_HEAD,
            "Established 2014",
            "Mineral water   2x   1.20   2.40",
            "Bread                       3.10",
            "Total Qty: 3",
            "Total:      3      5.50",
            "GST Act 2014",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 5.50
    assert total.method == "total:keyword+items"


def test_the_tax_summary_total_is_not_the_total() -> None:
    result = receipt(
        [
            *RECEIPT_HEAD,
            "Coffee             2.12",
            "Cake               8.48",
            "Total (Excluding GST):    10.60",
            "GST payable (6%):          0.64",
            "Total (Inclusive of GST): 11.24",
            "CASH:                     20.00",
            "CHANGE:                    8.76",
            "GST Summary     Amount(RM)   Tax(RM)",
            "SR  @6%          10.60        0.64",
            "Total:          10.60        0.64",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 11.24
    assert total.method == "total:keyword+sum"
    assert field(result, "tax_amount").value == 0.64


def test_letters_read_for_digits_are_repaired_and_said() -> None:
    amounts = read_amounts("Change   RMO.50")
    assert [a.value for a in amounts] == [pytest.approx(0.5)]
    assert amounts[0].repair is not None and "0.50" in amounts[0].repair
    result = receipt([*RECEIPT_HEAD, "Grand Tota1RM14.20", "Total Paid  RM20.20", "Change  RM6.00"])
    assert field(result, "total_amount").value == 14.20


def test_german_invoice_block() -> None:
    result = invoice(
        [
            "Nordlicht Software GmbH",
            "Rechnung",
            "Rechnungsdatum: 04.03.2024",
            "Beratung              10     123,45 €      1.234,50 €",
            "Nettobetrag                                1.234,50 €",
            "zzgl. 19 % MwSt.                             234,56 €",
            "Gesamtbetrag                               1.469,06 €",
        ]
    )
    assert field(result, "subtotal").value == 1234.50
    assert field(result, "tax_amount").value == 234.56
    total = field(result, "total_amount")
    assert total.value == 1469.06
    assert total.method == "total:keyword+sum"
    assert field(result, "tax_amount").method == "tax:keyword+sum"


def test_french_invoice_ht_tva_ttc_with_space_groups() -> None:
    result = invoice(
        [
            "Atelier Moreau SARL",
            "Facture",
            "Total HT        1 000,00 €",
            "TVA (20 %)        200,00 €",
            "Total TTC       1 200,00 €",
        ]
    )
    values = {name: result.fields[name].value for name in ("subtotal", "tax_amount", "total_amount")}
    assert values == {"subtotal": 1000.0, "tax_amount": 200.0, "total_amount": 1200.0}


@pytest.mark.parametrize(
    ("rows", "total"),
    [
        (["Subtotaal   € 1.500,00", "BTW 21%   € 315,00", "Te betalen   € 1.815,00"], 1815.0),
        (["Base imponible  2.000,00 €", "IVA (21 %)  420,00 €", "Importe total  2.420,00 €"], 2420.0),
        (["Imponibile  € 800,00", "IVA 22%  € 176,00", "Totale  € 976,00"], 976.0),
        (["Zwischensumme  CHF 1'000.00", "MwSt. 8.1 %  CHF 81.00", "Total  CHF 1'081.00"], 1081.0),
    ],
)
def test_totals_blocks_in_other_languages(rows: list[str], total: float) -> None:
    result = invoice(["Vendor BV", "Invoice", *rows])
    assert field(result, "total_amount").value == total
    assert field(result, "total_amount").method == "total:keyword+sum"


def test_net_total_is_the_subtotal_when_tax_is_added_to_it() -> None:
    result = invoice(["ACME LTD", "Net total   100.00", "VAT 20%   20.00", "Total   120.00"])
    assert field(result, "subtotal").value == 100.0
    assert field(result, "total_amount").value == 120.0


def test_disagreeing_totals_without_checks_look_weak() -> None:
    agreed = invoice(["ACME LTD", "Total   120.00"])
    disputed = invoice(["ACME LTD", "Total   120.00", "Amount   95.00", "Total   130.00"])
    assert field(agreed, "total_amount").method == "total:keyword"
    weak = field(disputed, "total_amount")
    assert weak.method == "total:largest"
    assert weak.confidence < field(agreed, "total_amount").confidence


def test_a_failed_check_is_in_the_evidence_and_lowers_confidence() -> None:
    consistent = invoice(["ACME LTD", "Subtotal  100.00", "VAT  20.00", "Total  120.00"])
    broken = invoice(["ACME LTD", "Subtotal  100.00", "VAT  20.00", "Total  125.00"])
    total = field(broken, "total_amount")
    assert total.value == 125.0
    assert any(e.startswith("check failed: subtotal + tax") for e in total.evidence)
    assert total.confidence < field(consistent, "total_amount").confidence


def test_item_lines_alone_give_no_total() -> None:
    result = invoice(
        ["ACME LTD", "Description   Qty   Amount", "Network switch 24-port  1  147.31", "Chairs  2  90.00"]
    )
    assert "total_amount" not in result.fields


class Shipment(BaseModel):
    """A custom schema: a money field known only by its name and one alias."""

    shipping_cost: Any = Field(None, json_schema_extra={"kind": "money", "aliases": ["freight"]})
    grand_total: Any = Field(None, json_schema_extra={"kind": "money"})


def test_custom_money_fields() -> None:
    schema = ExtractionSchema(name="shipment", version="1", description="", model=Shipment)
    result = map_page(
        page(["Freight charges     EUR 45.00", "Goods   EUR 100.00", "Grand total   EUR 145.00"]),
        schema,
        page_number=1,
    )
    assert field(result, "shipping_cost").value == 45.0
    assert field(result, "shipping_cost").method == "money:labelled"
    assert field(result, "grand_total").value == 145.0


def test_a_balance_after_a_part_payment_is_not_the_total() -> None:
    result = invoice(
        [
            "ACME LTD",
            "Subtotal  1,000.00",
            "VAT 20%  200.00",
            "Total  1,200.00",
            "Amount paid  -300.00",
            "Balance due  900.00",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 1200.0
    assert any("total - paid = balance (1200.00 - 300.00 = 900.00)" in e for e in total.evidence)


def test_a_previous_balance_paid_off_is_not_this_bills_total() -> None:
    result = invoice(
        [
            "WRENFIELD ENERGY",
            "Previous balance          £174.77",
            "Payment received - thank you   -£174.77",
            "Net amount                £163.75",
            "VAT at 5% on £163.75      £8.19",
            "Total charges for this period   £171.94",
        ]
    )
    assert field(result, "total_amount").value == 171.94
    assert field(result, "subtotal").value == 163.75
    assert field(result, "tax_amount").value == 8.19  # not the base printed in its label


def test_tax_included_at_two_rates_is_added_up() -> None:
    result = invoice(
        [
            "Gasthaus Linde KG",
            "Gesamtsumme EUR          3.825,32",
            "Im Gesamtbetrag sind enthalten:",
            "MwSt. 19 % auf 60,08          11,42",
            "MwSt. 7 % auf 3.508,24       245,58",
        ]
    )
    tax = field(result, "tax_amount")
    assert tax.value == pytest.approx(257.00)
    assert tax.method == "tax:keyword+rate"
    assert field(result, "total_amount").value == 3825.32


def test_a_totals_header_over_its_row_of_values() -> None:
    lines = [
        TextLine(text="Base imponible", bbox=(0.08, 0.60, 0.25, 0.62), confidence=1.0),
        TextLine(text="% IVA", bbox=(0.28, 0.60, 0.34, 0.62), confidence=1.0),
        TextLine(text="Cuota IVA", bbox=(0.38, 0.60, 0.48, 0.62), confidence=1.0),
        TextLine(text="TOTAL FACTURA", bbox=(0.57, 0.60, 0.72, 0.62), confidence=1.0),
        TextLine(text="25.060,66 €", bbox=(0.08, 0.63, 0.19, 0.65), confidence=1.0),
        TextLine(text="21 %", bbox=(0.28, 0.63, 0.32, 0.65), confidence=1.0),
        TextLine(text="5.262,74 €", bbox=(0.38, 0.63, 0.48, 0.65), confidence=1.0),
        TextLine(text="30.323,40 €", bbox=(0.80, 0.63, 0.92, 0.65), confidence=1.0),
    ]
    result = map_page(lines, get_schema("invoice"), page_number=1)
    values = {name: result.fields[name].value for name in ("subtotal", "tax_amount", "total_amount")}
    assert values == {"subtotal": 25060.66, "tax_amount": 5262.74, "total_amount": 30323.40}


def test_tax_summary_by_rate_gives_subtotal_and_tax_when_the_main_block_has_none() -> None:
    result = invoice(
        [
            "HOTEL TORRE",
            "Totale   234,47",
            "Pagamento carta di credito   -234,47",
            "Saldo   0,00",
            "IVA   Imponibile   IVA   Totale",
            "10%   204,06   20,41   224,47",
            "0%   10,00   0,00   10,00",
            "Σ   214,06   20,41   234,47",
        ]
    )
    assert field(result, "total_amount").value == 234.47
    subtotal, tax = field(result, "subtotal"), field(result, "tax_amount")
    assert (subtotal.value, tax.value) == (214.06, 20.41)
    assert (subtotal.method, tax.method) == ("subtotal:summary+sum", "tax:summary+sum")


@pytest.mark.parametrize("rate", ["0%", "O%"])  # OCR reads the zero of a rate as a letter O
def test_a_summary_row_whose_rate_labels_both_amounts_gives_the_tax_the_rate_makes(rate: str) -> None:
    result = receipt(
        [
            "KEDAI MAJU SDN BHD",
            "Total Incl. GST   RM 27.27",
            "ROUNDING ADJUSTMENT   -RM 0.02",
            "TOTAL ROUNDED   RM 27.25",
            "CASH   RM 30.00",
            "CHANGE   RM 2.75",
            "GST Summary   Amt(RM)   Tax(RM)",
            f"GST SR@{rate}   27.27   0.00",
        ]
    )
    tax = field(result, "tax_amount")
    assert tax.value == 0.0
    assert "rate check: 0 % of 27.27 = 0.00" in tax.evidence
    assert field(result, "total_amount").value == 27.25


def test_a_grand_total_read_with_an_i_for_its_l_is_still_the_amount_to_pay() -> None:
    result = receipt(
        [
            "MOONLIGHT CAKE HOUSE SDN BHD",
            "T-Saha Bread *#   RM4.60 ST",
            "Total (Incl GST, 0%)   RM14.18",
            "Rounding   RM0.02",
            "Grand TotaiRM14.20",
            "Total Paid   RM20.20",
            "Change   RM6.00",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 14.2
    assert any("cash - change = total" in e for e in total.evidence)


def test_identifiers_are_not_amounts_and_a_misread_comma_follows_the_page() -> None:
    assert read_amounts("rekeningnummer NL66RABO4241484967 totaalbedrag") == ()
    assert [a.value for a in read_amounts("btw 21%  1.853.37", decimal_comma=True)] == [Decimal("1853.37")]
    assert [a.value for a in read_amounts("9.400.00", decimal_comma=False)] == [
        Decimal("9.40"),
        Decimal("0.00"),
    ]
    result = invoice(
        [
            "VAN OOSTERHOUT B.V.",
            "Totaal excl. btw   8.825,56",
            "btw 21%   1.853.37",
            "Totaal incl. btw   10.678,93",
            "Wij verzoeken u vriendelijk het totaalbedrag over te maken op NL66RABO4241484967",
        ]
    )
    assert field(result, "total_amount").value == 10678.93
    assert field(result, "tax_amount").value == 1853.37


def test_a_slanted_photo_puts_the_label_on_a_row_of_its_own() -> None:
    lines = [
        TextLine(text="Netto  1.124,95", bbox=(0.14, 0.400, 0.85, 0.412), confidence=0.95),
        TextLine(text="USt 20 %  224,99", bbox=(0.14, 0.418, 0.85, 0.430), confidence=0.95),
        TextLine(text="1.349,94", bbox=(0.76, 0.444, 0.85, 0.456), confidence=0.97),
        TextLine(text="Rechnungsbetrag EUR", bbox=(0.40, 0.453, 0.62, 0.465), confidence=0.95),
    ]
    total = field(map_page(lines, get_schema("invoice"), page_number=1), "total_amount")
    assert total.value == 1349.94
    assert total.source_text is not None and "Rechnungsbetrag" in total.source_text


def test_an_item_line_is_never_its_own_payment() -> None:
    result = invoice(
        [
            "FAIRBANKS & CALLOWAY LLP",
            "Date      Description                                 Hours    Amount",
            "12/29/2022  Review and revise master services agreement  3.75",
            "12/29/2022  Draft lease amendment              0.5     243.77",
        ]
    )
    assert "total_amount" not in result.fields
    # a payment line alone is no witness of itself
    assert "total_amount" not in invoice(["ACME LTD", "Paid by card   25.00"]).fields


def test_a_grouping_comma_misread_as_a_point_on_a_dollar_page() -> None:
    assert [a.value for a in read_amounts("Balance due $8.391.11", decimal_comma=False)] == [
        Decimal("8391.11")
    ]
    assert [a.value for a in read_amounts("9.400.00", decimal_comma=False)] == [
        Decimal("9.40"),
        Decimal("0.00"),
    ]


def test_a_lone_value_under_a_header_word() -> None:
    lines = [
        TextLine(text="Totale imponibile", bbox=(0.57, 0.41, 0.72, 0.42), confidence=1.0),
        TextLine(text="Totale imposta", bbox=(0.76, 0.41, 0.88, 0.42), confidence=1.0),
        TextLine(text="4.497,19", bbox=(0.57, 0.423, 0.65, 0.433), confidence=1.0),
        TextLine(text="989,38", bbox=(0.76, 0.423, 0.82, 0.433), confidence=1.0),
        TextLine(text="Importo bollo", bbox=(0.05, 0.449, 0.16, 0.459), confidence=1.0),
        TextLine(text="Sconto/Maggiorazione", bbox=(0.22, 0.449, 0.38, 0.459), confidence=1.0),
        TextLine(text="Arr.", bbox=(0.42, 0.449, 0.46, 0.459), confidence=1.0),
        TextLine(text="Totale documento", bbox=(0.52, 0.449, 0.66, 0.459), confidence=1.0),
        TextLine(text="5.486,57", bbox=(0.52, 0.462, 0.60, 0.472), confidence=1.0),
    ]
    total = field(map_page(lines, get_schema("invoice"), page_number=1), "total_amount")
    assert total.value == 5486.57
    assert total.method == "total:keyword+sum"


def test_an_invoice_total_whose_currency_sign_ocr_misread_beats_the_net() -> None:
    # "Invoice Total £" read as "InvoiceTotalE": the label still says the amount to pay.
    result = invoice(
        [
            "SALES INVOICE",
            "M36428  Office chair   9   335.00   3,015.00",
            "R75775  Network switch   6   415.00   15,223.67",
            "VATAnalysis               Total NetAmount   18,238.67",
            "Code  Rate   Net   VAT    Total VATAmount   3,647.73",
            "S  20.00%   18,238.67   3,647.73   InvoiceTotalE   21,886.40",
        ]
    )
    assert field(result, "total_amount").value == 21886.40
    assert field(result, "subtotal").value == 18238.67
    assert field(result, "tax_amount").value == 3647.73


@pytest.mark.parametrize("label", ["TOTALS", "Total£", "TotalE", "TOTALRM"])
def test_a_total_label_with_a_glued_currency_is_read(label: str) -> None:
    result = receipt(
        [*RECEIPT_HEAD, "Nasi Lemak   1   12.00", f"{label}      12.00", "CASH   20.00", "CHANGE   8.00"]
    )
    assert field(result, "total_amount").value == 12.00


def test_a_net_chosen_as_total_gives_way_to_net_plus_tax_printed_on_the_page() -> None:
    # The total's label is past reading ("Invo1ceT0tl"): the net has the items behind it, but
    # net + VAT is printed, so that is the total.
    result = invoice(
        [
            "SALES INVOICE",
            "A100  Office chair   2   50.00   100.00",
            "B200  Toner   1   20.00   20.00",
            "VAT Analysis               Net total   120.00",
            "Code  Rate   Net   VAT    Total VAT   24.00",
            "S  20.00%   120.00   24.00   Invo1ceT0tl   144.00",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 144.00
    assert "inconsistent" not in total.flags
    assert any("120.00 + 24.00 = 144.00" in e for e in total.evidence)
    assert field(result, "subtotal").value == 120.00
    assert field(result, "tax_amount").value == 24.00


def test_a_total_equal_to_the_subtotal_while_tax_is_printed_is_flagged_inconsistent() -> None:
    result = invoice(
        [
            "SALES INVOICE",
            "A100  Office chair   2   50.00   100.00",
            "B200  Toner   1   20.00   20.00",
            "Subtotal   120.00",
            "VAT 20%   24.00",
            "Total   120.00",  # the digits of 144.00 lost: the net read again
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 120.00
    assert "inconsistent" in total.flags
    assert any("equals the net line 'Subtotal' while tax 24.00 is printed" in e for e in total.evidence)


def test_a_total_with_the_tax_shown_as_included_is_not_flagged() -> None:
    # Malaysian receipts: items priced with GST, the summary shows the amount before it.
    result = receipt(
        [
            *RECEIPT_HEAD,
            "Nasi Lemak   1   30.00",
            "SUBTOTAL   30.00",
            "TOTAL   30.00",
            "GST SUMMARY   Amount(RM)   Tax(RM)",
            "SR @ 6%   28.30   1.70",
        ]
    )
    total = field(result, "total_amount")
    assert total.value == 30.00
    assert total.flags == []


def test_a_nett_total_with_gst_printed_and_no_subtotal_is_not_flagged() -> None:
    result = receipt([*RECEIPT_HEAD, "Teh Tarik   2   7.70", "GST 6%   0.44", "Nett Total   RM7.70"])
    total = field(result, "total_amount")
    assert total.value == 7.70
    assert total.flags == []
