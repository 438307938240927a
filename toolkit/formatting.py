"""Numbers and dates written as Chinese official documents write them (GB/T 15835).

Rounding is half-up in decimal arithmetic: 19.365亿 is 19.37, never the 19.36 that
binary floating point gives.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal_text(value: Decimal | int, places: int = 2) -> str:
    """At most ``places`` decimals, trailing zeros dropped, no thousands separators."""
    rounded = round_half_up(Decimal(value), places)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def wan(amount_yuan: Decimal, places: int = 2) -> str:
    """An amount in 元 written in 万元 (the unit word is the template's)."""
    return decimal_text(Decimal(amount_yuan) / WAN, places)


def yi(amount_yuan: Decimal, places: int = 2) -> str:
    """An amount in 元 written in 亿元."""
    return decimal_text(Decimal(amount_yuan) / YI, places)


def count(value: int | Decimal) -> str:
    return str(int(value))


def month_day(day: date, year: int | None = None) -> str:
    """``3月5日``; the year is written only when it is not the report year."""
    prefix = f"{day.year}年" if year is not None and day.year != year else ""
    return f"{prefix}{day.month}月{day.day}日"


def date_range(start: date, end: date | None, year: int | None = None) -> str:
    """``5月10日至12日`` within a month, ``5月30日至6月2日`` across months."""
    if end is None or end == start:
        return month_day(start, year)
    if (end.year, end.month) == (start.year, start.month):
        return f"{month_day(start, year)}至{end.day}日"
    if end.year == start.year:
        return f"{month_day(start, year)}至{end.month}月{end.day}日"
    return f"{month_day(start, year)}至{end.year}年{end.month}月{end.day}日"


def month_range(first: date, last: date) -> str:
    """``4月`` for one month, ``4至6月`` when the span covers several."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.month}月"
    if first.year == last.year:
        return f"{first.month}至{last.month}月"
    return f"{first.year}年{first.month}月至{last.year}年{last.month}月"


def full_date(day: date) -> str:
    """The signature date: ``2022年12月10日``, no zero padding."""
    return f"{day.year}年{day.month}月{day.day}日"
