"""Number and date writing per GB/T 15835 practice, with decimal half-up rounding."""

from datetime import date
from decimal import Decimal

import pytest

from toolkit.report import formatting as fmt


@pytest.mark.parametrize(
    ("yuan", "text"),
    [
        ("1936500000", "19.37"),  # 19.365亿: half-up in decimal, float would give 19.36
        ("1207000000", "12.07"),
        ("1200000000", "12"),  # trailing zeros dropped
        ("1250000000", "12.5"),
        ("4999999", "0.05"),
        ("0", "0"),
    ],
)
def test_yi_rounds_half_up_and_drops_trailing_zeros(yuan, text):
    assert fmt.yi(Decimal(yuan)) == text


@pytest.mark.parametrize(
    ("yuan", "places", "text"),
    [
        ("12345650", 2, "1234.57"),  # 1234.565万 → 1234.57
        ("12345000", 2, "1234.5"),
        ("12340000", 2, "1234"),
        ("12345678", 2, "1234.57"),
        ("12345000", 0, "1235"),  # 民生配套资金: 万元 with no decimals, half-up
        ("12344999", 0, "1234"),
        ("123456789012", 2, "12345678.9"),  # no thousands separators
    ],
)
def test_wan(yuan, places, text):
    assert fmt.wan(Decimal(yuan), places) == text


def test_float_rounding_trap_is_avoided():
    assert round(19.365, 2) == 19.36  # the trap
    assert fmt.decimal_text(Decimal("19.365")) == "19.37"
    assert fmt.decimal_text(Decimal("2.675")) == "2.68"


def test_month_day_has_no_padding_and_no_year_in_report_year():
    assert fmt.month_day(date(2021, 3, 5), 2021) == "3月5日"
    assert fmt.month_day(date(2021, 12, 25), 2021) == "12月25日"
    assert fmt.month_day(date(2022, 1, 3), 2021) == "2022年1月3日"


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (date(2021, 5, 10), date(2021, 5, 12), "5月10日至12日"),
        (date(2021, 5, 30), date(2021, 6, 2), "5月30日至6月2日"),
        (date(2021, 5, 10), None, "5月10日"),
        (date(2021, 5, 10), date(2021, 5, 10), "5月10日"),
        (date(2021, 12, 30), date(2022, 1, 2), "12月30日至2022年1月2日"),
    ],
)
def test_date_range(start, end, text):
    assert fmt.date_range(start, end, 2021) == text


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        (date(2021, 4, 2), date(2021, 4, 28), "4月"),
        (date(2021, 4, 2), date(2021, 6, 8), "4至6月"),
        (date(2021, 11, 2), date(2022, 1, 8), "2021年11月至2022年1月"),
    ],
)
def test_month_range(first, last, text):
    assert fmt.month_range(first, last) == text


def test_full_date_for_signature():
    assert fmt.full_date(date(2022, 1, 10)) == "2022年1月10日"
