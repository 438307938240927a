"""Read one ledger cell as its column's type, and every cell of a table's rows.

The first pass of validation (:mod:`toolkit.data.validate`): dates, numbers, codes and
years in every form the data contract allows, each refusal with its reason in Chinese.
Plain Python values in and out, without pandas, like the file readers
(:mod:`toolkit.data.sources`): rows are read independently of each other.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from toolkit.data.books import ExcelErrorValue, NotANumber, UncachedFormula
from toolkit.data.contract import Column, Table
from toolkit.data.dates import DATE_FORMS, UnreadableDate, date_from_text, from_serial

#: A number as the contract allows it: ASCII digits (full-width ones are folded first), an
#: optional sign, thousands commas in groups of three, a decimal point. Nothing else that
#: ``Decimal()`` would take: exponents (1e5), underscores (1_000), other scripts' digits,
#: inf, nan, and no European ``1.234,56``.
_NUMBER = re.compile(r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)", re.ASCII)
#: No ledger records anything before this day.
EARLIEST_DATE = date(2000, 1, 1)
_EXCEL_ERRORS = frozenset(
    ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA")
)
_EXPECTED = {
    "date": f"日期，如{DATE_FORMS}",
    "int": "不小于0的整数",
    "number": "数字，如1234.5或1,234.5（可带千位分隔逗号，不用科学计数法）",
    "amount": "不小于0的金额，如1234.5或1,234.5（可带千位分隔逗号，不用科学计数法）",
    "year": "四位数的年份",
    "month": "1至12的整数（空白表示12）",
}


def _blank(value: object) -> bool:
    """A cell left blank, as the readers give it (None) or as pandas does (NaN, NaT)."""
    return value is None or (isinstance(value, (float, datetime)) and value != value)


class BadCell(Exception):
    """A cell that cannot be read as its column's type."""

    def __init__(self, message: str):
        self.message = message


def cell_text(value: object) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise BadCell("是Excel逻辑值（TRUE/FALSE），不是文字")
    if isinstance(value, float) and math.isinf(value):
        raise BadCell("是无穷大，不是有效的值")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number comes back as 1001.0
    text = str(value).strip()
    return text or None


def latest_date(today: date | None = None) -> date:
    """The last day a ledger may record: the end of next year (plans are entered ahead)."""
    return date((today or date.today()).year + 1, 12, 31)


def parse_date(value: object) -> date | None:
    """A date from an Excel date cell, an Excel date serial, or any text form the contract lists."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise BadCell("无法识别的日期")
        try:
            return from_serial(value)
        except UnreadableDate as exc:
            raise BadCell(exc.message) from None
    text = cell_text(value)
    if text is None:
        return None
    try:
        return date_from_text(text)
    except UnreadableDate as exc:
        raise BadCell(exc.message) from None


def ledger_date(value: object) -> date | None:
    """A date a ledger may hold: from 2000 to the end of next year."""
    day = parse_date(value)
    if day is not None and not EARLIEST_DATE <= day <= latest_date():
        raise BadCell(f"日期不在合理范围内（应在{EARLIEST_DATE.isoformat()}至{latest_date().isoformat()}之间）")
    return day


def parse_decimal(value: object) -> Decimal | None:
    """A number from an Excel number or text with thousands commas and spaces, exactly."""
    if isinstance(value, bool):
        raise BadCell("不是数字")
    if isinstance(value, float) and value != value:
        return None  # a blank cell as pandas gives it
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, int):
            return Decimal(value)
        if not value.is_finite() if isinstance(value, Decimal) else not math.isfinite(value):
            raise BadCell("不是有限的数字（无穷大或非数字）")
        return Decimal(repr(value)) if isinstance(value, float) else value
    text = cell_text(value)
    if text is None:
        return None
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))  # ，and full-width digits fold to ASCII
    if not _NUMBER.fullmatch(text):
        raise BadCell("不是数字（应写作如1234.5或1,234.5：阿拉伯数字，千位分隔用逗号，不用科学计数法）")
    return Decimal(text.replace(",", ""))


def whole(value: object) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise BadCell("不是整数")
    return int(number)


def year_of_cell(value: object) -> int | None:
    text = cell_text(value)
    if text is not None and text.endswith("年"):
        value = text[:-1]
    year = whole(value)
    if year is not None and not EARLIEST_DATE.year <= year <= latest_date().year:
        raise BadCell(f"年份超出范围（应在{EARLIEST_DATE.year}至{latest_date().year}之间）")
    return year


#: How each column type is read.
_PARSERS: dict[str, Callable[[object], object]] = {
    "bureau": cell_text,
    "text": cell_text,
    "enum": cell_text,
    "date": ledger_date,
    "int": whole,
    "number": parse_decimal,
    "amount": parse_decimal,
    "year": year_of_cell,
    "month": whole,
}


def expected_text(column: Column) -> str:
    """What a cell of ``column`` should hold, as a message says it."""
    if column.choices:
        return "以下之一：" + "、".join(column.choices)
    return column.expected or _EXPECTED.get(column.type, "")


def parse_cell(parse: Callable[[object], object], value: object) -> object:
    if isinstance(value, UncachedFormula):
        raise BadCell("公式没有已计算的结果（文件由程序写出、未在Excel中打开保存过），读不到数值")
    if isinstance(value, ExcelErrorValue) or (isinstance(value, str) and value.strip() in _EXCEL_ERRORS):
        raise BadCell("单元格是Excel错误值")
    if isinstance(value, NotANumber):
        raise BadCell("文件中的数值是无穷大或非数字（NaN），不是有效的值")
    return parse(value)


def _row_year(value: object) -> int | None:
    if isinstance(value, date):
        return value.year
    return value if isinstance(value, int) else None


@dataclass
class Parsed:
    """A table's rows read as their columns' types.

    ``values``: each column's typed cells (None where blank or unreadable); ``bad``: every
    cell that could not be read, as (column, row position, reason, expected): column by
    column in the table's order, row by row within each, then the dates too far from their
    row's year (see :func:`parse_columns`) in the same order.
    """

    values: dict[str, list[object]]
    bad: list[tuple[str, int, str, str]] = field(default_factory=list)


def parse_columns(table: Table, cells: dict[str, Sequence[object]]) -> Parsed:
    """Read ``table``'s rows, given as each column's raw cells (all of one length).

    Every other date of a row must lie near the row's own year (its 日期, 收集日期 or
    年度; see ``Column.span``): an end date typed as 2121 or 9999 is refused, never a row
    that silently leaves its year.
    """
    parsed = Parsed({})
    for column in table.columns:
        parsed.values[column.name] = _read_column(column, cells[column.name], parsed.bad)
    anchor = table.year_column
    years = [_row_year(v) for v in parsed.values[anchor.name]]
    for column in table.columns:
        if column.type == "date" and column.name != anchor.name:
            _dates_near(column, anchor, parsed.values[column.name], years, parsed.bad)
    return parsed


def _read_column(column: Column, cells: Sequence[object], bad: list[tuple[str, int, str, str]]) -> list[object]:
    """One column's cells read as its type; each one that cannot be is added to ``bad``."""
    parse = _PARSERS[column.type]
    seen: dict[str, object] = {}  # text read before in this column: codes, choices and dates repeat
    out: list[object] = []
    for position, value in enumerate(cells):
        if value is None:
            out.append(None)
            continue
        text = value if type(value) is str else None
        if text is not None and text in seen:
            got = seen[text]
        else:
            try:
                got = parse_cell(parse, value)
            except BadCell as refused:
                got = refused
            if text is not None:
                seen[text] = got
        if isinstance(got, BadCell):
            expected = expected_text(column)
            if isinstance(value, UncachedFormula):
                expected = "在Excel中打开并保存一次（让公式算出结果），或直接填写" + expected
            bad.append((column.name, position, got.message, expected))
            got = None
        out.append(got)
    return out


def _dates_near(
    column: Column, anchor: Column, days: list[object], years: list[int | None], bad: list[tuple[str, int, str, str]]
) -> None:
    """Blank out (and add to ``bad``) the dates of ``column`` too far from their row's year."""
    for position, (day, year) in enumerate(zip(days, years)):
        if not isinstance(day, date) or year is None or -1 <= day.year - year <= column.span:
            continue
        after = "一年" if column.span == 1 else f"{column.span}年"
        expected = (
            f"{year - 1}-01-01至{year + column.span}-12-31之间的日期（不早于{anchor.zh}前一年，不晚于其后{after}）"
        )
        bad.append((column.name, position, f"日期与本行的{anchor.zh}（{year}年）相差过大", expected))
        days[position] = None
