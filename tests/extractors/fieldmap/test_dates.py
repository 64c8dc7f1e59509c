"""Date fields chosen by score: labels and roles, glued times, month names, day/month order,
as small synthetic pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel, Field

from extractors.fieldmap.dates import DateOrderSetting
from extractors.fieldmap.mapper import map_page
from extractors.fieldmap.values import find_dates
from models.extraction import ExtractedField, PageExtraction
from models.page import TextLine
from models.schemas import ExtractionSchema, get_schema


def page(rows: Sequence[str], *, top: float = 0.1, step: float = 0.03) -> list[TextLine]:
    return [
        TextLine(text=text, bbox=(0.1, top + i * step, 0.9, top + i * step + 0.02), confidence=0.95)
        for i, text in enumerate(rows)
    ]


def receipt(rows: Sequence[str]) -> PageExtraction:
    return map_page(page(rows), get_schema("receipt"), page_number=1)


def invoice(rows: Sequence[str]) -> PageExtraction:
    return map_page(page(rows), get_schema("invoice"), page_number=1)


def field(result: PageExtraction, name: str) -> ExtractedField:
    assert name in result.fields, f"{name} not found; got {sorted(result.fields)}"
    return result.fields[name]


HEAD = ["KEDAI MAJU SDN BHD", "NO 12 JALAN BESAR 81300 SKUDAI"]
FOOT = ["Teh Tarik      1.50", "TOTAL          1.50", "CASH           2.00", "CHANGE         0.50"]


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("Date:20/04/2018", "2018-04-20"),  # glued to its label
        ("05 MAR 2018  14:02", "2018-03-05"),  # month name, a time beside it
        ("12-01-19  SH02  T2 R000551481", "2019-01-12"),  # two-digit year, codes after
        ("Cashier: AMIN      25/12/201818:07:10", "2018-12-25"),  # time glued to the year
        ("16Jun1808:34:31PM", "2018-06-16"),  # month name, 2-digit year, glued time
        ("Date  :04-05-1812:50:51PM", "2018-05-04"),  # "1812" is '18 at 12:50, not 1812
    ],
)
def test_receipt_dates_as_printed(printed: str, iso: str) -> None:
    date = field(receipt([*HEAD, printed, *FOOT]), "date")
    assert date.value == iso


def test_methods_say_how_the_date_was_found() -> None:
    labelled = field(receipt([*HEAD, "Date: 20/04/2018", *FOOT]), "date")
    alone = field(receipt([*HEAD, "20/04/2018 14:02", *FOOT]), "date")
    several = field(receipt([*HEAD, "20/04/2018 14:02", *FOOT, "Valid until 20/05/2018"]), "date")
    assert (labelled.method, alone.method, several.method) == (
        "date:labelled",
        "date:only-one",
        "date:unlabelled",
    )
    assert labelled.confidence > alone.confidence > several.confidence
    assert several.value == "2018-04-20"


def test_due_date_is_not_the_invoice_date() -> None:
    result = invoice(
        [
            "ACME LTD",
            "INVOICE",
            "Due Date: 28/04/2026",
            "Invoice Date: 03/04/2026",
            "Subtotal  100.00",
            "Total  100.00",
        ]
    )
    assert field(result, "invoice_date").value == "2026-04-03"  # 28/04 proves day-first
    assert field(result, "due_date").value == "2026-04-28"
    assert field(result, "due_date").method == "date:labelled"


def test_a_due_date_is_never_guessed_from_an_unlabelled_date() -> None:
    result = invoice(["ACME LTD", "INVOICE", "14 March 2026", "Total  100.00"])
    assert field(result, "invoice_date").value == "2026-03-14"
    assert "due_date" not in result.fields


def test_print_and_delivery_dates_lose_to_the_purchase_date() -> None:
    result = receipt(
        [
            *HEAD,
            "Printed Date: 05/06/2018 10:00",
            "Delivery date: 09/06/2018",
            "Date: 04/06/2018 09:58",
            *FOOT,
        ]
    )
    assert field(result, "date").value == "2018-06-04"


def test_a_date_inside_an_identifier_is_not_the_date() -> None:
    result = receipt([*HEAD, "Invoice No:SP-nul1-18/06/20-1022050", "20/06/2018 18:07:10", *FOOT])
    assert field(result, "date").value == "2018-06-20"


def test_stacked_header_labels() -> None:
    result = invoice(
        [
            "ACME LTD",
            "Invoice Number     Invoice Date     Due Date",
            "INV-2025-3046      02.08.2025       01.09.2025",
            "Total  100.00",
        ]
    )
    assert field(result, "invoice_date").value == "2025-08-02"
    assert field(result, "invoice_date").method == "date:labelled"
    assert field(result, "due_date").value == "2025-09-01"


def test_month_first_on_a_dollar_invoice_without_proof() -> None:
    result = invoice(["ACME INC", "Invoice Date: 03/04/2026", "Total  $120.00"])
    date = field(result, "invoice_date")
    assert date.value == "2026-03-04"
    assert any("month-first" in e and "USD" in e for e in date.evidence)


def test_order_proven_by_another_date_on_the_page() -> None:
    result = invoice(["ACME INC", "Invoice Date: 03/04/2026", "Due: 04/28/2026", "Total  EUR 120.00"])
    assert field(result, "invoice_date").value == "2026-03-04"  # 04/28 proves month-first
    assert field(result, "due_date").value == "2026-04-28"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("4. März 2024", dt.date(2024, 3, 4)),
        ("1er mars 2024", dt.date(2024, 3, 1)),
        ("4 de marzo de 2024", dt.date(2024, 3, 4)),
        ("4 maart 2024", dt.date(2024, 3, 4)),
        ("4 dicembre 2024", dt.date(2024, 12, 4)),
        ("4 Ogos 2018", dt.date(2018, 8, 4)),
        ("04-Dez-2024", dt.date(2024, 12, 4)),
        ("Sept. 4, 2024", dt.date(2024, 9, 4)),
    ],
)
def test_month_names_in_seven_languages(text: str, day: dt.date) -> None:
    assert [d.value for d in find_dates(text)] == [day]


@pytest.mark.parametrize("text", ["Jun/2018", "WA25-24/288", "HC07-08-6", "Total 1812", "12/06/1812"])
def test_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_a_year_before_1990_loses_to_a_plausible_date() -> None:
    result = receipt([*HEAD, "Ref 01-03-70", "11/06/2018 17:17", *FOOT])
    assert field(result, "date").value == "2018-06-11"


class Delivery(BaseModel):
    """A custom schema: a date field known by its name only."""

    delivery_date: Any = Field(None, json_schema_extra={"kind": "date"})
    order_date: Any = Field(None, json_schema_extra={"kind": "date"})


def test_custom_date_fields_take_their_own_labels() -> None:
    schema = ExtractionSchema(name="delivery", version="1", description="", model=Delivery)
    result = map_page(
        page(["Order date: 2026-06-01", "Delivery Date", "17 June 2026", "Printed 2026-06-20"]),
        schema,
        page_number=1,
    )
    values = {name: f.value for name, f in result.fields.items()}
    assert values == {"delivery_date": "2026-06-17", "order_date": "2026-06-01"}


def test_due_date_counted_from_payment_terms() -> None:
    result = invoice(
        ["ACME LTD", "Invoice date  20/11/2023", "Terms of payment: Within 30 days due net", "Total 10.00"]
    )
    due = field(result, "due_date")
    assert due.value == "2023-12-20"
    assert due.method == "date:terms"
    assert due.confidence < field(result, "invoice_date").confidence
    end_of_month = invoice(["ACME SRL", "Data fattura 20/11/2023", "Bonifico 30 gg d.f.f.m.", "Totale 10,00"])
    assert "due_date" not in end_of_month.fields


def test_a_due_keyword_after_the_date() -> None:
    result = invoice(
        [
            "STADTWERKE",
            "Rechnungsdatum: 26.12.2024",
            "Der Betrag wird am 09.01.2025 per Lastschrift eingezogen",
        ]
    )
    assert field(result, "invoice_date").value == "2024-12-26"
    assert field(result, "due_date").value == "2025-01-09"


def test_stay_dates_and_an_item_date_column_are_not_the_invoice_date() -> None:
    result = invoice(
        [
            "HOTEL IRONVALE LTD",
            "Date      05/04/2023",
            "Arrival   01/04/2023",
            "Departure 05/04/2023",
            "Date         Description        Amount",
            "01/04/2023   Single room        115.00",
            "01/04/2023   Breakfast           23.05",
            "02/04/2023   Single room        115.00",
            "Total   253.05",
        ]
    )
    assert field(result, "invoice_date").value == "2023-04-05"


def test_despatch_date_is_not_the_tax_point() -> None:
    result = invoice(
        [
            "BLUEFELL LOGISTICS PLC",
            "Invoice No.    Date / Tax Point    Account Ref    Despatch Date",
            "INV-8849       13/07/2023          MARLOW01       01/07/2023",
            "Invoice Total £   19,543.46",
        ]
    )
    assert field(result, "invoice_date").value == "2023-07-13"


def test_a_later_page_gives_the_document_date_only_with_its_label() -> None:
    lines = page(["Total current charges   13,582.21", "Payment is due by February 24, 2023."])
    later = map_page(lines, get_schema("invoice"), page_number=2)
    assert "invoice_date" not in later.fields
    assert field(later, "due_date").value == "2023-02-24"


def test_an_ambiguous_date_with_nothing_to_order_it_is_flagged() -> None:
    rows = ["ACME LTD", "Invoice No: 1001", "Date: 04/05/2023", "Total 10.00"]
    found = field(invoice(rows), "invoice_date")
    assert found.value == "2023-05-04"
    assert "ambiguous_date" in found.flags
    assert any("unproven" in e for e in found.evidence)


@pytest.mark.parametrize(
    "clue",
    [
        "Total EUR 10.00",  # a currency code: day-first assumed from it
        "Total RM 10.00",  # ringgit as Malaysian receipts print it
        "Total   RM    10.00",  # also spaced out in a column
        "43200 Cheras, Selangor",  # a Malaysian state ends the address
        "Kedai Maju Sdn Bhd",  # a Malaysian legal form: the ringgit, day-first
        "Paid on 13/05/2023",  # another date proves the order
        "Delivered 3 May 2023",  # a month name written day-first
    ],
)
def test_an_ambiguous_date_ordered_by_the_page_is_not_flagged(clue: str) -> None:
    found = field(invoice(["ACME LTD", "Invoice No: 1001", "Date: 04/05/2023", clue]), "invoice_date")
    assert found.value == "2023-05-04"
    assert "ambiguous_date" not in found.flags


def test_an_unambiguous_date_is_never_flagged() -> None:
    rows = ["ACME LTD", "Invoice No: 1001", "Date: 24/05/2023", "Total 10.00"]
    found = field(invoice(rows), "invoice_date")
    assert found.value == "2023-05-24"
    assert "ambiguous_date" not in found.flags


@pytest.mark.parametrize(("order", "iso"), [("dmy", "2023-05-04"), ("mdy", "2023-04-05")])
def test_the_deployment_orders_a_date_nothing_on_the_page_orders(order: DateOrderSetting, iso: str) -> None:
    rows = ["ACME LTD", "Invoice No: 1001", "Date: 04/05/2023", "Total 10.00"]
    found = field(
        map_page(page(rows), get_schema("invoice"), page_number=1, date_order=order), "invoice_date"
    )
    assert found.value == iso
    assert "ambiguous_date" not in found.flags
    assert any(f"set by the deployment (date_order {order})" in e for e in found.evidence)
    # Same strength as the unflagged read: the setting moves no raw score.
    assert found.confidence == field(invoice(rows), "invoice_date").confidence


@pytest.mark.parametrize("order", ["dmy", "mdy"])
def test_a_proof_on_the_page_wins_over_the_deployment_order(order: DateOrderSetting) -> None:
    rows = ["ACME LTD", "Invoice No: 1001", "Date: 04/05/2023", "Paid on 13/05/2023"]
    found = field(
        map_page(page(rows), get_schema("invoice"), page_number=1, date_order=order), "invoice_date"
    )
    assert found.value == "2023-05-04"
    assert not any("deployment" in e for e in found.evidence)
