"""Numbers and dates written as Chinese official documents write them (GB/T 15835).

Rounding is half-up in decimal arithmetic: 19.365亿 is 19.37, never the 19.36 that
binary floating point gives.

A figure's text is made in one place, :func:`figure_text`, from its typed value and
its :class:`Form` (how that kind of value is written). The guard there refuses every
value that must never reach a report: ``None``, ``nan``, ``NaT``, booleans, ``inf``,
empty text. :meth:`Form.parse` reads a corrected value typed by a reviewer into the
same typed value, so an override changes the value and the text follows from it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, cast

from toolkit.data.problems import FigureValueError, Problem

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


def percent_change(now: Decimal | int, before: Decimal | int) -> Decimal:
    """``now`` against ``before`` in percent, one decimal, half-up (``before`` is not zero)."""
    return round_half_up((Decimal(now) - Decimal(before)) * 100 / Decimal(before), 1)


def change_text(percent: Decimal) -> str:
    """``增长9.5%``, ``下降3.1%`` or ``持平`` for a change in percent (one decimal)."""
    rounded = round_half_up(percent, 1)
    if rounded == 0:
        return "持平"
    return f"{'增长' if rounded > 0 else '下降'}{format(abs(rounded), 'f')}%"


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


# --- forms: how each kind of figure is written and read back ---------------------

Kind = Literal[
    "text", "list", "count", "amount", "number", "change", "date", "date_span", "month_span", "month", "year"
]
KINDS: tuple[str, ...] = (
    "text",
    "list",
    "count",
    "amount",
    "number",
    "change",
    "date",
    "date_span",
    "month_span",
    "month",
    "year",
)

#: Amount units a figure may be written in: factor from 元, decimal places, suffix in the text.
AMOUNT_UNITS: dict[str, tuple[Decimal, int, str]] = {
    "元": (Decimal(1), 2, ""),
    "万元": (WAN, 2, ""),
    "万元取整": (WAN, 0, "万"),  # the template keeps only “约…元”, so the text carries 万 (约1235万元)
    "亿元": (YI, 2, ""),
}


def unit_word(unit: str) -> str:
    """An amount unit as a reader names it: 万元 for whole 万元 (``万元取整``), else the unit itself."""
    return "万元" if unit == "万元取整" else unit


def unit_described(unit: str) -> str:
    """An amount unit as a rule's description names it: ``万元（取整）`` for whole 万元."""
    return "万元（取整）" if unit == "万元取整" else unit


#: Unit words a reviewer may type after a count (“9次”); the text is written without them.
COUNT_WORDS = ("人次", "次", "个", "条", "名", "人", "项", "家", "场", "期")


class Refused(ValueError):
    """A typed value that cannot be read as the figure's kind; carries what is expected."""

    def __init__(self, message: str, expected: str):
        super().__init__(message)
        self.message, self.expected = message, expected


@dataclass(frozen=True)
class Form:
    """How one figure's value is written: its kind, unit and the report year."""

    kind: Kind
    unit: str = ""  # amounts: a key of AMOUNT_UNITS; counts: a unit word accepted after the number
    year: int | None = None  # dates: the report year, left out of the text
    full: bool = False  # dates: always written with the year (the signature date)

    def write(self, value: object) -> str:
        """The text of a value already known to be well formed (see :func:`figure_text`)."""
        if self.kind == "amount":
            factor, places, suffix = AMOUNT_UNITS[self.unit]
            return decimal_text(Decimal(cast(Decimal | int, value)) / factor, places) + suffix
        if self.kind in ("count", "month", "year"):
            return str(int(cast(Decimal | int, value)))
        if self.kind == "number":
            return decimal_text(Decimal(cast(Decimal | int, value)), 2)
        if self.kind == "change":
            return change_text(Decimal(cast(Decimal | int, value)))
        if self.kind == "date":
            day = cast(date, value)
            return full_date(day) if self.full else month_day(day, self.year)
        if self.kind == "date_span":
            start, end = cast(tuple[date, date | None], value)
            return date_range(start, end, self.year)
        if self.kind == "month_span":
            first, last = cast(tuple[date, date], value)
            return month_range(first, last)
        if self.kind == "list":
            return "、".join(str(v) for v in cast(list[object], value))
        return str(value)

    @property
    def expected(self) -> str:
        """What a reviewer should type, in Chinese."""
        if self.kind == "amount":
            shown = unit_word(self.unit)
            return f"以{shown}为单位的不小于0的数字，如“20.1”或“20.1{shown}”"
        return {
            "count": "不小于0的整数，如“12”",
            "number": "数字，如“15.5”",
            "change": "增减幅度，如“增长9.5%”“下降3.1%”或“持平”",
            "month": "1至12的整数，如“11”",
            "year": "四位数的年份，如“2022”",
            "date": "日期，如“2022-03-05”或“3月5日”",
            "date_span": "日期或日期范围，如“5月10日至12日”“5月30日至6月2日”",
            "month_span": "月份或月份范围，如“4月”“4至6月”",
            "list": "文字，多项之间用“、”分隔",
        }.get(self.kind, "文字")

    def parse(self, raw: object) -> object:
        """A reviewer's value (YAML scalar or text) as this form's typed value; raise :class:`Refused`."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise Refused("修改后的值为空", self.expected)
        if isinstance(raw, bool):
            raise Refused("修改后的值是“是/否”，不是报告中的写法", self.expected)
        parse = getattr(self, f"_parse_{self.kind}", None)
        value = parse(raw) if parse else _text_value(raw, self.expected)
        try:
            figure_text(value, self)
        except FigureValueError:
            raise Refused("修改后的值不能写入报告", self.expected) from None
        return value

    def _parse_amount(self, raw: object) -> Decimal:
        factor, _, _ = AMOUNT_UNITS[self.unit]
        if isinstance(raw, (int, float, Decimal)):
            number = _finite(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw), self.expected)
        else:
            text = re.sub(r"[,，\s]", "", str(raw))
            match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(亿元|万元|元|亿|万)?", text)
            if not match:
                raise Refused("不是数字", self.expected)
            number, unit = Decimal(match[1]), match[2]
            allowed = {"亿元": ("亿元", "亿"), "万元": ("万元", "万"), "万元取整": ("万元", "万"), "元": ("元",)}
            if unit and unit not in allowed[self.unit]:
                raise Refused(f"单位“{unit}”与报告中的单位不符", self.expected)
        if number < 0:
            raise Refused("金额不能为负数", self.expected)
        return number * factor

    def _parse_number(self, raw: object) -> Decimal:
        if isinstance(raw, (int, float, Decimal)):
            return _finite(Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw), self.expected)
        text = re.sub(r"[,，\s]", "", str(raw))
        for word in COUNT_WORDS:
            text = text.removesuffix(word)
        if not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            raise Refused("不是数字", self.expected)
        return Decimal(text)

    def _parse_change(self, raw: object) -> Decimal:
        text = re.sub(r"\s", "", str(raw)).removesuffix("%")
        if text == "持平":
            return Decimal(0)
        sign = -1 if text.startswith(("下降", "减少", "-")) else 1
        text = re.sub(r"^(增长|增加|下降|减少|[+-])", "", text)
        if not re.fullmatch(r"\d+(?:\.\d+)?", text):
            raise Refused("无法识别的增减幅度", self.expected)
        return round_half_up(Decimal(text) * sign, 1)

    def _parse_count(self, raw: object) -> int:
        number = _whole(raw, COUNT_WORDS, self.expected)
        if number < 0:
            raise Refused("个数不能为负数", self.expected)
        return number

    def _parse_month(self, raw: object) -> int:
        month = _whole(raw, ("月",), self.expected)
        if not 1 <= month <= 12:
            raise Refused("月份超出范围", self.expected)
        return month

    def _parse_year(self, raw: object) -> int:
        year = _whole(raw, ("年",), self.expected)
        if not 1900 <= year <= 2100:
            raise Refused("年份超出范围", self.expected)
        return year

    def _parse_date(self, raw: object) -> date:
        return _date(raw, self.year, self.expected)

    def _parse_date_span(self, raw: object) -> tuple[date, date | None]:
        if isinstance(raw, (date, datetime)):
            return _date(raw, self.year, self.expected), None
        left, sep, right = str(raw).strip().partition("至")
        start = _date(left, self.year, self.expected)
        if not sep:
            return start, None
        right = right.strip()
        if match := re.fullmatch(r"(\d{1,2})日", right):
            end = _make_date(start.year, start.month, int(match[1]), self.expected)
        elif match := re.fullmatch(r"(\d{1,2})月(\d{1,2})日", right):
            end = _make_date(start.year, int(match[1]), int(match[2]), self.expected)
        else:
            end = _date(right, self.year, self.expected)
        if end < start:
            raise Refused("结束日期早于开始日期", self.expected)
        return start, end

    def _parse_month_span(self, raw: object) -> tuple[date, date]:
        text = re.sub(r"\s", "", str(raw))
        year = self.year or date.today().year
        month = r"(?:(\d{4})年)?(\d{1,2})月?"
        match = re.fullmatch(f"{month}(?:[至到]{month})?", text)
        if not match or not text.endswith("月"):
            raise Refused("无法识别的月份", self.expected)
        y1, m1, y2, m2 = match.groups()
        first = _make_date(int(y1 or year), int(m1), 1, self.expected)
        last = _make_date(int(y2 or y1 or year), int(m2 or m1), 1, self.expected) if m2 else first
        if last < first:
            raise Refused("结束月份早于开始月份", self.expected)
        return first, last

    def _parse_list(self, raw: object) -> list[str]:
        items = raw if isinstance(raw, list) else re.split(r"[、]", str(raw))
        values = [_text_value(v, self.expected) for v in items]
        return values


def _finite(number: Decimal, expected: str) -> Decimal:
    if not number.is_finite():
        raise Refused("不是数字", expected)
    return number


def _whole(raw: object, words: tuple[str, ...], expected: str) -> int:
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            raise Refused("不是整数", expected)
        return int(raw)
    text = re.sub(r"[,，\s]", "", str(raw))
    for word in words:
        text = text.removesuffix(word)
    if not re.fullmatch(r"-?\d+", text):
        raise Refused("不是整数", expected)
    return int(text)


def _text_value(raw: object, expected: str) -> str:
    if isinstance(raw, (dict, list, tuple, set)):
        raise Refused("应为一段文字", expected)
    text = str(raw).strip()
    if not text:
        raise Refused("修改后的值为空", expected)
    return text


def _make_date(year: int, month: int, day: int, expected: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Refused("不存在的日期", expected) from None


_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def _date(raw: object, year: int | None, expected: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = re.sub(r"\s", "", str(raw))
    for pattern in _DATE_FORMS:
        if match := pattern.fullmatch(text):
            return _make_date(int(match[1]), int(match[2]), int(match[3]), expected)
    if (match := re.fullmatch(r"(\d{1,2})月(\d{1,2})日", text)) and year is not None:
        return _make_date(year, int(match[1]), int(match[2]), expected)
    raise Refused("无法识别的日期", expected)


# --- the guard ---------------------------------------------------------------------

#: Words that only appear in a text when a missing or boolean value was formatted.
_BAD_WORDS = re.compile(r"(?<![A-Za-z])(?:nan|NaN|NAN|NaT|None|True|False|inf|Inf|INF|Infinity|<NA>|null)(?![A-Za-z])")


def _bad_value(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Decimal):
        return not value.is_finite()
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0 or any(v is not None and _bad_value(v) for v in value) or value[0] is None
    if isinstance(value, datetime | date):
        try:  # pandas' NaT is a datetime subclass whose fields are not numbers
            return not isinstance(value.year, int)
        except (ValueError, TypeError):  # pragma: no cover - defensive
            return True
    try:
        return bool(value != value)  # pd.NA and other "not a value" scalars
    except (TypeError, ValueError):
        return True


def figure_text(value: object, form: Form, *, label: str = "", where: str = "") -> str:
    """The one place a figure's text is made: refuse what must never be printed."""
    problem = None
    if _bad_value(value) or (form.kind == "date_span" and isinstance(value, tuple) and value[0] is None):
        problem = "计算结果不是可以写入报告的值"
    else:
        try:
            text = form.write(value)
        except (TypeError, ValueError, ArithmeticError, InvalidOperation, KeyError):
            text = None
        if text is None:
            problem = "无法按该数据项的格式书写"
        elif not text.strip() or _BAD_WORDS.search(text):
            problem = "写出的文字含有无效内容"
        else:
            return text
    raise FigureValueError(
        [
            Problem(
                where or "报告数据", f"数据项“{label or form.kind}”{problem}", value=repr(value), expected=form.expected
            )
        ]
    )
