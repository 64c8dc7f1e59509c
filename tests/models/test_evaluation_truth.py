"""Reading truth values as people write them: dates in a stated order, printed amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from models.evaluation import DateOrder, TruthValueError, compact_text, parse_amount, parse_date


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2018-05-09", DateOrder.DMY, dt.date(2018, 5, 9)),  # ISO whatever the order
        ("2018-05-09", DateOrder.MDY, dt.date(2018, 5, 9)),
        ("09/05/2018", DateOrder.DMY, dt.date(2018, 5, 9)),
        ("09/05/2018", DateOrder.MDY, dt.date(2018, 9, 5)),
        ("09-05-18", DateOrder.DMY, dt.date(2018, 5, 9)),
        ("6/1/2018", DateOrder.DMY, dt.date(2018, 1, 6)),
        ("9.5.2018", DateOrder.DMY, dt.date(2018, 5, 9)),
        ("18/05/09", DateOrder.YMD, dt.date(2018, 5, 9)),
        ("2018/05/09", DateOrder.DMY, dt.date(2018, 5, 9)),  # four digits first: year first
        ("12 JUN 2018", None, dt.date(2018, 6, 12)),
        ("12-Jun-18", None, dt.date(2018, 6, 12)),
        ("June 12, 2018", None, dt.date(2018, 6, 12)),
        ("1er mars 2019", None, dt.date(2019, 3, 1)),
        ("3. Dezember 2024", None, dt.date(2024, 12, 3)),
        ("Mon, 3 Feb 2020 10:30", None, dt.date(2020, 2, 3)),
        ("15/06/2018 14:02:11", None, dt.date(2018, 6, 15)),  # reads one way only
        ("06/15/2018", None, dt.date(2018, 6, 15)),
        ("20180509", None, dt.date(2018, 5, 9)),
        ("01/02/99", DateOrder.DMY, dt.date(1999, 2, 1)),  # two-digit years 70-99: 19xx
    ],
)
def test_dates_are_read_in_the_sets_order(text: str, order: DateOrder | None, expected: dt.date) -> None:
    assert parse_date(text, order) == expected


def test_a_date_that_reads_both_ways_needs_an_order() -> None:
    with pytest.raises(TruthValueError, match="date order"):
        parse_date("09/05/2018")


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("31/02/2018", DateOrder.DMY),  # no such day
        ("15/06/2018", DateOrder.MDY),  # month 15 in the order stated: not silently swapped
        ("total 12", None),
        ("12 Smarch 2018", None),
        ("", None),
        (None, None),
    ],
)
def test_unreadable_dates_are_errors_not_guesses(text: object, order: DateOrder | None) -> None:
    with pytest.raises(TruthValueError):
        parse_date(text, order)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("RM7.70", Decimal("7.70")),
        ("4.70", Decimal("4.70")),
        ("7.70 MYR", Decimal("7.70")),
        ("1.234,56", Decimal("1234.56")),
        ("1 234,56", Decimal("1234.56")),
        ("1\u202f234,56 €", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1'234.50", Decimal("1234.50")),
        ("$1,234", Decimal("1234")),
        ("1.234.567", Decimal("1234567")),
        ("12,5", Decimal("12.5")),
        ("0,125", Decimal("0.125")),
        (".50", Decimal("0.50")),
        ("-RM7.70", Decimal("-7.70")),
        ("(12.00)", Decimal("-12.00")),
        ("12.00-", Decimal("-12.00")),
        (16258.6, Decimal("16258.6")),
        (42, Decimal(42)),
    ],
)
def test_amounts_as_printed_or_as_numbers(value: object, expected: Decimal) -> None:
    assert parse_amount(value) == expected


@pytest.mark.parametrize("value", ["RM", "seven", "1.2.3,4,5", True, None, "12 34abc 5"])
def test_unreadable_amounts_are_errors(value: object) -> None:
    with pytest.raises(TruthValueError):
        parse_amount(value)


def test_compact_text_folds_case_accents_and_punctuation() -> None:
    assert compact_text("S.H.H. Motor (Sungai Rengit) Sdn. Bhd.") == compact_text(
        "SHH MOTOR SUNGAI RENGIT SDN BHD"
    )
    assert compact_text("Café Müller") == compact_text("CAFE MULLER")
    assert compact_text("Café Müller") != compact_text("Cafe Miller")
