"""Value parsing: amounts, dates, currencies, quantities, formatted many ways and read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.fieldmap.values import (
    detect_currency,
    find_amounts,
    find_dates,
    infer_day_first,
    parse_amount,
    parse_date,
    parse_number,
    snake_case,
)
from tests.support.truth import format_amount, format_date

amounts = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("9999999.99"), places=2, allow_nan=False, allow_infinity=False
)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2089, 12, 31))
STYLES = ("us", "eu", "ch", "fr")


@given(value=amounts, style=st.sampled_from(STYLES))
def test_amount_in_every_grouping_style_reads_back(value: Decimal, style: str) -> None:
    assert parse_amount(format_amount(value, style)) == value


@given(
    value=amounts,
    style=st.sampled_from(STYLES),
    wrapper=st.sampled_from(
        [
            "{} EUR",
            "EUR {}",
            "€{}",
            "{} €",
            "${}",
            "£{}",
            "CHF {}",
            "Total: {}",
            "Total Due  {}",
            "VAT 19%: {}",
            "Tax (8.25%) {}",
        ]
    ),
)
def test_amount_with_currency_or_label_reads_back(value: Decimal, style: str, wrapper: str) -> None:
    assert parse_amount(wrapper.format(format_amount(value, style))) == value


@given(
    value=amounts.filter(lambda v: v > 0),
    style=st.sampled_from(STYLES),
    form=st.sampled_from(["-{}", "({})", "{}-", "-$ {}".replace(" ", "")]),
)
def test_negative_forms(value: Decimal, style: str, form: str) -> None:
    assert parse_amount(form.format(format_amount(value, style))) == -value


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("$1,234.56", "USD"),
        ("EUR 1,234.56", "EUR"),
        ("1.234,56 €", "EUR"),
        ("£9.99", "GBP"),
        ("CHF 1'234.50", "CHF"),
        ("GBP37.32", "GBP"),
        ("12.00", None),
    ],
)
def test_amount_carries_the_currency_printed_beside_it(text: str, currency: str | None) -> None:
    (match,) = find_amounts(text)
    assert match.currency == currency


@pytest.mark.parametrize("text", ["15.03.2026", "14:32", "23/12/2025", "19%", "8.25 %"])
def test_dates_times_and_percentages_are_not_amounts(text: str) -> None:
    assert find_amounts(text) == []


@given(
    day=dates,
    pattern=st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%d %B %Y", "%b %d, %Y", "%d-%b-%Y", "%B %d, %Y"]),
)
def test_unambiguous_date_formats_read_back(day: dt.date, pattern: str) -> None:
    text = f"Invoice Date: {format_date(day, pattern)}"
    assert parse_date(text, day_first=True) == day
    assert parse_date(text, day_first=False) == day


@given(day=st.dates(min_value=dt.date(1969, 1, 1), max_value=dt.date(2068, 12, 31)))
def test_two_digit_years_pivot_like_posix(day: dt.date) -> None:
    assert parse_date(format_date(day, "%d.%m.%y")) == day


@given(day=dates)
def test_slash_dates_follow_the_page_convention(day: dt.date) -> None:
    us, uk = format_date(day, "%m/%d/%Y"), format_date(day, "%d/%m/%Y")
    assert parse_date(us, day_first=False) == day
    assert parse_date(uk, day_first=True) == day


def test_day_first_inferred_from_an_unambiguous_date_on_the_page() -> None:
    assert infer_day_first(["Date: 03/04/2026", "Due: 28/04/2026"]) is True
    assert infer_day_first(["Date: 03/04/2026", "Due: 04/28/2026"]) is False


def test_day_first_falls_back_to_the_currency() -> None:
    page = ["Date: 03/04/2026"]
    assert infer_day_first(page, "USD") is False
    assert infer_day_first(page, "GBP") is True
    assert parse_date(page[0], day_first=infer_day_first(page, "USD")) == dt.date(2026, 3, 4)


def test_invalid_dates_are_skipped() -> None:
    assert find_dates("31.02.2026 and 2026-13-01") == []


@pytest.mark.parametrize(
    ("texts", "code", "confidence"),
    [
        (["Total EUR 12.00"], "EUR", 1.0),
        (["Total € 12.00"], "EUR", 0.9),
        (["Total $12.00"], "USD", 0.7),
        (["Total $12.00", "All prices in CAD"], "CAD", 1.0),
        (["£3.20", "£1.00"], "GBP", 0.9),
    ],
)
def test_currency_from_codes_then_symbols(texts: list[str], code: str, confidence: float) -> None:
    evidence = detect_currency(texts)
    assert evidence is not None
    assert (evidence.code, evidence.confidence) == (code, confidence)


def test_no_currency_evidence() -> None:
    assert detect_currency(["Total 12.00", "TAXI 3"]) is None


@given(whole=st.integers(0, 999), frac=st.integers(0, 9), comma=st.booleans())
def test_quantities(whole: int, frac: int, comma: bool) -> None:
    mark = "," if comma else "."
    assert parse_number(f"{whole}{mark}{frac}") == Decimal(f"{whole}.{frac}")
    assert parse_number(f"{whole} x 3.50") == Decimal(whole)


def test_snake_case_keys() -> None:
    assert snake_case("Invoice No.") == "invoice_no"
    assert snake_case("Téléphone") == "telephone"
    assert snake_case("  VAT (20 %) ") == "vat_20"
